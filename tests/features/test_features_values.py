"""Feature values checked against hand computations on small series."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from evofolio.features import FEATURES
from evofolio.features.technical import MACD_WARMUP, RSI_WARMUP

SQRT_YEAR = np.sqrt(252.0)


def _compute(name: str, prices: pd.DataFrame, market: pd.Series) -> np.ndarray:
    return FEATURES[name].fn(prices, market).to_numpy(dtype=np.float64)


def test_ret_5_by_hand(prices_and_market: tuple[pd.DataFrame, pd.Series]) -> None:
    prices, market = prices_and_market
    out = _compute("ret_5", prices, market)
    p = prices.to_numpy()
    for t in (5, 77, 599):
        np.testing.assert_allclose(out[t], np.log(p[t] / p[t - 5]), rtol=1e-12)


def test_mom_12_1_by_hand(prices_and_market: tuple[pd.DataFrame, pd.Series]) -> None:
    prices, market = prices_and_market
    out = _compute("mom_12_1", prices, market)
    p = prices.to_numpy()
    for t in (252, 400, 599):
        np.testing.assert_allclose(out[t], np.log(p[t - 21] / p[t - 252]), rtol=1e-12)


def test_vol_21_matches_numpy_std(prices_and_market: tuple[pd.DataFrame, pd.Series]) -> None:
    prices, market = prices_and_market
    out = _compute("vol_21", prices, market)
    rets = np.diff(np.log(prices.to_numpy()), axis=0)  # row t-1 is the return into day t
    for t in (21, 150, 599):
        expected = np.std(rets[t - 21 : t], axis=0, ddof=1) * SQRT_YEAR
        np.testing.assert_allclose(out[t], expected, rtol=1e-9)


def test_downside_vol_63_by_hand(prices_and_market: tuple[pd.DataFrame, pd.Series]) -> None:
    prices, market = prices_and_market
    out = _compute("downside_vol_63", prices, market)
    rets = np.diff(np.log(prices.to_numpy()), axis=0)
    t = 300
    losses = np.minimum(rets[t - 63 : t], 0.0)
    expected = np.sqrt(np.mean(losses**2, axis=0) * 252)
    np.testing.assert_allclose(out[t], expected, rtol=1e-9)


def test_norm_price_by_hand(prices_and_market: tuple[pd.DataFrame, pd.Series]) -> None:
    prices, market = prices_and_market
    out = _compute("norm_price", prices, market)
    logp = np.log(prices.to_numpy())
    t = 200
    window = logp[t - 62 : t + 1]
    expected = (logp[t] - window.mean(axis=0)) / window.std(axis=0, ddof=1)
    np.testing.assert_allclose(out[t], expected, rtol=1e-8)


def test_drawdown_is_nonpositive_and_zero_at_new_highs(
    prices_and_market: tuple[pd.DataFrame, pd.Series],
) -> None:
    prices, market = prices_and_market
    out = _compute("drawdown", prices, market)
    p = prices.to_numpy()
    at_high = p == np.maximum.accumulate(p, axis=0)
    assert (out <= 0.0).all()
    assert (out[at_high] == 0.0).all()
    assert (out[~at_high] < 0.0).all()
    np.testing.assert_allclose(out[100], p[100] / p[:101].max(axis=0) - 1.0, rtol=1e-12)


def test_beta_of_the_market_itself_is_one(
    prices_and_market: tuple[pd.DataFrame, pd.Series],
) -> None:
    _, market = prices_and_market
    prices = pd.DataFrame({"mkt": market.to_numpy()}, index=market.index)
    for name in ("beta_63", "beta_252"):
        out = _compute(name, prices, market)
        np.testing.assert_allclose(out[FEATURES[name].warmup :], 1.0, rtol=1e-12)


def test_beta_of_a_twice_leveraged_asset_is_two(
    prices_and_market: tuple[pd.DataFrame, pd.Series],
) -> None:
    _, market = prices_and_market
    m = market.to_numpy()
    market_rets = m[1:] / m[:-1] - 1.0
    levered = 100.0 * np.concatenate([[1.0], np.cumprod(1.0 + 2.0 * market_rets)])
    prices = pd.DataFrame({"x2": levered}, index=market.index)
    for name in ("beta_63", "beta_252"):
        out = _compute(name, prices, market)
        np.testing.assert_allclose(out[FEATURES[name].warmup :], 2.0, rtol=1e-8)


def test_beta_by_hand(prices_and_market: tuple[pd.DataFrame, pd.Series]) -> None:
    prices, market = prices_and_market
    out = _compute("beta_63", prices, market)
    p, m = prices.to_numpy(), market.to_numpy()
    ra, rm = p[1:] / p[:-1] - 1.0, m[1:] / m[:-1] - 1.0
    t = 500
    a, b = ra[t - 63 : t], rm[t - 63 : t]
    expected = [np.cov(a[:, i], b)[0, 1] / np.var(b, ddof=1) for i in range(p.shape[1])]
    np.testing.assert_allclose(out[t], expected, rtol=1e-8)


def test_ma_ratio_by_hand() -> None:
    dates = pd.bdate_range("2010-01-01", periods=230)
    p = 50.0 + np.sin(np.arange(230) / 9.0) * 5.0 + np.arange(230) * 0.1
    prices = pd.DataFrame({"x": p}, index=dates)
    out = _compute("ma_ratio_50_200", prices, pd.Series(p, index=dates))[:, 0]
    assert np.isnan(out[:199]).all()
    for t in (199, 210, 229):
        expected = p[t - 49 : t + 1].mean() / p[t - 199 : t + 1].mean() - 1.0
        assert abs(out[t] - expected) < 1e-12


def test_rsi_is_one_when_only_rising_and_minus_one_when_only_falling() -> None:
    dates = pd.bdate_range("2010-01-01", periods=150)
    prices = pd.DataFrame(
        {"up": np.linspace(10.0, 30.0, 150), "down": np.linspace(30.0, 10.0, 150)}, index=dates
    )
    out = _compute("rsi_14", prices, prices["up"])
    np.testing.assert_allclose(out[RSI_WARMUP:, 0], 1.0)
    np.testing.assert_allclose(out[RSI_WARMUP:, 1], -1.0)


def test_macd_matches_an_explicit_ema_recursion() -> None:
    rng = np.random.default_rng(3)
    p = 20.0 * np.exp(np.cumsum(rng.normal(0, 0.02, 200)))

    def ema(x: np.ndarray, span: int) -> np.ndarray:
        a, out = 2.0 / (span + 1.0), np.empty_like(x)
        out[0] = x[0]
        for i in range(1, len(x)):
            out[i] = a * x[i] + (1.0 - a) * out[i - 1]
        return out

    line = ema(p, 12) - ema(p, 26)
    expected = (line - ema(line, 9)) / p
    dates = pd.bdate_range("2010-01-01", periods=200)
    out = _compute("macd", pd.DataFrame({"x": p}, index=dates), pd.Series(p, index=dates))
    np.testing.assert_allclose(out[MACD_WARMUP:, 0], expected[MACD_WARMUP:], rtol=1e-9)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (130, 2), elements=st.floats(-0.2, 0.2)))
def test_bounded_features_stay_in_range(log_steps: np.ndarray) -> None:
    dates = pd.bdate_range("2010-01-01", periods=130)
    prices = pd.DataFrame(10.0 * np.exp(np.cumsum(log_steps, axis=0)), index=dates)
    market = prices.mean(axis=1)
    rsi = _compute("rsi_14", prices, market)[RSI_WARMUP:]
    assert (rsi >= -1.0).all()
    assert (rsi <= 1.0).all()
    dd = _compute("drawdown", prices, market)
    assert (dd <= 0.0).all()
    assert (dd > -1.0).all()
    for name in ("vol_21", "downside_vol_63"):
        assert (_compute(name, prices, market)[FEATURES[name].warmup :] >= 0.0).all()


def test_drawdown_of_an_asset_listed_late_starts_at_its_first_price() -> None:
    """Fresh-eyes finding: NaN before a life start made every later drawdown NaN, and the
    masked Model 1 then never held the asset."""
    dates = pd.bdate_range("2020-01-01", periods=6)
    prices = pd.DataFrame(
        {"OLD": [10.0, 11.0, 9.0, 12.0, 6.0, 12.0], "NEW": [np.nan, np.nan, 5.0, 4.0, 6.0, 3.0]},
        index=dates,
    )
    out = _compute("drawdown", prices, prices.mean(axis=1))
    np.testing.assert_allclose(
        out[:, 1], [np.nan, np.nan, 0.0, 4 / 5 - 1, 0.0, 3 / 6 - 1], rtol=1e-12
    )
    np.testing.assert_allclose(out[:, 0], [0.0, 0.0, 9 / 11 - 1, 0.0, 6 / 12 - 1, 0.0], rtol=1e-12)
