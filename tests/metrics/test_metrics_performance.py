"""Performance metrics: hand-computed cases, agreement with skfolio, edge cases."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import skfolio.measures as skm
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from evofolio.metrics import performance as pf

P = 252
HAND = np.array([0.1, -0.2, 0.05])


@pytest.fixture
def daily() -> np.ndarray:
    """Five hundred fat-tailed daily returns with a small drift."""
    rng = np.random.default_rng(7)
    return 0.0004 + 0.01 * rng.standard_t(df=4, size=500)


# --- hand-computed: r = [0.1, -0.2, 0.05] ------------------------------------------------
# mean = -0.05 / 3; deviations 0.11667, -0.18333, 0.06667 -> sum of squares 0.0516667,
# sample variance 0.0258333, sample std 0.1607275.


def test_hand_mean_and_volatility() -> None:
    assert pf.mean_return(HAND, 1) == pytest.approx(-0.05 / 3)
    assert pf.mean_return(HAND, P) == pytest.approx(-0.05 / 3 * P)
    assert pf.volatility(HAND, 1) == pytest.approx(math.sqrt(0.0516667 / 2), rel=1e-6)
    assert pf.volatility(HAND, P) == pytest.approx(0.1607275 * math.sqrt(P), rel=1e-6)


def test_hand_sharpe_sortino_utility() -> None:
    assert pf.sharpe_ratio(HAND, 1) == pytest.approx(-0.0166667 / 0.1607275, rel=1e-5)
    assert pf.sharpe_ratio(HAND, P) == pytest.approx(-0.103695 * math.sqrt(P), rel=1e-5)
    # Downside: only -0.2 is below 0; averaged over all n = 3 returns (Sortino & Price
    # 1994, not n - 1): sqrt(0.04 / 3) = 0.1154701.
    assert pf.downside_deviation(HAND, 1) == pytest.approx(0.1154701, rel=1e-6)
    assert pf.downside_deviation(HAND, P) == pytest.approx(0.1154701 * math.sqrt(P), rel=1e-6)
    assert pf.sortino_ratio(HAND, 1) == pytest.approx(-0.0166667 / 0.1154701, rel=1e-5)
    # -0.0166667 - 1/2 * 0.0258333
    assert pf.mean_variance_utility(HAND, 1.0, 1) == pytest.approx(-0.0295833, rel=1e-5)
    assert pf.mean_variance_utility(HAND, 4.0, P) == pytest.approx(
        (-0.05 / 3 - 2.0 * 0.0516667 / 2) * P, rel=1e-5
    )


def test_hand_drawdown_cagr_calmar() -> None:
    # Wealth 1.1, 0.88, 0.924: the fall from the peak 1.1 to 0.88 is 20 %.
    assert pf.max_drawdown(HAND) == pytest.approx(0.2)
    # Three periods per year: the series is one year, so CAGR is the total return.
    assert pf.cagr(HAND, 3) == pytest.approx(0.924 - 1.0)
    assert pf.cagr(HAND, P) == pytest.approx(0.924 ** (P / 3) - 1.0)
    assert pf.calmar_ratio(HAND, 3) == pytest.approx(-0.076 / 0.2)


def test_hand_tail_and_counts() -> None:
    # beta = 0.5: tail mass 1.5 observations = all of -0.2 and half of 0.05.
    assert pf.cvar(HAND, 0.5) == pytest.approx((0.2 - 0.5 * 0.05) / 1.5)
    # beta = 0.95: the tail (0.15 observations) lies inside the worst return.
    assert pf.cvar(HAND, 0.95) == pytest.approx(0.2)
    assert pf.cvar(HAND, 1.0) == pytest.approx(0.2)
    assert pf.cvar(HAND, 0.0) == pytest.approx(0.05 / 3)
    assert pf.positive_share(HAND) == pytest.approx(2 / 3)
    assert pf.profit_loss_ratio(HAND) == pytest.approx(0.075 / 0.2)
    assert pf.annual_turnover([0.1, 0.0, 0.2], P) == pytest.approx(0.1 * P)


def test_first_day_loss_is_a_drawdown() -> None:
    assert pf.max_drawdown([-0.1, 0.05]) == pytest.approx(0.1)
    assert pf.max_drawdown([0.01, 0.02]) == 0.0


# --- agreement with skfolio.measures on the same returns ---------------------------------


def test_moments_match_skfolio(daily: np.ndarray) -> None:
    # skfolio measures are per period: annualise by P (mean, variance) or sqrt(P) (std).
    # Its standard_deviation / variance default to the unbiased (ddof=1) estimator.
    sk_mean = float(skm.mean(daily))
    sk_std = float(skm.standard_deviation(daily))
    assert pf.mean_return(daily, P) == pytest.approx(sk_mean * P, rel=1e-12)
    assert pf.volatility(daily, P) == pytest.approx(sk_std * math.sqrt(P), rel=1e-12)
    assert pf.sharpe_ratio(daily, P) == pytest.approx(sk_mean / sk_std * math.sqrt(P), rel=1e-12)
    utility = sk_mean * P - 3.0 / 2 * float(skm.variance(daily)) * P
    assert pf.mean_variance_utility(daily, 3.0, P) == pytest.approx(utility, rel=1e-12)


def test_downside_deviation_matches_skfolio_semi_deviation(daily: np.ndarray) -> None:
    # biased=True is sqrt(mean(max(0, -r)^2)): the n divisor of Sortino & Price (1994).
    semi = float(skm.semi_deviation(daily, min_acceptable_return=0.0, biased=True))
    assert pf.downside_deviation(daily, P) == pytest.approx(semi * math.sqrt(P), rel=1e-12)
    # skfolio's default applies the Bessel factor n / (n - 1) to the semi-variance.
    n = daily.size
    bessel = float(skm.semi_deviation(daily, min_acceptable_return=0.0))
    assert bessel == pytest.approx(semi * math.sqrt(n / (n - 1)), rel=1e-12)
    assert pf.sortino_ratio(daily, P) == pytest.approx(
        float(skm.mean(daily)) * P / (semi * math.sqrt(P)), rel=1e-12
    )


def test_max_drawdown_matches_skfolio(daily: np.ndarray) -> None:
    # skfolio's drawdowns are non-positive; max_drawdown returns the positive magnitude.
    # compounded=True uses the wealth curve cumprod(1 + r) with 1.0 as the first peak.
    for r in (daily, daily * 5, np.array([-0.3, 0.1, 0.2, -0.25])):
        expected = float(skm.max_drawdown(skm.get_drawdowns(r, compounded=True)))
        assert pf.max_drawdown(r) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.95, 0.975, 0.99, 1.0])
@pytest.mark.parametrize("n", [1, 3, 20, 100, 101, 500])
def test_cvar_matches_skfolio(daily: np.ndarray, beta: float, n: int) -> None:
    r = daily[:n]
    assert pf.cvar(r, beta) == pytest.approx(float(skm.cvar(r, beta=beta)), rel=1e-12, abs=1e-15)


@given(
    arrays(np.float64, st.integers(1, 60), elements=st.floats(-0.5, 0.5)),
    st.floats(0.0, 1.0),
)
def test_cvar_matches_skfolio_property(r: np.ndarray, beta: float) -> None:
    assert pf.cvar(r, beta) == pytest.approx(float(skm.cvar(r, beta=beta)), rel=1e-9, abs=1e-12)


@given(arrays(np.float64, st.integers(1, 60), elements=st.floats(-0.9, 0.9)))
def test_max_drawdown_is_a_fraction(r: np.ndarray) -> None:
    mdd = pf.max_drawdown(r)
    assert 0.0 <= mdd <= 1.0  # 1.0 only by rounding, after a near-total loss
    assert mdd == pytest.approx(float(skm.max_drawdown(skm.get_drawdowns(r, compounded=True))))


BASIS_POINTS = st.integers(-1000, 1000).map(lambda i: i / 1e4)


@given(
    arrays(np.float64, st.integers(2, 40), elements=BASIS_POINTS),
    st.floats(0.01, 100.0),
)
def test_sharpe_is_scale_invariant(r: np.ndarray, scale: float) -> None:
    sr = pf.sharpe_ratio(r)
    if math.isnan(sr):
        assert math.isnan(pf.sharpe_ratio(r * scale))
    else:
        assert pf.sharpe_ratio(r * scale) == pytest.approx(sr, rel=1e-6, abs=1e-9)


# --- undefined values and errors ---------------------------------------------------------

EVERY_METRIC = [
    pf.mean_return,
    pf.volatility,
    pf.sharpe_ratio,
    pf.downside_deviation,
    pf.sortino_ratio,
    pf.mean_variance_utility,
    pf.max_drawdown,
    pf.cagr,
    pf.calmar_ratio,
    pf.cvar,
    pf.positive_share,
    pf.profit_loss_ratio,
    pf.annual_turnover,
]


@pytest.mark.parametrize("metric", EVERY_METRIC)
def test_empty_input_is_nan(metric: Callable[..., float]) -> None:
    assert math.isnan(metric(np.array([])))


@pytest.mark.parametrize("metric", EVERY_METRIC)
def test_two_dimensional_input_is_an_error(metric: Callable[..., float]) -> None:
    with pytest.raises(ValueError, match="1-D"):
        metric(np.zeros((3, 2)))


def test_sample_statistics_need_two_returns() -> None:
    for metric in (pf.volatility, pf.sharpe_ratio, pf.downside_deviation, pf.sortino_ratio):
        assert math.isnan(metric([0.01]))
    assert math.isnan(pf.mean_variance_utility([0.01]))
    assert pf.mean_return([0.01], 1) == pytest.approx(0.01)


def test_zero_denominators_are_nan() -> None:
    assert math.isnan(pf.sharpe_ratio([0.01] * 7))  # no dispersion
    assert math.isnan(pf.sharpe_ratio([0.0, 0.0]))
    assert math.isnan(pf.sortino_ratio([0.01, 0.02, 0.0]))  # no loss
    assert math.isnan(pf.calmar_ratio([0.01, 0.02]))  # no drawdown
    assert math.isnan(pf.profit_loss_ratio([0.01, 0.02]))  # no loss
    assert math.isnan(pf.profit_loss_ratio([-0.01, 0.0]))  # no gain


def test_total_loss_cagr_is_minus_one() -> None:
    assert pf.cagr([0.1, -1.0, 0.2]) == -1.0


def test_cvar_rejects_beta_outside_unit_interval() -> None:
    with pytest.raises(ValueError, match="beta"):
        pf.cvar(HAND, 1.5)
