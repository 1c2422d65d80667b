"""Prices from Yahoo Finance, through the optional ``yfinance`` package.

``yfinance`` is an optional extra (``pip install 'evofolio[yahoo]'``), imported only when a
``yahoo:`` source is loaded. The download function is injectable, so tests (and users behind
a cache or a proxy) never need the network: it is called as
``downloader(tickers, period="max", auto_adjust=True, progress=False, ...)`` and must return
a frame shaped like ``yfinance.download``'s: columns either a ``(Price, Ticker)`` MultiIndex
(``("Close", "AAPL")``, ...; the ticker level may come first) or, for one ticker in old
versions, flat price fields (``Open``, ``Close``, ...). With ``auto_adjust=True`` the
``Close`` field holds the split- and dividend-adjusted close.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pandas as pd

from evofolio.data.files import one_line
from evofolio.errors import DataError

logger = logging.getLogger(__name__)

PREFIX = "yahoo:"
Downloader = Callable[..., Any]
_INSTALL_HINT = "yahoo source needs the optional extra: pip install 'evofolio[yahoo]'"


def parse_tickers(source: str) -> list[str]:
    """The tickers of ``yahoo:AAPL,MSFT,...``: upper-cased (as yfinance returns them), spaces
    ignored, duplicates dropped, in the order given."""
    text = source.strip()
    body = text[len(PREFIX) :] if text.lower().startswith(PREFIX) else text
    tickers = list(dict.fromkeys(t.strip().upper() for t in body.split(",") if t.strip()))
    if not tickers:
        raise DataError(f"{source}: no tickers given; write e.g. yahoo:AAPL,MSFT,JPM")
    return tickers


def download_prices(tickers: list[str], downloader: Downloader | None = None) -> pd.DataFrame:
    """Adjusted close prices (dates x tickers, raw: not yet validated) for ``tickers``."""
    fetch = downloader if downloader is not None else _default_downloader()
    named = ", ".join(tickers)
    logger.info("downloading %d ticker(s) from Yahoo Finance: %s", len(tickers), named)
    try:
        raw = fetch(tickers, period="max", auto_adjust=True, progress=False, threads=True)
    except Exception as exc:  # the network, Yahoo and yfinance fail in many ways
        raise DataError(
            f"yahoo: download of {named} failed: {type(exc).__name__}: {one_line(exc)}"
        ) from None
    if not isinstance(raw, pd.DataFrame) or raw.empty:
        raise DataError(f"yahoo: no data returned for {named} (unknown tickers or no network?)")
    closes = close_prices(raw, tickers)
    failed = [t for t in tickers if t not in closes.columns or closes[t].isna().all()]
    if failed:
        raise DataError(
            f"yahoo: no prices returned for {', '.join(failed)} (check the ticker symbols)"
        )
    closes = closes[tickers]
    closes.index.name = "date"
    return closes


def close_prices(raw: pd.DataFrame, tickers: list[str]) -> pd.DataFrame:
    """The ``Close`` field of a ``yfinance.download`` frame, one column per ticker."""
    columns = raw.columns
    if isinstance(columns, pd.MultiIndex):
        for level in range(columns.nlevels):
            if "Close" in columns.get_level_values(level):
                closes = pd.DataFrame(raw.xs("Close", axis=1, level=level, drop_level=True))
                if isinstance(closes.columns, pd.MultiIndex):
                    closes.columns = closes.columns.get_level_values(0)
                closes.columns = pd.Index([str(c) for c in closes.columns])
                return closes
    elif "Close" in columns:
        if len(tickers) != 1:
            raise DataError(
                f"yahoo: got one price series for {len(tickers)} tickers "
                f"({', '.join(tickers)}); expected one column per ticker"
            )
        return pd.DataFrame({tickers[0]: raw["Close"]}, index=raw.index)
    found = ", ".join(str(c) for c in columns[:8])
    raise DataError(f"yahoo: no 'Close' prices for {', '.join(tickers)} (columns: {found})")


def _default_downloader() -> Downloader:
    try:
        import yfinance  # the optional extra, imported only when used
    except ImportError:
        raise DataError(_INSTALL_HINT) from None
    download: Downloader = yfinance.download
    return download
