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
    with pytest.raises(
        DataError, match=r"late\.csv: column 'SPX': no market value on or before the first"
    ):
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


def test_market_share_missing_past_the_limit_is_an_error(
    prices: pd.DataFrame, write_wide: Callable[..., Path]
) -> None:
    index = _index(prices, {"IDX": 1.0})
    fridays = index.index[index.index.day_of_week == 4]
    shifted = index.rename(index={d: d + pd.Timedelta(days=1) for d in fridays})  # to Saturday
    path = str(write_wide(prices))
    with pytest.raises(DataError) as caught:
        load_data(path, market=str(write_wide(shifted, "shifted.csv")))
    share = 100 * len(fridays) / len(prices)
    first = ", ".join(f"{d:%Y-%m-%d}" for d in fridays[:3])
    assert f"shifted.csv: column 'IDX': no market value on {len(fridays)} of the 60" in str(
        caught.value
    )
    assert f"({share:.1f} % > max_missing_frac=0.1), first {first}" in str(caught.value)


def test_market_on_shifted_dates_never_reads_a_later_value(
    prices: pd.DataFrame, write_wide: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    """As-of, backward only: beta features up to t ignore market values dated after t."""
    from evofolio.features import build_panel

    prices = pd.concat([prices] * 5, ignore_index=True)  # 300 dates for a 63-day beta
    prices.index = pd.bdate_range("2020-01-01", periods=300, name="date")
    prices *= np.exp(np.random.default_rng(7).normal(0, 0.01, prices.shape).cumsum(axis=0))
    index = pd.DataFrame(
        {"IDX": 100 * np.exp(np.random.default_rng(8).normal(0, 0.01, 300).cumsum())},
        index=prices.index,
    )
    fridays = index.index[index.index.day_of_week == 4][20:25]  # 5 closes stamped on Saturday
    shifted = index.rename(index={d: d + pd.Timedelta(days=1) for d in fridays})
    t = fridays[2]  # a price date whose own market value is dated t + 1
    perturbed = shifted.copy()
    perturbed.loc[perturbed.index > t, "IDX"] *= 1.5
    path = str(write_wide(prices))
    with caplog.at_level(logging.WARNING, logger="evofolio"):
        data = load_data(path, market=str(write_wide(shifted, "m1.csv")))
    assert "m1.csv: column 'IDX': no market value on 5 of the 300 price dates" in caplog.text
    other = load_data(path, market=str(write_wide(perturbed, "m2.csv")))
    assert data.market.loc[t] == index.loc[t - pd.Timedelta(days=1), "IDX"]  # Thursday's close
    names = ["beta_63"]
    panel = build_panel(data.prices, names, data.market)
    before, after = panel.values, build_panel(other.prices, names, other.market).values
    upto = int(panel.dates.get_loc(t)) + 1
    assert np.isfinite(before[upto - 1]).all()
    np.testing.assert_array_equal(before[:upto], after[:upto])
    assert not np.allclose(before[upto:], after[upto:])
