"""Tables saved straight from ``yfinance.download``: two-level columns, one price level read.

Since yfinance 0.2.51 ``yf.download`` returns columns with two levels, ``Price`` (the field:
``Adj Close``, ``Close``, ``High``, ``Low``, ``Open``, ``Volume``) and ``Ticker`` (the symbol),
in either order. Saved with ``to_parquet`` the two levels survive; saved with ``to_csv`` they
become a header of two lines (``Price,...`` and ``Ticker,...``) followed by a third line
holding the index name (``Date,,,``). Older versions wrote the same header with an empty
first cell. :func:`price_level` keeps the adjusted close (``Adj Close``) when the table has
it, else the close (``Close``, which yfinance adjusts for splits and dividends when called
with ``auto_adjust=True``, its default since 0.2.51), with an info line saying which.
"""

from __future__ import annotations

import csv
import logging

import pandas as pd

from evofolio.errors import DataError

logger = logging.getLogger(__name__)

PRICE_FIELDS = ("Adj Close", "Close")


def is_yf_csv_header(lines: list[str]) -> int:
    """How many header lines a yfinance CSV has (2 or 3), or 0 when ``lines`` is not one.

    Recognised: a first line whose names after the first cell repeat and include ``Close``
    or ``Adj Close``, followed by a line of tickers.
    """
    if len(lines) < 3:
        return 0
    rows = list(csv.reader(lines[:3]))
    fields = [cell.strip() for cell in rows[0][1:]]
    if len(set(fields)) == len(fields) or not set(PRICE_FIELDS) & set(fields):
        return 0
    third = rows[2]
    blank_rest = all(not cell.strip() for cell in third[1:])
    return 3 if third and third[0].strip() and blank_rest else 2


def price_level(table: pd.DataFrame, source: str) -> pd.DataFrame:
    """The ``Adj Close`` (else ``Close``) prices of a two-level table, one column per ticker."""
    columns = table.columns
    if not isinstance(columns, pd.MultiIndex) or columns.nlevels != 2:
        levels = columns.nlevels if isinstance(columns, pd.MultiIndex) else 1
        raise DataError(f"{source}: {levels}-level columns; expected two (Price/Ticker)")
    for field in PRICE_FIELDS:
        for level in (0, 1):
            values = [str(v).strip() for v in columns.get_level_values(level)]
            if field not in values:
                continue
            chosen = table.loc[:, [v == field for v in values]]
            tickers = [str(c).strip() for c in chosen.columns.get_level_values(1 - level)]
            fields = sorted(set(values) - {field})
            logger.info(
                "%s: a yfinance.download table (two-level columns %s): reading the '%s' "
                "prices of %d ticker(s); ignoring %s",
                source,
                "/".join(str(n) for n in columns.names),
                field,
                len(tickers),
                ", ".join(fields) or "nothing else",
            )
            return pd.DataFrame(
                chosen.to_numpy(), index=table.index, columns=pd.Index(tickers), copy=False
            )
    found = sorted({str(v) for level in columns.levels for v in level})[:8]
    raise DataError(
        f"{source}: two-level columns without an 'Adj Close' or 'Close' level "
        f"(found {', '.join(found)}); save one price field per asset"
    )
