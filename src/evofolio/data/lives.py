"""A ragged universe's missing-data policy: each asset's life, from its first to its last price.

:func:`evofolio.data.missing.apply_missing_policy` comes here when the prices are read with
lives (``MissingPolicy.lives``, or a file that lists or delists when it is None): whether a
file does (:func:`lists_or_delists`), the ends that are late quotes rather than delistings
(:func:`carry_late_quotes`) and the policy itself (:func:`apply_lives`); see the module doc of
:mod:`evofolio.data.missing`.
"""

from __future__ import annotations

import logging

import numpy as np
import numpy.typing as npt
import pandas as pd

from evofolio.data.missing import (
    IntArray,
    MissingPolicy,
    MissingReport,
    _day,
    _warn_stale_end,
    abbreviated,
    filled_cells,
    first_long_gap,
    gap_message,
    kept_assets,
    log_filled,
)
from evofolio.errors import DataError

__all__ = ["apply_lives", "carry_late_quotes", "lists_or_delists"]

logger = logging.getLogger("evofolio.data.missing")  # the policy's one logger, as before


def carry_late_quotes(
    present: npt.NDArray[np.bool_],
    last: IntArray,
    prices: pd.DataFrame,
    source: str,
    max_ffill_days: int,
) -> IntArray:
    """``last`` with each life that ends 1 to ``max_ffill_days`` dates before the latest last
    price moved to that date (its last price is carried forward there): a feed a few days
    behind, not a delisting. A warning names each asset, as for a rectangle's stale end."""
    usable = present.sum(axis=0) >= 2
    if not usable.any() or max_ffill_days == 0:
        return last
    stop = int(last[usable].max())
    near = usable & (last < stop) & (stop - last <= max_ffill_days)
    if not near.any():
        return last
    dates = pd.DatetimeIndex(prices.index)
    _warn_stale_end(
        ~present[: stop + 1, near],
        dates[: stop + 1],
        [str(c) for c in prices.columns[near]],
        source,
    )
    out = last.copy()
    out[near] = stop
    return out


def lists_or_delists(prices: pd.DataFrame, source: str, max_ffill_days: int) -> bool:
    """Whether some asset (with 2 prices or more) starts more than ``max_ffill_days`` dates
    after the earliest first price or ends more than that before the latest last price: a
    listing or a delisting, so the file is read with lives (an info line names them)."""
    present = ~np.isnan(prices.to_numpy(dtype=np.float64))
    counts = present.sum(axis=0)
    usable = counts >= 2
    if usable.sum() < 2:
        return False
    n_dates = len(prices)
    first = np.argmax(present, axis=0)
    last = n_dates - 1 - np.argmax(present[::-1], axis=0)
    start, stop = int(first[usable].min()), int(last[usable].max())
    late = usable & (first - start > max_ffill_days)
    early = usable & (stop - last > max_ffill_days)
    if not (late.any() or early.any()):
        return False
    names = [str(c) for c in prices.columns]
    dates = pd.DatetimeIndex(prices.index)
    shown = [
        f"{names[j]} {'lists ' + _day(dates[first[j]]) if late[j] else ''}"
        f"{' and ' if late[j] and early[j] else ''}"
        f"{'ends ' + _day(dates[last[j]]) if early[j] else ''}"
        for j in np.flatnonzero(late | early)[:3]
    ]
    more = int((late | early).sum()) - len(shown)
    logger.debug(
        "%s: %d asset(s) list after the first date and %d end before the last (%s%s): read "
        "point in time",
        source,
        int(late.sum()),
        int(early.sum()),
        "; ".join(shown),
        f"; {more} more" if more > 0 else "",
    )
    return True


def apply_lives(
    prices: pd.DataFrame, source: str, policy: MissingPolicy, *, late_quotes: bool = False
) -> tuple[pd.DataFrame, MissingReport]:
    """The policy of a ragged universe (module doc): NaN outside the lives is kept."""
    names = [str(c) for c in prices.columns]
    present = ~np.isnan(prices.to_numpy(dtype=np.float64))
    n_dates = len(prices)
    has = present.any(axis=0)
    first = np.argmax(present, axis=0)
    last = n_dates - 1 - np.argmax(present[::-1], axis=0)
    if late_quotes:
        last = carry_late_quotes(present, last, prices, source, policy.max_ffill_days)
    length = np.where(has, last - first + 1, 0)
    inside = length - present.sum(axis=0)
    short = present.sum(axis=0) < 2
    # an asset with fewer than 2 prices has no life to count inside: every other date is missing
    counted = np.where(short, n_dates - present.sum(axis=0), inside)
    missing = {name: int(c) for name, c in zip(names, counted, strict=True)}
    sparse = inside > policy.max_missing_frac * length
    drop = short | sparse
    absent = np.flatnonzero(~has)  # no life in these dates (e.g. listed after load_data's end)
    if absent.size:
        logger.info(
            "%s: %d asset(s) without a price in these dates left out: %s",
            source,
            absent.size,
            abbreviated([names[j] for j in absent]),
        )
    for j in np.flatnonzero(drop & has):
        why = (
            "a single price"
            if short[j]
            else f"missing on {inside[j]} of the {length[j]} dates of its life "
            f"(> max_missing_frac={policy.max_missing_frac:g})"
        )
        logger.warning("%s: dropping asset %s: %s", source, names[j], why)
    dropped = tuple(names[j] for j in np.flatnonzero(drop))
    keep = kept_assets(names, drop, source)
    start, stop = int(first[keep].min()), int(last[keep].max()) + 1
    if start > 0 or stop < n_dates:
        logger.info(
            "%s: trimming %d leading and %d trailing dates on which no asset has a price",
            source,
            start,
            n_dates - stop,
        )
    frame = prices.iloc[start:stop, keep]
    dates = pd.DatetimeIndex(frame.index)
    values = frame.to_numpy(dtype=np.float64, copy=True)
    lives: dict[str, tuple[pd.Timestamp, pd.Timestamp]] = {}
    cells: dict[str, tuple[int, pd.Timestamp]] = {}
    for k, j in enumerate(keep):
        lo, hi = int(first[j]) - start, int(last[j]) - start + 1
        gaps = np.isnan(values[lo:hi, k])
        gap = first_long_gap(gaps, policy.max_ffill_days)
        if gap is not None:
            raise DataError(gap_message(source, names[j], dates[lo:hi], gap, policy.max_ffill_days))
        cells[names[j]] = filled_cells(gaps, dates[lo:hi])
        lives[names[j]] = (dates[lo], dates[hi - 1])
        if gaps.any():
            values[lo:hi, k] = pd.Series(values[lo:hi, k]).ffill().to_numpy()
    alive_count = (~np.isnan(values)).sum(axis=1)
    if (alive_count == 0).any():
        day = dates[int(np.argmax(alive_count == 0))]
        raise DataError(f"{source}: no asset has a price on {_day(day)} (between two lives)")
    filled = {name: n for name, (n, _) in cells.items()}
    log_filled(source, cells, " inside lives")
    out = pd.DataFrame(values, index=frame.index, columns=frame.columns)
    return out, MissingReport(n_dates, missing, filled, dropped, start, lives)
