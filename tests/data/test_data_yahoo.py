"""Yahoo Finance through fake downloaders shaped like yfinance.download; never the network."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest
from broken_inputs import make_prices

from evofolio.data import load_data
from evofolio.data.yahoo import close_prices, parse_tickers
from evofolio.errors import DataError

FIELDS = ("Close", "High", "Low", "Open", "Volume")


def yfinance_frame(
    tickers: list[str], n_dates: int = 40, group_by: str = "column", tz: str | None = None
) -> pd.DataFrame:
    """What ``yfinance.download(tickers, auto_adjust=True)`` returns (yfinance >= 0.2.48).

    Columns are a ``(Price, Ticker)`` MultiIndex sorted by field, tickers sorted and upper
    case; with ``group_by="ticker"`` the levels are ``(Ticker, Price)``.
    """
    ordered = sorted(tickers)
    closes = make_prices(n_dates, tuple(ordered))
    index = pd.DatetimeIndex(closes.index, name="Date")
    if tz is not None:
        index = index.tz_localize(tz)
    parts = {}
    for field in FIELDS:
        scale = {"High": 1.01, "Low": 0.99, "Open": 1.0, "Close": 1.0}.get(field)
        values = closes.to_numpy() * scale if scale else np.full(closes.shape, 1e6)
        parts[field] = pd.DataFrame(values, index=index, columns=ordered)
    frame = pd.concat(parts, axis=1, names=["Price", "Ticker"])
    if group_by == "ticker":
        frame = frame.swaplevel(0, 1, axis=1).sort_index(axis=1)
    return frame


class FakeDownloader:
    """Records its calls and returns a fixed frame (or raises)."""

    def __init__(self, result: pd.DataFrame | Exception) -> None:
        self.result = result
        self.calls: list[tuple[list[str], dict[str, Any]]] = []

    def __call__(self, tickers: list[str], **kwargs: Any) -> pd.DataFrame:
        self.calls.append((list(tickers), kwargs))
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


@pytest.mark.parametrize("group_by", ["column", "ticker"])
def test_multi_ticker_download(group_by: str) -> None:
    fake = FakeDownloader(yfinance_frame(["MSFT", "AAPL", "JPM"], group_by=group_by))
    data = load_data("yahoo: msft, AAPL ,JPM,MSFT", downloader=fake)
    assert data.assets == ["MSFT", "AAPL", "JPM"]  # the order asked for
    tickers, kwargs = fake.calls[0]
    assert tickers == ["MSFT", "AAPL", "JPM"]
    assert kwargs["auto_adjust"] is True and kwargs["period"] == "max"
    assert kwargs["progress"] is False
    expected = make_prices(40, ("AAPL", "JPM", "MSFT"))
    np.testing.assert_allclose(data.prices["JPM"].to_numpy(), expected["JPM"].to_numpy())
    assert data.prices.index.name == "date"
    assert data.market_source == "equal-weight average of the assets"


def test_timezone_aware_dates_are_made_naive() -> None:
    fake = FakeDownloader(yfinance_frame(["AAPL", "MSFT"], tz="America/New_York"))
    data = load_data("yahoo:AAPL,MSFT", downloader=fake)
    assert pd.DatetimeIndex(data.prices.index).tz is None
    assert data.prices.index[0] == pd.Timestamp("2020-01-01")


def test_single_ticker_layouts() -> None:
    multi = yfinance_frame(["AAPL"])
    flat = multi.droplevel("Ticker", axis=1).rename_axis(None, axis=1)  # multi_level_index=False
    for frame in (multi, flat):
        closes = close_prices(frame, ["AAPL"])
        assert list(closes.columns) == ["AAPL"]
        np.testing.assert_allclose(closes["AAPL"].to_numpy(), multi[("Close", "AAPL")].to_numpy())
    with pytest.raises(DataError, match="yahoo:AAPL: need at least 2 asset columns"):
        load_data("yahoo:AAPL", downloader=FakeDownloader(multi))
    with pytest.raises(DataError, match="one price series for 2 tickers"):
        close_prices(flat, ["AAPL", "MSFT"])


def test_empty_result_names_the_tickers() -> None:
    with pytest.raises(DataError, match=r"yahoo: no data returned for AAPL, MSFT"):
        load_data("yahoo:AAPL,MSFT", downloader=FakeDownloader(pd.DataFrame()))


def test_failed_ticker_is_named() -> None:
    frame = yfinance_frame(["AAPL", "MSFT", "NOPE"])
    frame.loc[:, (slice(None), "NOPE")] = np.nan  # what yfinance returns for a bad symbol
    with pytest.raises(DataError, match=r"yahoo: no prices returned for NOPE"):
        load_data("yahoo:AAPL,MSFT,NOPE", downloader=FakeDownloader(frame))


def test_no_close_field_is_an_error() -> None:
    frame = yfinance_frame(["AAPL", "MSFT"]).drop(columns="Close", level="Price")
    with pytest.raises(DataError, match=r"no 'Close' prices for AAPL, MSFT"):
        load_data("yahoo:AAPL,MSFT", downloader=FakeDownloader(frame))


def test_downloader_failure_becomes_one_line_data_error() -> None:
    boom = FakeDownloader(ConnectionError("Max retries exceeded\nwith url: query1.finance"))
    with pytest.raises(DataError) as caught:
        load_data("yahoo:AAPL,MSFT", downloader=boom)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("yahoo: download of AAPL, MSFT failed: ConnectionError: Max")


@pytest.mark.parametrize("source", ["yahoo:", "yahoo: , ,", "YAHOO:,"])
def test_no_tickers_is_an_error(source: str) -> None:
    with pytest.raises(DataError, match="no tickers given"):
        load_data(source, downloader=FakeDownloader(pd.DataFrame()))


def test_parse_tickers() -> None:
    assert parse_tickers("Yahoo:brk-b, aapl,AAPL") == ["BRK-B", "AAPL"]


def test_missing_yfinance_asks_for_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "yfinance", None)  # makes `import yfinance` fail
    with pytest.raises(DataError) as caught:
        load_data("yahoo:AAPL,MSFT")
    assert str(caught.value) == (
        "yahoo source needs the optional extra: pip install 'evofolio[yahoo]'"
    )
