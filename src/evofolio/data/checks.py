"""Validation of price tables, once, at the edge.

:func:`validate_prices` takes a frame whose index holds the raw dates (strings, datetimes,
numbers) and whose columns are the assets (any dtype), and returns a clean frame: a sorted,
unique, tz-naive ``DatetimeIndex`` named ``date`` normalised to midnight, string column
names, ``float64`` values, strictly positive and finite, with the missing-data policy of
:mod:`evofolio.data.missing` applied. Every failure is a :class:`DataError` with a one-line
message naming the source, the column and the first bad row ("row N" is the 1-based data
row, the first row after the header being row 1; with ``cite_rows=False`` only dates are
named, for frames whose rows are not the rows of a file).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sized

import numpy as np
import pandas as pd

from evofolio.data.missing import MissingPolicy, MissingReport, apply_missing_policy
from evofolio.data.stamps import check_one_per_day, wall_times, warn_weekends
from evofolio.errors import DataError, InsufficientHistoryError
from evofolio.typing import FloatArray

logger = logging.getLogger(__name__)

# The resolution pandas itself gives parsed dates ("us" in pandas 3, "ns" before), so that
# validated frames line up with frames built by pandas' own constructors.
DATE_UNIT = pd.to_datetime(["2000-01-01"]).unit

__all__ = [
    "DATE_UNIT",
    "MissingPolicy",
    "MissingReport",
    "parse_dates",
    "parse_frame",
    "parse_numbers",
    "require_history",
    "validate_prices",
]


def validate_prices(
    df: pd.DataFrame,
    source: str,
    policy: MissingPolicy | None = None,
    *,
    cite_rows: bool = True,
    timezone: str | None = None,
    end: pd.Timestamp | None = None,
) -> tuple[pd.DataFrame, MissingReport]:
    """Check and clean a wide price frame (dates in the index, one column per asset).

    ``end``: rows dated on or after it are dropped as soon as the dates are parsed, so their
    prices are never parsed, checked or counted by the missing-data policy (``evofolio
    validate`` reads the development period only).
    """
    if len(df) == 0:
        raise DataError(f"{source}: no data rows")
    if df.shape[1] < 2:
        found = ", ".join(f"'{c}'" for c in df.columns)
        raise DataError(
            f"{source}: need at least 2 asset columns, found {df.shape[1]}"
            + (f" ({found})" if found else "")
        )
    frame = parse_frame(df, source, cite_rows=cite_rows, timezone=timezone, end=end)
    _warn_gross_returns(frame, source)
    return apply_missing_policy(frame, source, policy or MissingPolicy())


def _warn_gross_returns(frame: pd.DataFrame, source: str) -> None:
    """A warning naming the columns that look like gross returns (1 + r) rather than prices:
    every value within (0.5, 1.5), a median distance from 1 under 0.05, and levels without
    memory (lag-one autocorrelation of the levels under 0.5, where a price series, a random
    walk, has nearly 1). Such a column is read as a price near 1 whose 'returns' are noise."""
    suspects = []
    for column in frame.columns:
        values = frame[column].to_numpy(dtype=np.float64)
        values = values[np.isfinite(values)]
        if values.size < 30 or not ((values > 0.5) & (values < 1.5)).all():
            continue
        if float(np.median(np.abs(values - 1.0))) >= 0.05:
            continue
        centred = values - values.mean()
        scale = float(np.dot(centred, centred))
        if scale > 0 and float(np.dot(centred[1:], centred[:-1])) / scale < 0.5:
            suspects.append(str(column))
    if suspects:
        logger.warning(
            "%s: column(s) %s look like gross returns (1 + r), not prices: values near 1 "
            "without memory from one date to the next; give prices, e.g. 100 * "
            "gross.cumprod(), or the results are computed on noise",
            source,
            ", ".join(f"'{c}'" for c in suspects[:5]) + (" ..." if len(suspects) > 5 else ""),
        )


def require_history(prices: Sized, n_rows: int, what: str) -> None:
    """Raise :class:`InsufficientHistoryError` unless ``prices`` has at least ``n_rows`` dates."""
    if len(prices) < n_rows:
        raise InsufficientHistoryError(
            f"need at least {n_rows} dates for {what}, got {len(prices)}"
        )


def parse_frame(
    df: pd.DataFrame,
    source: str,
    *,
    cite_rows: bool = True,
    timezone: str | None = None,
    end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Dates parsed and ordered, values numeric, finite and > 0; NaN cells are left as they are.

    ``end``: only the rows dated before it are kept, and only their values are parsed.
    """
    names = [str(c).strip() for c in df.columns]
    _check_names(names, source)
    date_column = str(df.index.name) if df.index.name is not None else "date"
    dates = parse_dates(df.index, source, date_column, cite_rows=cite_rows, timezone=timezone)
    _check_order(dates, source, date_column, cite_rows)
    if end is not None:
        keep = np.asarray(dates < end)
        if not keep.any():
            raise DataError(f"{source}: no dates before {end:%Y-%m-%d}")
        df, dates = df.iloc[keep], dates[keep]
    columns = [
        parse_numbers(df.iloc[:, j], source, names[j], dates, cite_rows=cite_rows)
        for j in range(df.shape[1])
    ]
    values = np.column_stack(columns) if columns else np.empty((len(df), 0))
    _check_positive(values, names, dates, source, cite_rows)
    return pd.DataFrame(values, index=dates, columns=pd.Index(names))


def parse_dates(
    raw: pd.Index | pd.Series,
    source: str,
    column: str,
    *,
    cite_rows: bool = True,
    timezone: str | None = None,
) -> pd.DatetimeIndex:
    """Parse raw dates into a tz-naive, midnight-normalised ``DatetimeIndex`` named ``date``.

    Stamps with a time of day or a UTC offset become the market's calendar date (see
    :mod:`evofolio.data.stamps`: the local date of the stamp's own offset, or of ``timezone``
    when given); several stamps on one date (intraday data) are a :class:`DataError`.
    """
    values = pd.Index(raw)
    absent = np.asarray(pd.isna(values))
    if absent.any():
        row = int(np.argmax(absent))
        raise DataError(f"{source}: column '{column}', {_row(row, None, cite_rows)}: missing date")
    if not isinstance(values, pd.DatetimeIndex) and pd.api.types.is_numeric_dtype(values.dtype):
        values = values.astype(str)
    text, converted, had_offset = wall_times(values, timezone)
    if isinstance(text, pd.DatetimeIndex):
        wall = text
    else:
        todo = np.asarray(pd.notna(text))
        parsed = _to_datetime(pd.Index(text[todo]), None)
        if pd.isna(parsed).any():
            iso = _to_datetime(pd.Index(text[todo]), "ISO8601")  # varying precision
            if not pd.isna(iso).any():
                parsed = iso
        merged = (
            pd.Series(converted.as_unit("us"), index=pd.RangeIndex(len(text)))
            if converted is not None
            else pd.Series(pd.NaT, index=pd.RangeIndex(len(text)), dtype="datetime64[us]")
        )
        merged.iloc[np.flatnonzero(todo)] = parsed.as_unit("us")
        wall = pd.DatetimeIndex(merged)
        bad = np.asarray(pd.isna(wall))
        if bad.any():
            row = int(np.argmax(bad))
            raise DataError(
                f"{source}: column '{column}', {_row(row, None, cite_rows)}: cannot parse date "
                f"{_show(values[row])} (dates must share one format, e.g. 2020-01-31)"
            )
    check_one_per_day(wall, source, column)
    warn_weekends(wall, source, column, had_offset, timezone)
    return pd.DatetimeIndex(wall.normalize().as_unit(DATE_UNIT), name="date")


def parse_numbers(
    raw: pd.Series,
    source: str,
    column: str,
    dates: pd.DatetimeIndex | None = None,
    *,
    cite_rows: bool = True,
) -> FloatArray:
    """Convert one column to ``float64``; a non-numeric cell is an error naming it."""
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        return raw.to_numpy(dtype=np.float64, na_value=np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        numbers = pd.to_numeric(raw, errors="coerce")
    bad = np.asarray(numbers.isna() & raw.notna()) | np.asarray(
        [isinstance(v, bool | np.bool_) for v in raw]
    )
    if bad.any():
        row = int(np.argmax(bad))
        where = _row(row, dates, cite_rows)
        raise DataError(
            f"{source}: column '{column}', {where}: not a number: {_show(raw.iloc[row])}"
        )
    return numbers.to_numpy(dtype=np.float64, na_value=np.nan)


def _to_datetime(values: pd.Index, fmt: str | None) -> pd.DatetimeIndex:
    """Parse with one format (given, or inferred from the first date); failures become NaT."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "could not infer format"
        try:
            return pd.DatetimeIndex(pd.to_datetime(values, errors="coerce", format=fmt))
        except (ValueError, TypeError, OverflowError):
            return pd.DatetimeIndex([pd.NaT] * len(values))


def _check_names(names: list[str], source: str) -> None:
    seen: set[str] = set()
    for j, name in enumerate(names):
        if not name:
            raise DataError(f"{source}: column {j + 1} has no name")
        if name in seen:
            raise DataError(f"{source}: column '{name}' appears twice")
        seen.add(name)


def _check_order(dates: pd.DatetimeIndex, source: str, column: str, cite_rows: bool) -> None:
    steps = np.diff(dates.asi8)
    bad = np.flatnonzero(steps <= 0)
    if bad.size == 0:
        return
    i = int(bad[0]) + 1
    where = f"column '{column}', {_row(i, dates, cite_rows)}"
    if steps[i - 1] == 0:
        raise DataError(f"{source}: {where}: duplicate date (also on the previous row)")
    raise DataError(
        f"{source}: {where}: dates must be in ascending order, "
        f"but this comes after {_day(dates[i - 1])}"
    )


def _check_positive(
    values: FloatArray, names: list[str], dates: pd.DatetimeIndex, source: str, cite_rows: bool
) -> None:
    for mask, problem in (
        (np.isinf(values), "price is not finite"),
        (values <= 0, "price must be > 0"),
    ):
        if mask.any():
            row, col = (int(k) for k in np.argwhere(mask)[0])
            hint = _returns_hint(values) if problem.endswith("> 0") else ""
            raise DataError(
                f"{source}: column '{names[col]}', {_row(row, dates, cite_rows)}: "
                f"{problem}, got {values[row, col]:g}{hint}"
            )


def _returns_hint(values: FloatArray) -> str:
    """A hint when a table refused for a non-positive price holds returns, not prices: its
    finite values all within (-1, 1), their median size under 0.05 and 20-80 % of them
    negative (daily simple or log returns: a price series never looks so)."""
    finite = values[np.isfinite(values)]
    if finite.size < 20 or not (np.abs(finite) < 1.0).all():
        return ""
    negative = float((finite < 0).mean())
    if not 0.2 <= negative <= 0.8 or float(np.median(np.abs(finite))) >= 0.05:
        return ""
    return (
        f"; the table looks like returns, not prices (every value within ±1, {negative:.0%} "
        "of them negative): give prices, e.g. 100 * (1 + returns).cumprod()"
    )


def _row(pos: int, dates: pd.DatetimeIndex | None, cite_rows: bool) -> str:
    day = _day(dates[pos]) if dates is not None else None
    if not cite_rows and day is not None:
        return day
    return f"row {pos + 1}" + (f" ({day})" if day else "")


def _day(stamp: pd.Timestamp) -> str:
    return stamp.strftime("%Y-%m-%d")


def _show(value: object) -> str:
    text = repr(value) if isinstance(value, str) else repr(str(value))
    return text if len(text) <= 40 else text[:37] + "...'"
