"""The market series (used for beta): a file, the shipped S&P 500 index, or an equal-weight proxy.

A market spec is one of

* ``sp500``: the S&P 500 index shipped with skfolio (offline);
* ``PATH`` or ``PATH:COLUMN`` where ``PATH`` ends in ``.csv`` or ``.parquet``: a wide file
  (a date column and value columns). ``COLUMN`` may be left out when the file has exactly
  one value column. The spec is split at its last ``:`` only when the part before it names
  such a file, so ``prices.csv`` and ``C:/data/index.csv`` are plain paths and
  ``index.csv:SPX`` is a path and a column.

The series is validated like prices (dates, numbers, finite, > 0; stamps reduced to calendar
dates with the same ``timezone`` as the prices), then aligned to the price dates **as-of,
backward only**: the value at price date *t* is the one dated *t*, else the last one dated
before *t* (a value dated after *t* is never used, so beta features cannot look ahead). The
share of price dates without a value of their own is checked against the assets' limit
``max_missing_frac``: past it, an error naming the share and the first such dates; below it,
a warning. A series that starts after the prices, or a run of more than ``max_ffill_days``
such dates, is an error.
"""

from __future__ import annotations

import logging

import numpy as np
import numpy.typing as npt
import pandas as pd

from evofolio.data.checks import DATE_UNIT, parse_frame
from evofolio.data.files import is_table_path, read_table
from evofolio.data.layout import date_column
from evofolio.data.missing import MissingPolicy, first_long_gap, gap_message
from evofolio.errors import DataError

logger = logging.getLogger(__name__)

SP500_INDEX_SOURCE = "S&P 500 index (skfolio)"
EQUAL_WEIGHT_SOURCE = "equal-weight average of the assets"


def split_market_spec(spec: str) -> tuple[str, str | None]:
    """``PATH[:COLUMN]`` split into the path and the column (None when not given)."""
    text = spec.strip()
    if is_table_path(text):
        return text, None
    head, sep, tail = text.rpartition(":")
    if sep and is_table_path(head) and tail.strip():
        return head, tail.strip()
    return text, None


def load_market(
    spec: str,
    dates: pd.DatetimeIndex,
    policy: MissingPolicy,
    *,
    timezone: str | None = None,
) -> tuple[pd.Series, str]:
    """The market series named by ``spec``, aligned to ``dates``, and a description of it."""
    if spec.strip().lower() == "sp500":
        return align_market(sp500_index(), dates, SP500_INDEX_SOURCE, policy), SP500_INDEX_SOURCE
    path, column = split_market_spec(spec)
    if not is_table_path(path):
        raise DataError(
            f"market '{spec}': expected sp500 or a .csv/.parquet file, optionally as PATH:COLUMN"
        )
    table = read_table(path)
    when = date_column(table)
    columns = [str(c) for c in table.columns if str(c) != when]
    listing = ", ".join(f"'{c}'" for c in columns) or "none"
    if column is None:
        if len(columns) != 1:
            raise DataError(
                f"{path}: {len(columns)} value columns ({listing}); "
                f"name the market column as {path}:COLUMN"
            )
        column = columns[0]
    elif column not in columns:
        raise DataError(f"{path}: no column '{column}' for the market; columns are {listing}")
    frame = parse_frame(
        table.rename(columns=str).set_index(when)[[column]], path, timezone=timezone
    )
    series = frame.iloc[:, 0].rename(column)
    return align_market(series, dates, path, policy), f"{path} column '{column}'"


def align_market(
    series: pd.Series, dates: pd.DatetimeIndex, source: str, policy: MissingPolicy
) -> pd.Series:
    """``series`` on exactly ``dates``, as-of and backward only (see the module doc).

    The value at price date *t* is the series' value dated *t*, else its last value dated
    before *t* (never one dated after). Errors: no value on or before the first price date;
    more than ``policy.max_missing_frac`` of the price dates without a value of their own
    (naming the share and the first such dates); a run of more than ``policy.max_ffill_days``
    of them. Below those limits, any filling is a warning.
    """
    name = str(series.name) if series.name is not None else "market"
    present = series.dropna().sort_index()
    if present.empty:
        raise DataError(f"{source}: column '{name}': the market series has no values")
    stamps = pd.DatetimeIndex(present.index)
    if stamps[0] > dates[0]:
        raise DataError(
            f"{source}: column '{name}': no market value on or before the first price date "
            f"{dates[0]:%Y-%m-%d} (the market series starts {stamps[0]:%Y-%m-%d})"
        )
    missing = ~np.asarray(dates.isin(stamps))
    if missing.any():
        _check_missing(missing, dates, source, name, policy)
    at = stamps.searchsorted(dates, side="right") - 1  # last market date <= t
    values = present.to_numpy(dtype=np.float64)[at]
    return pd.Series(values, index=dates, name=name)


def _check_missing(
    missing: npt.NDArray[np.bool_],
    dates: pd.DatetimeIndex,
    source: str,
    name: str,
    policy: MissingPolicy,
) -> None:
    count, share = int(missing.sum()), float(missing.mean())
    first = ", ".join(f"{d:%Y-%m-%d}" for d in dates[missing][:3])
    where = f"{source}: column '{name}'"
    gap = first_long_gap(missing, policy.max_ffill_days)
    if gap is not None:
        raise DataError(gap_message(source, name, dates, gap, policy.max_ffill_days))
    if share > policy.max_missing_frac:
        raise DataError(
            f"{where}: no market value on {count} of the {len(dates)} price dates "
            f"({100 * share:.1f} % > max_missing_frac={policy.max_missing_frac:g}), first "
            f"{first}; are its dates the prices' trading days? (stamps in UTC fall on the "
            "previous day: set data.timezone / --timezone)"
        )
    logger.warning(
        "%s: no market value on %d of the %d price dates (%.1f %%, first %s): each uses the "
        "last market value dated before it (as-of, never a later one)",
        where,
        count,
        len(dates),
        100 * share,
        first,
    )


def sp500_index() -> pd.Series:
    """The S&P 500 index shipped with skfolio (1990-01-02 to 2022-12-28), as a float series."""
    from skfolio.datasets import load_sp500_index  # heavy import, done only when used

    series = load_sp500_index()["SP500"]
    return pd.Series(
        series.to_numpy(dtype=np.float64),
        index=pd.DatetimeIndex(series.index, name="date").as_unit(DATE_UNIT),
        name="SP500",
    )
