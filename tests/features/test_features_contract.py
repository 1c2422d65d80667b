"""Contract tests run on every registered feature: shape, warm-up and causality."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evofolio.features import FEATURES, Feature

ALL_FEATURES = sorted(FEATURES)
CUT_DAYS = (3, 300, 451)  # the last day left untouched (3: inside every warm-up)


def _perturb_after(
    prices: pd.DataFrame, market: pd.Series, day: int, seed: int
) -> tuple[pd.DataFrame, pd.Series]:
    """Multiply prices and market strictly after row ``day`` by random positive factors."""
    rng = np.random.default_rng(seed)
    new_prices = prices.copy()
    new_market = market.copy()
    tail = len(prices) - day - 1
    new_prices.iloc[day + 1 :] *= rng.uniform(0.8, 1.25, (tail, prices.shape[1]))
    new_market.iloc[day + 1 :] *= rng.uniform(0.8, 1.25, tail)
    return new_prices, new_market


@pytest.mark.parametrize("name", ALL_FEATURES)
def test_each_registered_feature_is_named_and_described(name: str) -> None:
    feature = FEATURES[name]
    assert isinstance(feature, Feature)
    assert feature.name == name
    assert feature.warmup >= 0
    assert feature.description


@pytest.mark.parametrize("name", ALL_FEATURES)
def test_shape_index_and_warmup(
    name: str, prices_and_market: tuple[pd.DataFrame, pd.Series]
) -> None:
    prices, market = prices_and_market
    feature = FEATURES[name]
    out = feature.fn(prices, market)
    assert isinstance(out, pd.DataFrame)
    assert out.shape == prices.shape
    assert out.index.equals(prices.index)
    assert out.columns.equals(prices.columns)
    values = out.to_numpy(dtype=np.float64)
    assert np.isnan(values[: feature.warmup]).all(), "values before the warm-up must be NaN"
    assert np.isfinite(values[feature.warmup :]).all(), "values after the warm-up must be finite"


@pytest.mark.parametrize("day", CUT_DAYS)
@pytest.mark.parametrize("name", ALL_FEATURES)
def test_causal_under_perturbation_of_the_future(
    name: str, day: int, prices_and_market: tuple[pd.DataFrame, pd.Series]
) -> None:
    prices, market = prices_and_market
    fn = FEATURES[name].fn
    before = fn(prices, market).to_numpy()
    new_prices, new_market = _perturb_after(prices, market, day, seed=day)
    after = fn(new_prices, new_market).to_numpy()
    np.testing.assert_array_equal(after[: day + 1], before[: day + 1])
    changed = ~np.isclose(after[day + 1 :], before[day + 1 :], rtol=1e-9, atol=0.0)
    assert changed.any(), "perturbing the future changed nothing: the test is vacuous"


@pytest.mark.parametrize("name", ALL_FEATURES)
def test_causal_under_truncation(
    name: str, prices_and_market: tuple[pd.DataFrame, pd.Series]
) -> None:
    prices, market = prices_and_market
    fn = FEATURES[name].fn
    full = fn(prices, market).to_numpy()
    for day in (3, 280, 420):
        short = fn(prices.iloc[: day + 1], market.iloc[: day + 1]).to_numpy()
        np.testing.assert_array_equal(short, full[: day + 1])


@pytest.mark.parametrize("name", ALL_FEATURES)
def test_flat_prices_stay_finite(name: str) -> None:
    dates = pd.bdate_range("2001-01-01", periods=300)
    prices = pd.DataFrame({"flat": np.full(300, 50.0), "up": np.linspace(10.0, 20.0, 300)}, dates)
    market = pd.Series(np.full(300, 7.0), index=dates)
    feature = FEATURES[name]
    values = feature.fn(prices, market).to_numpy(dtype=np.float64)
    assert np.isfinite(values[feature.warmup :]).all()
