"""Development / holdout periods and walk-forward folds with a purge gap.

The boundary between the *development* period (everything the search may look at) and the
*holdout* period (touched once, by the champion, at the end) is the project's most important
correctness property. Walk-forward folds are built inside the development period only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from evofolio.data.datasets import DEFAULT_HOLDOUT_STARTS
from evofolio.errors import InsufficientHistoryError

SP500_HOLDOUT_START = DEFAULT_HOLDOUT_STARTS["sp500"]
DEFAULT_HOLDOUT_FRACTION = 0.2


@dataclass(frozen=True)
class Periods:
    """The development dates (before ``holdout_start``) and the holdout dates (from it on)."""

    development: pd.DatetimeIndex
    holdout: pd.DatetimeIndex
    holdout_start: pd.Timestamp


def split_periods(
    dates: pd.DatetimeIndex,
    holdout_start: dt.date | pd.Timestamp | None = None,
    *,
    source: str = "",
) -> Periods:
    """Split ``dates`` at ``holdout_start``.

    The default boundary is the dataset's own for a named dataset (2018-01-01 for ``sp500``,
    see :data:`evofolio.data.DEFAULT_HOLDOUT_STARTS`) and the first date of the last 20 % of
    dates otherwise.
    """
    if holdout_start is None:
        if source in DEFAULT_HOLDOUT_STARTS:
            start = DEFAULT_HOLDOUT_STARTS[source]
        else:
            start = dates[int(len(dates) * (1.0 - DEFAULT_HOLDOUT_FRACTION))]
    else:
        start = pd.Timestamp(holdout_start)
    development = dates[dates < start]
    holdout = dates[dates >= start]
    if len(development) == 0 or len(holdout) == 0:
        raise InsufficientHistoryError(
            f"holdout start {start.date()} leaves an empty "
            f"{'development' if len(development) == 0 else 'holdout'} period "
            f"(data covers {dates[0].date()} to {dates[-1].date()})"
        )
    return Periods(development=development, holdout=holdout, holdout_start=holdout[0])


@dataclass(frozen=True)
class Fold:
    """One walk-forward fold: fit on ``train``, purge ``purge`` dates, decide on ``test``."""

    index: int
    train: pd.DatetimeIndex
    test: pd.DatetimeIndex


def walk_forward(
    dates: pd.DatetimeIndex,
    *,
    min_train: int,
    test_size: int | None = None,
    n_folds: int | None = None,
    train_size: int | None = None,
    purge: int = 1,
) -> list[Fold]:
    """Walk-forward folds over ``dates``.

    Give either ``test_size`` (dates per test fold; the remainder joins the last fold) or
    ``n_folds`` (test dates split into that many equal blocks). Training is expanding from the
    first date, or rolling over the last ``train_size`` dates when given. Each fold's training
    set ends ``purge`` dates before its test set begins, and needs at least ``min_train`` dates.
    Test folds are contiguous, so their decisions form one out-of-sample period.
    """
    if (test_size is None) == (n_folds is None):
        raise ValueError("give exactly one of test_size and n_folds")
    if purge < 0:
        raise ValueError("purge must be >= 0")
    first_test = min_train + purge
    available = len(dates) - first_test
    count = n_folds if n_folds is not None else available // max(test_size or 1, 1)
    if available <= 0 or count < 1 or available < count:
        raise InsufficientHistoryError(
            f"walk-forward needs more than {first_test} dates ({min_train} to train, {purge} "
            f"purged) plus the test folds, got {len(dates)}"
        )
    size = test_size if test_size is not None else available // count
    folds = []
    for k in range(count):
        start = first_test + k * size
        stop = len(dates) if k == count - 1 else start + size
        train_end = start - purge
        train_start = 0 if train_size is None else max(0, train_end - train_size)
        folds.append(Fold(k, dates[train_start:train_end], dates[start:stop]))
    return folds


def walk_forward_years(
    dates: pd.DatetimeIndex,
    *,
    every_years: int,
    min_train: int,
    train_years: int | None = None,
    purge: int = 1,
) -> list[Fold]:
    """Calendar walk-forward, the scheme of Zhang et al. (2020): retrain every ``every_years``
    years on all data to date (or on the last ``train_years`` years) and decide the next
    ``every_years`` years.

    The first test block starts on the first date of the first calendar year that leaves at
    least ``min_train`` training dates and ``purge`` purged dates before it; the last block
    runs to the last date.
    """
    if every_years < 1:
        raise ValueError("every_years must be >= 1")
    years = dates.year.to_numpy()
    starts = [
        i for i in range(1, len(dates)) if years[i] != years[i - 1] and i >= min_train + purge
    ]
    if not starts:
        raise InsufficientHistoryError(
            f"walk-forward by years needs a calendar year starting after {min_train + purge} "
            f"dates ({min_train} to train, {purge} purged), got {len(dates)} dates"
        )
    first_year = years[starts[0]]
    block_starts = [i for i in starts if (years[i] - first_year) % every_years == 0]
    folds = []
    for k, start in enumerate(block_starts):
        stop = block_starts[k + 1] if k + 1 < len(block_starts) else len(dates)
        train_end = start - purge
        train_start = 0
        if train_years is not None:
            cutoff = dates[start] - pd.DateOffset(years=train_years)
            train_start = int(dates.searchsorted(cutoff))
        folds.append(Fold(k, dates[train_start:train_end], dates[start:stop]))
    return folds
