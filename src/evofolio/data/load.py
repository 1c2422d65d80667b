"""One entry point for price data: :func:`load_data`.

Accepted sources:

* ``sp500`` (the default): 20 S&P 500 stocks, 1990-01-02 to 2022-12-28, shipped with
  skfolio (offline), with the S&P 500 index as the market series;
* a path ending in ``.csv`` or ``.parquet`` (any case): a wide or long table, see
  :mod:`evofolio.data.layout` for the layouts and how ``fmt="auto"`` tells them apart;
* ``yahoo:AAPL,MSFT,...``: adjusted closes downloaded with the optional ``yfinance``
  (see :mod:`evofolio.data.yahoo`).

Every source goes through :func:`~evofolio.data.validate.validate_prices` once, so the
prices of a :class:`MarketData` are always clean. The market series is the source's own
(sp500), the one named by ``market`` (see :mod:`evofolio.data.market`), or else the
equal-weight average of the assets.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from evofolio.data.files import is_table_path, looks_like_path, read_table
from evofolio.data.layout import FORMATS, Format, to_wide
from evofolio.data.market import EQUAL_WEIGHT_SOURCE, load_market
from evofolio.data.missing import MissingPolicy, MissingReport
from evofolio.data.returns import equal_weight_index
from evofolio.data.validate import validate_prices
from evofolio.data.yahoo import PREFIX, Downloader, download_prices, parse_tickers
from evofolio.errors import DataError

logger = logging.getLogger(__name__)

SP500 = "sp500"
ACCEPTED = "'sp500', 'yahoo:TICKER,TICKER,...' or a path to a .csv or .parquet file"


@dataclass(frozen=True, eq=False)
class MarketData:
    """Validated prices (dates x assets) and the market series on the same dates.

    ``source`` and ``market_source`` say where each came from, in words fit for a report;
    ``report`` is what the missing-data policy found and did. (``eq=False``: records holding
    frames compare by identity.)
    """

    prices: pd.DataFrame
    market: pd.Series
    source: str
    market_source: str
    report: MissingReport

    @property
    def assets(self) -> list[str]:
        """The asset names, in column order."""
        return [str(c) for c in self.prices.columns]


def load_data(
    source: str = SP500,
    *,
    fmt: Format = "auto",
    market: str | None = None,
    policy: MissingPolicy | None = None,
    downloader: Downloader | None = None,
) -> MarketData:
    """Load, validate and align prices and a market series; see the module doc for sources.

    ``fmt`` applies to files only; ``downloader`` to ``yahoo:`` sources only (default
    ``yfinance.download``); ``policy`` defaults to :class:`MissingPolicy()`.
    """
    if fmt not in FORMATS:
        raise DataError(f"unknown format '{fmt}': expected one of {', '.join(FORMATS)}")
    policy = policy or MissingPolicy()
    text = source.strip()
    if text.lower() == SP500:
        raw, cite_rows = _sp500_prices(), False
    elif text.lower().startswith(PREFIX):
        raw, cite_rows = download_prices(parse_tickers(text), downloader), False
    elif is_table_path(text):
        raw, cite_rows = to_wide(read_table(text), text, fmt)
    elif text and looks_like_path(text):
        suffix = Path(text).suffix or "(none)"
        raise DataError(
            f"{text}: unsupported file type '{suffix}': expected a .csv or .parquet file"
        )
    else:
        raise DataError(f"unknown data source '{text}': expected {ACCEPTED}")
    prices, report = validate_prices(raw, text, policy, cite_rows=cite_rows)

    if market is None and text.lower() == SP500:
        market = SP500
    if market is not None:
        series, market_source = load_market(market, pd.DatetimeIndex(prices.index), policy)
    else:
        series, market_source = equal_weight_index(prices), EQUAL_WEIGHT_SOURCE
    logger.info(
        "loaded %s: %d dates x %d assets, %s to %s; market: %s",
        text,
        len(prices),
        prices.shape[1],
        f"{prices.index[0]:%Y-%m-%d}",
        f"{prices.index[-1]:%Y-%m-%d}",
        market_source,
    )
    return MarketData(prices, series, text, market_source, report)


def _sp500_prices() -> pd.DataFrame:
    """The 20-stock S&P 500 dataset shipped with skfolio, as a raw wide frame."""
    from skfolio.datasets import load_sp500_dataset  # heavy import, done only when used

    frame = load_sp500_dataset()
    return pd.DataFrame(
        frame.to_numpy(dtype=np.float64),
        index=pd.DatetimeIndex(frame.index, name="date"),
        columns=pd.Index([str(c) for c in frame.columns]),
    )
