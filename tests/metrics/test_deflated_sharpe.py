"""Probabilistic and deflated Sharpe ratios against the papers' worked examples."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import skfolio.measures as skm
from scipy import stats

from evofolio.metrics import deflated_sharpe as ds

# Bailey & López de Prado (2014), "The Deflated Sharpe Ratio", section "A numerical
# example": an annualised Sharpe ratio of 2.5 over five years of daily returns (T = 1250,
# 250 days a year), the best of N = 100 trials whose annualised Sharpe ratios have variance
# 1/2, returns with skewness -3 and kurtosis 10. The paper de-annualises (SR = 2.5 /
# sqrt(250), V = 0.5 / 250) and reports SR0 ~ 0.1132 and DSR ~ 0.9004.
PAPER_SR = 2.5 / math.sqrt(250)
PAPER_V = 0.5 / 250
PAPER_T = 1250


def test_dsr_paper_numerical_example() -> None:
    sr_star = ds.expected_max_sharpe(100, PAPER_V)
    assert round(sr_star, 4) == 0.1132
    dsr = ds.deflated_sharpe_ratio(PAPER_SR, 100, PAPER_V, PAPER_T, skew=-3.0, kurtosis=10.0)
    assert round(dsr, 4) == 0.9004
    assert dsr == pytest.approx(ds.probabilistic_sharpe_ratio(PAPER_SR, sr_star, PAPER_T, -3, 10))


def test_dsr_paper_trial_budget_at_95_percent() -> None:
    # The paper's follow-up to the same example (as reproduced in several public
    # implementations): the 95 % level holds up to N = 46 trials with these non-normal
    # returns, and up to N = 88 had the returns been normal (skew 0, kurtosis 3).
    def dsr(n: int, skew: float, kurt: float) -> float:
        return ds.deflated_sharpe_ratio(PAPER_SR, n, PAPER_V, PAPER_T, skew, kurt)

    assert round(dsr(46, -3.0, 10.0), 4) == 0.9505
    assert dsr(47, -3.0, 10.0) < 0.95
    assert dsr(88, 0.0, 3.0) > 0.95 > dsr(89, 0.0, 3.0)


def test_psr_sharpe_ratio_efficient_frontier_example() -> None:
    # Bailey & López de Prado (2012), "The Sharpe Ratio Efficient Frontier": 24 monthly
    # returns, annualised SR 1.585, skewness -2.448, kurtosis 10.164; PSR(0) ~ 0.913 (the
    # figure asserted by the pypbo test suite, esvhd/pypbo tests/test_metrics.py).
    psr = ds.probabilistic_sharpe_ratio(1.585 / math.sqrt(12), 0.0, 24, -2.448, 10.164)
    assert round(psr, 4) == 0.9132


def test_psr_is_one_half_at_the_benchmark() -> None:
    for sr, skew, kurt in [(0.1, 0.0, 3.0), (0.3, -2.0, 9.0), (-0.05, 1.0, 5.0)]:
        assert ds.probabilistic_sharpe_ratio(sr, sr, 100, skew, kurt) == 0.5


def test_psr_grows_with_track_record_and_shrinks_with_negative_skew() -> None:
    short = ds.probabilistic_sharpe_ratio(0.1, 0.0, 50)
    long = ds.probabilistic_sharpe_ratio(0.1, 0.0, 500)
    skewed = ds.probabilistic_sharpe_ratio(0.1, 0.0, 500, skew=-3.0, kurtosis=10.0)
    assert 0.5 < short < long
    assert skewed < long


def test_expected_max_sharpe_and_dsr_are_monotone_in_trials() -> None:
    trials = [1, 2, 5, 10, 100, 1000, 10**6]
    sr_star = [ds.expected_max_sharpe(n, PAPER_V) for n in trials]
    dsr = [ds.deflated_sharpe_ratio(PAPER_SR, n, PAPER_V, PAPER_T, -3, 10) for n in trials]
    assert sr_star[0] == 0.0
    assert all(a < b for a, b in itertools.pairwise(sr_star))
    assert all(a > b for a, b in itertools.pairwise(dsr))


def test_expected_max_sharpe_standard_normal_value() -> None:
    # (1 - g) * Phi^-1(0.99) + g * Phi^-1(1 - 1/(100 e)) for unit variance.
    g = 0.5772156649015329
    z = (1 - g) * stats.norm.ppf(0.99) + g * stats.norm.ppf(1 - 1 / (100 * math.e))
    assert ds.expected_max_sharpe(100, 1.0) == pytest.approx(z, rel=1e-12)
    assert ds.expected_max_sharpe(100, 4.0) == pytest.approx(2 * z, rel=1e-12)


def test_single_trial_is_the_psr_against_zero() -> None:
    assert ds.expected_max_sharpe(1, 0.5) == 0.0
    dsr = ds.deflated_sharpe_ratio(0.05, 1, 0.3, 500, -1.0, 6.0)
    assert dsr == ds.probabilistic_sharpe_ratio(0.05, 0.0, 500, -1.0, 6.0)


def test_invalid_inputs_raise() -> None:
    with pytest.raises(ValueError, match="n_obs"):
        ds.probabilistic_sharpe_ratio(0.1, 0.0, 1)
    with pytest.raises(ValueError, match="n_trials"):
        ds.expected_max_sharpe(0, 1.0)
    with pytest.raises(ValueError, match="var_sharpe"):
        ds.expected_max_sharpe(10, -1.0)


def test_impossible_moments_give_nan() -> None:
    # 1 - skew * sr + (kurt - 1) / 4 * sr^2 < 0 cannot come from a real sample.
    assert math.isnan(ds.probabilistic_sharpe_ratio(1.0, 0.0, 100, skew=5.0, kurtosis=3.0))


# --- from returns ------------------------------------------------------------------------


@pytest.fixture
def search() -> tuple[np.ndarray, np.ndarray]:
    """Daily returns of 40 trials; the selected one is the best in-sample."""
    rng = np.random.default_rng(11)
    returns = 0.0003 + 0.01 * rng.standard_t(df=5, size=(750, 40))
    sharpes = returns.mean(axis=0) / returns.std(axis=0, ddof=1)
    return returns[:, int(np.argmax(sharpes))], sharpes


def test_from_returns_moments_match_scipy(search: tuple[np.ndarray, np.ndarray]) -> None:
    selected, sharpes = search
    res = ds.deflated_sharpe_from_returns(selected, sharpes)
    assert res.n_obs == 750
    assert res.n_trials == 40
    assert res.sr == pytest.approx(selected.mean() / selected.std(ddof=1), rel=1e-12)
    assert res.skew == pytest.approx(stats.skew(selected, bias=True), rel=1e-12)
    assert res.kurtosis == pytest.approx(stats.kurtosis(selected, fisher=False), rel=1e-12)
    assert res.sr_star == pytest.approx(ds.expected_max_sharpe(40, np.var(sharpes, ddof=1)))
    assert res.psr == pytest.approx(
        ds.probabilistic_sharpe_ratio(res.sr, 0.0, 750, res.skew, res.kurtosis)
    )
    assert res.dsr < res.psr


def test_from_returns_matches_skfolio(search: tuple[np.ndarray, np.ndarray]) -> None:
    selected, sharpes = search
    res = ds.deflated_sharpe_from_returns(selected, sharpes)
    assert res.dsr == pytest.approx(float(skm.deflated_sharpe_ratio(selected, sharpes)), rel=1e-10)
    assert res.psr == pytest.approx(float(skm.probabilistic_sharpe_ratio(selected)), rel=1e-10)


def test_from_returns_drops_failed_trials(search: tuple[np.ndarray, np.ndarray]) -> None:
    selected, sharpes = search
    with_failures = np.append(sharpes, [np.nan, np.inf])
    assert ds.deflated_sharpe_from_returns(selected, with_failures) == (
        ds.deflated_sharpe_from_returns(selected, sharpes)
    )


def test_from_returns_single_trial(search: tuple[np.ndarray, np.ndarray]) -> None:
    selected, sharpes = search
    res = ds.deflated_sharpe_from_returns(selected, sharpes[:1])
    assert res.sr_star == 0.0
    assert res.dsr == res.psr


def test_from_returns_flat_series_is_nan() -> None:
    res = ds.deflated_sharpe_from_returns(np.full(10, 0.001), [0.1, 0.2])
    assert math.isnan(res.sr)
    assert math.isnan(res.dsr)


def test_from_returns_rejects_too_little_data() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        ds.deflated_sharpe_from_returns([0.01], [0.1])
    with pytest.raises(ValueError, match="no finite"):
        ds.deflated_sharpe_from_returns([0.01, 0.02], [np.nan])
