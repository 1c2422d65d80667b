"""The market series: a file (with or without a column), sp500, or the equal-weight proxy."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evofolio.data import MissingPolicy, load_data
from evofolio.data.market import split_market_spec
from evofolio.errors import DataError


def _index(prices: pd.DataFrame, columns: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({name: scale * prices.mean(axis=1) for name, scale in columns.items()})


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("m.csv", ("m.csv", None)),
        ("m.CSV:SPX", ("m.CSV", "SPX")),
        ("dir/m.parquet:Close Price", ("dir/m.parquet", "Close Price")),
        ("C:/data/m.csv", ("C:/data/m.csv", None)),
        ("C:/data/m.csv:SPX", ("C:/data/m.csv", "SPX")),
        ("m.csv:", ("m.csv:", None)),
        ("sp500", ("sp500", None)),
    ],
)
def test_split_market_spec(spec: str, expected: tuple[str, str | None]) -> None:
    assert split_market_spec(spec) == expected


def test_equal_weight_fallback_is_logged(
    prices: pd.DataFrame, write_wide: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="evofolio.data"):
        data = load_data(str(write_wide(prices)))
    assert data.market_source == "equal-weight average of the assets"
    assert "equal-weight average of the 3 assets" in caplog.text
    assert data.market.index.equals(data.prices.index)
    assert data.market.iloc[0] == 1.0
    expected = np.cumprod(1.0 + np.r_[0.0, (prices.pct_change().iloc[1:]).mean(axis=1)])
    np.testing.assert_allclose(data.market.to_numpy(), expected)


def test_market_file_with_one_value_column(
    prices: pd.DataFrame, write_wide: Callable[..., Path]
) -> None:
    market = write_wide(_index(prices, {"SPX": 1.0}), "index.parquet")
    data = load_data(str(write_wide(prices)), market=str(market))
    assert data.market.name == "SPX"
    assert data.market_source == f"{market} column 'SPX'"
    np.testing.assert_allclose(data.market.to_numpy(), prices.mean(axis=1).to_numpy())


def test_market_file_with_a_named_column(
    prices: pd.DataFrame, write_wide: Callable[..., Path]
) -> None:
    market = write_wide(_index(prices, {"SPX": 1.0, "NDX": 2.0}), "indices.csv")
    data = load_data(str(write_wide(prices)), market=f"{market}:NDX")
    np.testing.assert_allclose(data.market.to_numpy(), 2.0 * prices.mean(axis=1).to_numpy())
    with pytest.raises(DataError, match=r"indices\.csv: 2 value columns \('SPX', 'NDX'\)"):
        load_data(str(write_wide(prices)), market=str(market))
    with pytest.raises(DataError, match=r"no column 'DJI' .*columns are 'SPX', 'NDX'"):
        load_data(str(write_wide(prices)), market=f"{market}:DJI")


def test_market_on_other_dates_is_aligned_and_gaps_filled(
    prices: pd.DataFrame, write_wide: Callable[..., Path]
) -> None:
    index = _index(prices, {"SPX": 1.0})
    extra = pd.DataFrame({"SPX": [5.0]}, index=pd.DatetimeIndex(["2020-01-04"], name="date"))
    index = pd.concat([index.drop(prices.index[20:23]), extra]).sort_index()
    data = load_data(str(write_wide(prices)), market=str(write_wide(index, "m.csv")))
    assert data.market.index.equals(data.prices.index)
    assert (data.market.iloc[20:23] == index.loc[prices.index[19], "SPX"]).all()


def test_market_must_cover_the_prices(
    prices: pd.DataFrame, write_wide: Callable[..., Path]
) -> None:
    index = _index(prices, {"SPX": 1.0})
    path = str(write_wide(prices))
    late = write_wide(index.iloc[3:], "late.csv")
    with pytest.raises(DataError, match=r"late\.csv: column 'SPX': no market value on or before the first"):
        load_data(path, market=str(late))
    holed = write_wide(index.drop(index.index[30:37]), "holed.csv")
    with pytest.raises(DataError, match=r"holed\.csv: column 'SPX': 7 consecutive missing"):
        load_data(path, market=str(holed))
    assert (
        load_data(path, market=str(holed), policy=MissingPolicy(7, max_missing_frac=0.2))
        .market.notna()
        .all()
    )


def test_market_values_are_validated(prices: pd.DataFrame, write_wide: Callable[..., Path]) -> None:
    index = _index(prices, {"SPX": 1.0})
    index.iloc[4, 0] = -1.0
    bad = write_wide(index, "bad.csv")
    with pytest.raises(
        DataError, match=r"bad\.csv: column 'SPX', row 5 \(2020-01-07\): price must"
    ):
        load_data(str(write_wide(prices)), market=str(bad))


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("nowhere.csv", "file not found: nowhere.csv"),
        ("index.txt", "market 'index.txt': expected sp500 or a .csv/.parquet"),
    ],
)
def test_bad_market_specs(
    prices: pd.DataFrame, write_wide: Callable[..., Path], spec: str, match: str
) -> None:
    with pytest.raises(DataError, match=match):
        load_data(str(write_wide(prices)), market=spec)


def test_sp500_market_for_a_file_source(tmp_path: Path) -> None:
    dates = pd.bdate_range("2010-01-04", periods=30, name="date")
    sp500 = load_data("sp500").prices
    prices = sp500.loc[sp500.index.isin(dates), ["AAPL", "MSFT"]]
    path = tmp_path / "two.csv"
    prices.to_csv(path, date_format="%Y-%m-%d")
    data = load_data(str(path), market="sp500")
    assert data.market_source == "S&P 500 index (skfolio)"
    assert data.market.index.equals(data.prices.index)
    assert data.market.notna().all()
