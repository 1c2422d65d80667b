"""Wide and long price tables, and how to tell them apart.

* **wide**: a date column and one price column per asset.
* **long**: a date column, an asset column and a price column, one row per (date, asset);
  pivoted to wide here, with the assets in sorted order (whatever the order of the rows).

Column names are matched leniently: case, spaces and dashes are ignored, so ``Adj Close``,
``adj-close`` and ``ADJ_CLOSE`` are the same name. The date column is the first column named
one of :data:`DATE_NAMES`, else the first column. ``fmt="auto"`` reads a table as long when

* exactly one non-date column has an asset-like name (:data:`ASSET_NAMES`) and text values
  or repeating integer codes (numeric exchange codes such as ``000001``), and a price column
  can be found (named one of :data:`PRICE_NAMES`, in that order of preference, else the
  only numeric column); or
* there are exactly two non-date columns, one numeric and one of text values that look like
  asset ids (mostly not numbers, and repeating); or
* dates repeat and exactly one non-date column not named like a price holds text or
  repeating integers, and a price column can be found besides it;

and as wide otherwise. ``fmt="long"`` finds the asset column by name, else as the only text
column, and the price column as above.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd

from evofolio.data.checks import parse_dates, parse_numbers
from evofolio.data.fields import FIELDS, asset_ids, choose_price, compact, read_note, select_fielded
from evofolio.errors import DataError

logger = logging.getLogger(__name__)

Format = Literal["auto", "wide", "long"]
FORMATS: tuple[Format, ...] = ("auto", "wide", "long")

DATE_NAMES = ("date", "datetime", "timestamp", "time", "day")
ASSET_NAMES = (
    "asset",
    "ticker",
    "symbol",
    "asset_id",
    "security",
    "instrument",
    "name",
    "id",
    "code",
    "isin",
    "permno",
    "permco",
    "secid",
    "sedol",
    "cusip",
    "figi",
    "ric",
    "gvkey",
)
PRICE_NAMES = (
    "adj_close",
    "adjclose",
    "adjusted_close",
    "adj_price",
    "close",
    "price",
    "px_last",
    "last",
    "value",
)


def key(name: object) -> str:
    """A column name for lenient matching: lower case, spaces and dashes as underscores."""
    return str(name).strip().lower().replace(" ", "_").replace("-", "_")


def date_column(table: pd.DataFrame) -> str:
    """The name of the date column: the first one with a date-like name, else the first."""
    for column in table.columns:
        if key(column) in DATE_NAMES:
            return str(column)
    return str(table.columns[0])


def to_wide(
    table: pd.DataFrame,
    source: str,
    fmt: Format = "auto",
    *,
    timezone: str | None = None,
    price_column: str | None = None,
    text_of: Callable[[str], pd.Series] | None = None,
) -> tuple[pd.DataFrame, bool]:
    """The table as wide (raw dates in the index), and whether its rows are the file's rows.

    ``timezone`` is used by a long table, whose dates are parsed here (see
    :func:`~evofolio.data.checks.parse_dates`); a wide table's dates are parsed later.
    ``price_column`` (``data.price_column``) names the price column of a long table, or the
    field of a wide one whose columns are asset-field pairs (:mod:`.fields`; default: the
    adjusted close when there is one). ``text_of(column)``: the column's cells as the file
    wrote them (a CSV's ``NA`` is a ticker, not a missing value), for the asset ids.
    """
    if fmt not in FORMATS:
        raise DataError(f"{source}: unknown format '{fmt}': expected one of {', '.join(FORMATS)}")
    table = table.rename(columns=str)
    dates = date_column(table)
    long = _detect_long(table, dates, source, price_column) if fmt == "auto" else None
    if fmt == "long":
        long = _long_columns(table, dates, source, price_column)
    if long is None:
        fielded = select_fielded(table, dates, source, price_column)
        if fielded is not None:
            table = fielded
        elif price_column is not None:
            raise DataError(
                f"{source}: data.price_column = '{price_column}' names no price column or "
                "field of this table (a wide table's columns are its assets)"
            )
        return table.set_index(dates), True
    ids = text_of(long[0]) if text_of is not None else None
    return pivot_long(table, source, dates, *long, timezone=timezone, ids=ids), False


def pivot_long(
    table: pd.DataFrame,
    source: str,
    dates: str,
    assets: str,
    prices: str,
    *,
    timezone: str | None = None,
    ids: pd.Series | None = None,
) -> pd.DataFrame:
    """Pivot a long table to wide, checking dates, ids, prices and (date, asset) duplicates.

    Asset ids are text: ``ids`` (default ``table[assets]``) holds them as the file wrote
    them; numbers read as numbers become their integer text (:func:`.fields.asset_ids`); only
    an empty cell is a missing id.
    """
    when = parse_dates(table[dates], source, dates, timezone=timezone)
    texts = asset_ids(table[assets] if ids is None else ids)
    absent = np.asarray(texts.isna()) | np.asarray(texts.map(lambda v: v == ""))
    if absent.any():
        row = int(np.argmax(absent))
        raise DataError(f"{source}: column '{assets}', row {row + 1}: missing asset id")
    names = texts.astype(str)
    values = parse_numbers(table[prices], source, prices, when)
    day_codes, days = pd.factorize(when, sort=True)
    asset_codes, uniques = pd.factorize(names, sort=True)  # assets sorted by name
    cell = day_codes.astype(np.int64) * len(uniques) + asset_codes
    counts = np.bincount(cell, minlength=len(days) * len(uniques))
    twice = counts[cell] > 1
    if twice.any():
        first = int(np.argmax(twice))
        rows = " and ".join(str(int(r) + 1) for r in np.flatnonzero(cell == cell[first])[:2])
        raise DataError(
            f"{source}: asset '{names.iloc[first]}', date {when[first]:%Y-%m-%d}: "
            f"listed more than once (rows {rows})"
        )
    grid = np.full((len(days), len(uniques)), np.nan)
    grid[day_codes, asset_codes] = values
    columns = pd.Index([str(c) for c in uniques])
    return pd.DataFrame(grid, index=pd.DatetimeIndex(days, name="date"), columns=columns)


def _detect_long(
    table: pd.DataFrame, dates: str, source: str, price_column: str | None
) -> tuple[str, str] | None:
    others = [c for c in table.columns if c != dates]
    texts = [c for c in others if _is_text(table[c])]
    named = [
        c
        for c in others
        if key(c) in ASSET_NAMES and (_may_be_ids(table[c]) or _float_codes(table[c]))
    ]
    if len(named) == 1:
        price = _price_column(table, others, named[0], source, price_column)
        return None if price is None else (named[0], price)
    if len(others) == 2 and len(texts) == 1 and _looks_like_ids(table[texts[0]]):
        other = others[1] if others[0] == texts[0] else others[0]
        if pd.api.types.is_numeric_dtype(table[other].dtype):
            return texts[0], other
    if table[dates].duplicated().any():
        ids = [
            c
            for c in others
            if key(c) not in PRICE_NAMES and compact(c) not in FIELDS and _may_be_ids(table[c])
        ]
        if len(ids) == 1:
            price = _price_column(table, others, ids[0], source, price_column)
            return None if price is None else (ids[0], price)
    return None


def _long_columns(
    table: pd.DataFrame, dates: str, source: str, price_column: str | None
) -> tuple[str, str]:
    others = [c for c in table.columns if c != dates]
    listing = ", ".join(f"'{c}'" for c in table.columns)
    named = [c for c in others if key(c) in ASSET_NAMES]
    texts = [c for c in others if _is_text(table[c])]
    candidates = named or texts
    if len(candidates) != 1:
        raise DataError(
            f"{source}: cannot read as long format: need one asset column "
            f"(named {'/'.join(ASSET_NAMES[:3])}/{'/'.join(ASSET_NAMES[8:])}); "
            f"columns are {listing}"
        )
    price = _price_column(table, others, candidates[0], source, price_column)
    if price is None:
        raise DataError(
            f"{source}: cannot read as long format: need one price column "
            f"(named {'/'.join(PRICE_NAMES[:6])}); columns are {listing}"
        )
    return candidates[0], price


def _price_column(
    table: pd.DataFrame, others: list[str], assets: str, source: str, price_column: str | None
) -> str | None:
    """The price column of a long table: ``price_column`` if given, else the adjusted close
    when there is one (:func:`.fields.choose_price`, an info line naming the raw close left
    aside), else the first of :data:`PRICE_NAMES`, else the only numeric column."""
    candidates = [c for c in others if c != assets]
    chosen, ignored = choose_price(candidates, source, price_column)
    if chosen is not None:
        if ignored:
            logger.info("%s: reading the price column %s", source, read_note(chosen, ignored))
        return chosen
    by_key = {key(c): c for c in candidates}
    for name in PRICE_NAMES:
        if name in by_key:
            return by_key[name]
    numeric = [c for c in candidates if pd.api.types.is_numeric_dtype(table[c].dtype)]
    if len(numeric) == 1:
        return numeric[0]
    return candidates[0] if len(candidates) == 1 else None


def _is_text(column: pd.Series) -> bool:
    dtype = column.dtype
    return not (
        pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
    )


def _may_be_ids(column: pd.Series) -> bool:
    """Text, or integer codes that repeat (one row per date and asset), can be asset ids."""
    if _is_text(column):
        return True
    return bool(pd.api.types.is_integer_dtype(column.dtype) and column.duplicated().any())


def _float_codes(column: pd.Series) -> bool:
    """Integer codes stored as floats (a ``permno`` column after a join) that repeat."""
    if not pd.api.types.is_float_dtype(column.dtype):
        return False
    values = column.dropna()
    return bool(len(values) and (values == np.round(values)).all() and values.duplicated().any())


def _looks_like_ids(column: pd.Series) -> bool:
    values = column.dropna().astype(str)
    if values.empty or values.nunique() == len(values):
        return False
    numeric = pd.to_numeric(values, errors="coerce").notna().mean()
    return bool(numeric < 0.5)
