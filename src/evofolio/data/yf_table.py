"""Tables saved straight from ``yfinance.download``: two-level columns, one price level read.

Since yfinance 0.2.51 ``yf.download`` returns columns with two levels, ``Price`` (the field:
``Adj Close``, ``Close``, ``High``, ``Low``, ``Open``, ``Volume``) and ``Ticker`` (the symbol),
in either order. Saved with ``to_parquet`` the two levels survive; saved with ``to_csv`` they
become a header of two lines (``Price,...`` and ``Ticker,...``) followed by a third line
holding the index name (``Date,,,``). Older versions wrote the same header with an empty
first cell. :func:`price_level` keeps the adjusted close (``Adj Close``) when the table has
it, else the close (``Close``, which yfinance adjusts for splits and dividends when called
with ``auto_adjust=True``, its default since 0.2.51), with an info line saying which; the
fields are matched as :mod:`.fields` matches them, and ``data.price_column`` chooses another.
"""

from __future__ import annotations

import csv
import logging

import pandas as pd

from evofolio.data.fields import (
    FIELDS,
    adjusted_note,
    asset_name,
    choose_price,
    compact,
    is_close,
)
from evofolio.errors import DataError

logger = logging.getLogger(__name__)

PRICE_FIELDS = ("Adj Close", "Close")


def is_yf_csv_header(lines: list[str]) -> int:
    """How many header lines a yfinance CSV has (2 or 3), or 0 when ``lines`` is not one.

    Recognised: a first line whose names after the first cell repeat and include a close
    (``Close``, ``Adj Close``, or another vendor's, see :mod:`.fields`), followed by a line
    of tickers.
    """
    if len(lines) < 3:
        return 0
    rows = list(csv.reader(lines[:3]))
    fields = [cell.strip() for cell in rows[0][1:]]
    if len(set(fields)) == len(fields) or not any(is_close(f) for f in fields):
        return 0
    third = rows[2]
    blank_rest = all(not cell.strip() for cell in third[1:])
    return 3 if third and third[0].strip() and blank_rest else 2


def price_level(table: pd.DataFrame, source: str, price_column: str | None = None) -> pd.DataFrame:
    """The adjusted close (``Adj Close``, else ``Close``: :func:`.fields.choose_price`) of a
    two-level table, one column per ticker; ``price_column`` (``data.price_column``) chooses
    another field."""
    columns = table.columns
    if not isinstance(columns, pd.MultiIndex) or columns.nlevels != 2:
        count = columns.nlevels if isinstance(columns, pd.MultiIndex) else 1
        raise DataError(f"{source}: {count}-level columns; expected two (Price/Ticker)")
    names = [[str(v).strip() for v in columns.get_level_values(k)] for k in (0, 1)]
    share = [sum(compact(v) in FIELDS for v in values) / len(values) for values in names]
    level = 0 if share[0] >= share[1] else 1
    values = names[level]
    if share[level] > 0:
        fields = list(dict.fromkeys(values))
        field, ignored = choose_price(fields, source, price_column, what="field")
        if field is not None:
            chosen = table.loc[:, [v == field for v in values]]
            tickers = [asset_name(c) for c in chosen.columns.get_level_values(1 - level)]
            rest = [f for f in fields if f != field]
            logger.info(
                "%s: a yfinance.download table (two-level columns %s): reading the '%s' "
                "prices of %d ticker(s)%s; ignoring %s",
                source,
                "/".join(str(n) for n in columns.names),
                field,
                len(tickers),
                adjusted_note(ignored),
                ", ".join(rest) or "nothing else",
            )
            return pd.DataFrame(
                chosen.to_numpy(), index=table.index, columns=pd.Index(tickers), copy=False
            )
    found = sorted({str(v) for level in columns.levels for v in level})[:8]
    raise DataError(
        f"{source}: two-level columns without an 'Adj Close' or 'Close' level "
        f"(found {', '.join(found)}); save one price field per asset"
    )
