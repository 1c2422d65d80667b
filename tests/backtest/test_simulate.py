"""The simulation arithmetic, checked against small cases computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evofolio.backtesting import TradingRules, ewm_volatility, simulate

DATES = pd.bdate_range("2020-01-06", periods=4)


def hand_prices() -> pd.DataFrame:
    # A: +10 %, -10 %, +10 %; B: 0 %, +5 %, 0 %
    return pd.DataFrame(
        {"A": [100.0, 110.0, 99.0, 108.9], "B": [100.0, 100.0, 105.0, 105.0]}, index=DATES
    )


def test_weights_at_t_earn_the_return_from_t_to_t_plus_1() -> None:
    prices = hand_prices()
    weights = pd.DataFrame({"A": [1.0], "B": [0.0]}, index=DATES[1:2])  # decided at close of day 1
    result = simulate(weights, prices)
    # first realised return is day 2's: A falls 10 %; day 1's +10 % is never earned
    np.testing.assert_allclose(result.gross.to_numpy(), [-0.10, 0.10])
    assert list(result.gross.index) == list(DATES[2:])


def test_drift_costs_and_rebalancing_match_hand_computation() -> None:
    prices = hand_prices()
    weights = pd.DataFrame({"A": [0.5, 1.0], "B": [0.5, 0.0]}, index=DATES[[0, 2]])
    result = simulate(weights, prices, TradingRules(cost_bps=10.0))
    # day 1: 0.5 * 10 % = 5 %; weights drift to (0.55, 0.50) / 1.05
    # day 2: (0.55 * 0.9 + 0.50 * 1.05) / 1.05 - 1 = 1.02 / 1.05 - 1
    # close of day 2: drifted (0.495, 0.525) / 1.02, trade to (1, 0)
    gross = [0.05, 1.02 / 1.05 - 1.0, 0.10]
    traded_day2 = (1.0 - 0.495 / 1.02) + 0.525 / 1.02
    turnover = [1.0, 0.0, traded_day2]  # entering from cash is a trade of 1.0
    costs = [t * 10 * 1e-4 for t in turnover]
    np.testing.assert_allclose(result.gross.to_numpy(), gross, rtol=1e-12)
    np.testing.assert_allclose(result.turnover.to_numpy(), turnover, rtol=1e-12)
    np.testing.assert_allclose(result.costs.to_numpy(), costs, rtol=1e-12)
    np.testing.assert_allclose(result.net.to_numpy(), np.subtract(gross, costs), rtol=1e-12)
    held = result.held.to_numpy()
    np.testing.assert_allclose(held[1], [0.55 / 1.05, 0.50 / 1.05], rtol=1e-12)
    np.testing.assert_allclose(held[2], [1.0, 0.0])


def test_daily_rebalancing_to_fixed_weights_pays_for_drift() -> None:
    prices = hand_prices()
    weights = pd.DataFrame({"A": [0.5] * 4, "B": [0.5] * 4}, index=DATES)
    result = simulate(weights, prices, TradingRules(cost_bps=100.0))
    # after day 1 the drifted weights are (0.55, 0.5)/1.05: trading back costs |0.5 - 0.5238| * 2
    drift_a = 0.55 / 1.05
    assert result.turnover.iloc[1] == pytest.approx(2 * (drift_a - 0.5), rel=1e-12)
    # a decision on the last date is not traded (no return follows it)
    assert len(result.turnover) == 3


def test_decision_on_the_last_date_is_not_traded() -> None:
    prices = hand_prices()
    weights = pd.DataFrame({"A": [0.5, 1.0], "B": [0.5, 0.0]}, index=DATES[[0, 3]])
    result = simulate(weights, prices, TradingRules(cost_bps=10.0))
    assert result.turnover.sum() == pytest.approx(1.0)


def test_volatility_targeting_scales_each_asset_by_target_over_ewm_vol() -> None:
    rng = np.random.default_rng(1)
    index = pd.bdate_range("2020-01-01", periods=120)
    prices = pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(0, [0.01, 0.02], (120, 2)), 0)),
        index=index,
        columns=["A", "B"],
    )
    decision = index[[80]]
    weights = pd.DataFrame({"A": [0.5], "B": [0.5]}, index=decision)
    result = simulate(weights, prices, TradingRules(vol_target=0.10, vol_span=50))
    vol = ewm_volatility(prices.loc[: decision[0]], 50).iloc[-1].to_numpy()
    expected = 0.5 * 0.10 / vol
    np.testing.assert_allclose(result.held.iloc[0].to_numpy(), expected, rtol=1e-12)
    returns = prices.iloc[81].to_numpy() / prices.iloc[80].to_numpy() - 1
    assert result.gross.iloc[0] == pytest.approx(float(expected @ returns), rel=1e-12)
    # the noisier asset gets the smaller position
    assert expected[1] < expected[0]


def test_volatility_targeting_without_history_is_a_clear_error() -> None:
    prices = hand_prices()
    weights = pd.DataFrame({"A": [0.5], "B": [0.5]}, index=DATES[:1])
    with pytest.raises(Exception, match="volatility targeting needs"):
        simulate(weights, prices, TradingRules(vol_target=0.1))


def test_simulation_is_causal_in_prices() -> None:
    rng = np.random.default_rng(2)
    index = pd.bdate_range("2020-01-01", periods=60)
    prices = pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(0, 0.01, (60, 3)), 0)), index=index, columns=list("ABC")
    )
    weights = pd.DataFrame(rng.dirichlet(np.ones(3), 60), index=index, columns=list("ABC"))
    base = simulate(weights, prices, TradingRules(cost_bps=5))
    perturbed = prices.copy()
    perturbed.iloc[31:] *= rng.uniform(0.5, 1.5, perturbed.iloc[31:].shape)
    other = simulate(weights, perturbed, TradingRules(cost_bps=5))
    cut = index[30]
    pd.testing.assert_series_equal(base.net.loc[:cut], other.net.loc[:cut])
    assert not np.allclose(base.net.loc[cut:].iloc[2:], other.net.loc[cut:].iloc[2:])
