"""Model 2's strategy features: registry contract (causal, warm-up), alignment, the panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evofolio.allocators.strategy_panel import StrategyPanel, build_strategy_panel
from evofolio.errors import ConfigError, InsufficientHistoryError
from evofolio.features.strategy_features import (
    STRATEGY_FEATURES,
    StrategyFeature,
    StrategyInputs,
    build_strategy_panel_features,
    strategy_inputs,
)

ALL = sorted(STRATEGY_FEATURES)
NAMES = ["equal_weight", "inverse_vol", "min_variance"]


def synthetic_inputs(n_days: int = 300, seed: int = 0) -> StrategyInputs:
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2001-01-01", periods=n_days)
    cols = ["s0", "s1", "s2"]
    returns = pd.DataFrame(rng.normal(0.0004, 0.01, (n_days, 3)), index=dates, columns=cols)
    traded = rng.uniform(0.0, 0.5, (n_days, 3)) * (rng.random((n_days, 3)) < 0.1)
    return StrategyInputs(returns, pd.DataFrame(traded, index=dates, columns=cols))


def perturbed_after(inputs: StrategyInputs, day: int) -> StrategyInputs:
    rng = np.random.default_rng(day)
    returns, turnover = inputs.returns.copy(), inputs.turnover.copy()
    tail = (len(returns) - day - 1, returns.shape[1])
    returns.iloc[day + 1 :] += rng.normal(0.0, 0.02, tail)
    turnover.iloc[day + 1 :] = rng.uniform(0.0, 1.0, tail)
    return StrategyInputs(returns, turnover)


def _panel_and_prices(prices: pd.DataFrame) -> tuple[StrategyPanel, StrategyInputs]:
    panel = build_strategy_panel(prices, NAMES, window=60)
    inputs = strategy_inputs(panel.returns(), panel.held(), prices)
    return panel, inputs


def test_registry_entries() -> None:
    assert set(STRATEGY_FEATURES) == {"ret_1", "vol_21", "drawdown", "sharpe_63", "turnover"}
    for name, feature in STRATEGY_FEATURES.items():
        assert isinstance(feature, StrategyFeature)
        assert feature.name == name and feature.warmup >= 0 and feature.description


@pytest.mark.parametrize("name", ALL)
def test_shape_and_warmup(name: str) -> None:
    inputs = synthetic_inputs()
    feature = STRATEGY_FEATURES[name]
    out = feature.fn(inputs)
    assert out.index.equals(inputs.returns.index)
    assert out.columns.equals(inputs.returns.columns)
    values = out.to_numpy(dtype=np.float64)
    assert np.isnan(values[: feature.warmup]).all()
    assert np.isfinite(values[feature.warmup :]).all()


@pytest.mark.parametrize("day", [5, 100, 250])
@pytest.mark.parametrize("name", ALL)
def test_causal_under_perturbation_of_the_future(name: str, day: int) -> None:
    inputs = synthetic_inputs()
    fn = STRATEGY_FEATURES[name].fn
    before = fn(inputs).to_numpy()
    after = fn(perturbed_after(inputs, day)).to_numpy()
    np.testing.assert_array_equal(after[: day + 1], before[: day + 1])
    assert not np.allclose(after[day + 1 :], before[day + 1 :], equal_nan=True)


@pytest.mark.parametrize("name", ALL)
def test_causal_under_truncation(name: str) -> None:
    inputs = synthetic_inputs()
    fn = STRATEGY_FEATURES[name].fn
    full = fn(inputs).to_numpy()
    for day in (10, 120, 280):
        short = StrategyInputs(inputs.returns.iloc[: day + 1], inputs.turnover.iloc[: day + 1])
        np.testing.assert_array_equal(fn(short).to_numpy(), full[: day + 1])


def test_values_on_a_hand_case() -> None:
    dates = pd.bdate_range("2001-01-01", periods=4)
    returns = pd.DataFrame({"a": [0.1, -0.5, 0.2, 1.0]}, index=dates)
    inputs = StrategyInputs(returns, returns * 0.0)
    dd = STRATEGY_FEATURES["drawdown"].fn(inputs)["a"].to_numpy()
    np.testing.assert_allclose(dd, [0.0, -0.5, -0.4, 0.0])


def test_inputs_are_aligned_on_information_dates(prices: pd.DataFrame) -> None:
    panel, inputs = _panel_and_prices(prices)
    returns = panel.returns()
    assert inputs.returns.index[0] == returns.index[0] == prices.index[61]
    pd.testing.assert_frame_equal(inputs.returns, returns.loc[inputs.returns.index])
    # the trade made at the close of t is stored by the panel on the next date, t + 1
    traded_next = panel.turnover().shift(-1).loc[inputs.turnover.index]
    pd.testing.assert_frame_equal(inputs.turnover.iloc[:-1], traded_next.iloc[:-1])
    # monthly rules trade on the first trading day of each month and drift in between
    first_of_month = inputs.turnover.index.month != inputs.turnover.index.shift(-1, "B").month
    assert (inputs.turnover.loc[~first_of_month, "min_variance"] < 1e-12).all()
    assert (inputs.turnover.loc[first_of_month, "min_variance"] > 0).mean() > 0.9


def test_panel_features_are_causal_in_the_prices(prices: pd.DataFrame) -> None:
    day = 250
    changed = prices.copy()
    changed.iloc[day + 1 :] *= np.random.default_rng(1).uniform(0.8, 1.25, (149, 4))
    base = build_strategy_panel_features(_panel_and_prices(prices)[1])
    other = build_strategy_panel_features(_panel_and_prices(changed)[1])
    cut = base.index_of(prices.index[day])
    assert other.dates.equals(base.dates)
    np.testing.assert_array_equal(other.values[: cut + 1], base.values[: cut + 1])
    assert not np.allclose(other.values[cut + 2 :], base.values[cut + 2 :])


def test_build_panel_drops_the_warmup() -> None:
    inputs = synthetic_inputs()
    panel = build_strategy_panel_features(inputs)
    assert panel.values.shape == (300 - 62, 3, 5) and panel.values.dtype == np.float32
    assert panel.assets == ("s0", "s1", "s2") and panel.names == tuple(STRATEGY_FEATURES)
    assert panel.dates[0] == inputs.returns.index[62]
    short = build_strategy_panel_features(inputs, ["ret_1", "turnover"])
    assert short.n_dates == 300 and short.n_features == 2
    np.testing.assert_allclose(short.feature("ret_1"), inputs.returns.to_numpy(), rtol=1e-6)


def test_clear_errors() -> None:
    inputs = synthetic_inputs(n_days=50)
    with pytest.raises(ConfigError, match="choose distinct"):
        build_strategy_panel_features(inputs, ["ret_1", "nope"])
    with pytest.raises(InsufficientHistoryError, match="more than 62 dates"):
        build_strategy_panel_features(inputs)
