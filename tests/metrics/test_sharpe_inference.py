"""Sharpe-ratio inference: Ledoit-Wolf difference test and stationary-bootstrap interval.

Known answers: identical series, a constant daily edge, flat series, and for iid normal
returns the textbook asymptotics (Lo 2002): the per-period Sharpe ratio has variance
``(1 + SR^2 / 2) / T``, and that of two independent series adds up. For AR(1) returns with
coefficient ``phi`` that variance is ``(1 + phi) / (1 - phi)`` times larger (3 for 0.5).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evofolio.metrics import sharpe_confidence_interval, sharpe_difference_test
from evofolio.metrics.performance import sharpe_ratio
from evofolio.metrics.sharpe_inference import MIN_OBS, SharpeDifference

P = 252
Z90 = stats.norm.isf(0.05)  # 1.6449: half-width of a 90 % normal interval, in se


def lo_se(sr_per_period: float, n_obs: int) -> float:
    """Annualised iid-normal standard error of a Sharpe ratio (Lo 2002)."""
    return math.sqrt(P * (1.0 + sr_per_period**2 / 2.0) / n_obs)


def ar1(phi: float, n_obs: int, seed: int) -> np.ndarray:
    """AR(1) daily returns with mean 3 bp and unconditional sd 1 %."""
    e = np.random.default_rng(seed).normal(size=n_obs)
    x = np.empty(n_obs)
    x[0] = e[0] / math.sqrt(1 - phi**2)
    for t in range(1, n_obs):
        x[t] = phi * x[t - 1] + e[t]
    return 0.0003 + 0.01 * x * math.sqrt(1 - phi**2)


@pytest.fixture
def pair() -> tuple[np.ndarray, np.ndarray]:
    """Two independent iid normal series, 5000 days, daily Sharpe 0.06 and 0.02."""
    rng = np.random.default_rng(1)
    return rng.normal(0.0006, 0.01, 5000), rng.normal(0.0002, 0.01, 5000)


# --- difference test ---------------------------------------------------------------------


def test_identical_series_differ_by_zero_with_p_one() -> None:
    a = np.random.default_rng(0).normal(0.0004, 0.01, 1300)
    res = sharpe_difference_test(a, a.copy())
    assert (res.difference, res.ci_low, res.ci_high, res.se) == (0.0, 0.0, 0.0, 0.0)
    assert res.p_value == 1.0
    assert (res.n_obs, res.n_boot) == (1300, 2000)


def test_constant_daily_edge_is_significant() -> None:
    # a = b + 3 bp a day over 2500 days: the same noise, so the difference is known exactly
    # (a shift leaves the sd alone): 0.0003 / sd(b) * sqrt(252), about 0.48 a year.
    b = np.random.default_rng(4).normal(0.0002, 0.01, 2500)
    res = sharpe_difference_test(b + 0.0003, b)
    assert res.difference == pytest.approx(0.0003 / np.std(b, ddof=1) * math.sqrt(P), rel=1e-9)
    assert res.p_value == pytest.approx(1 / 2001)  # no resample is as extreme
    assert 0.0 < res.ci_low < res.difference < res.ci_high


def test_a_few_bp_of_edge_over_noise_is_found_over_thousands_of_days() -> None:
    # A real but noisy edge: b plus 4 bp a day plus independent noise of sd 0.2 %.
    rng = np.random.default_rng(11)
    b = rng.normal(0.0003, 0.01, 4000)
    res = sharpe_difference_test(b + 0.0004 + rng.normal(0.0, 0.002, 4000), b)
    assert res.p_value < 0.01
    assert res.ci_low > 0.0


def test_iid_normal_matches_textbook_standard_error_and_p_value(pair: tuple) -> None:
    a, b = pair
    res = sharpe_difference_test(a, b)
    assert res.difference == pytest.approx(sharpe_ratio(a, P) - sharpe_ratio(b, P), rel=1e-12)
    # Independent series: the variances add (Lo 2002); the HAC estimate is within 10 %.
    want_se = math.hypot(lo_se(sharpe_ratio(a, 1), 5000), lo_se(sharpe_ratio(b, 1), 5000))
    assert res.se == pytest.approx(want_se, rel=0.10)
    # With this much iid data the studentised bootstrap agrees with the normal law.
    z = res.difference / res.se
    assert 1.0 < abs(z) < 3.0  # a case where the p-value is neither 0 nor 1
    assert res.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), abs=0.03)
    half = (res.ci_high - res.ci_low) / 2
    assert res.ci_low + half == pytest.approx(res.difference)  # symmetric interval
    assert half == pytest.approx(Z90 * res.se, rel=0.08)


def test_swapping_the_series_negates_the_difference(pair: tuple) -> None:
    a, b = pair
    ab = sharpe_difference_test(a, b, seed=3, n_boot=500)
    ba = sharpe_difference_test(b, a, seed=3, n_boot=500)
    assert ba.difference == pytest.approx(-ab.difference, rel=1e-12)
    assert ba.p_value == ab.p_value
    assert (ba.ci_low, ba.ci_high) == pytest.approx((-ab.ci_high, -ab.ci_low), rel=1e-12)


def test_seeded_runs_repeat_and_seeds_matter(pair: tuple) -> None:
    a, b = pair
    first = sharpe_difference_test(a, b, seed=7, n_boot=500)
    assert sharpe_difference_test(a, b, seed=7, n_boot=500) == first
    other = sharpe_difference_test(a, b, seed=8, n_boot=500)
    assert other.difference == first.difference and other.se == first.se
    assert (other.ci_low, other.p_value) != (first.ci_low, first.p_value)


@pytest.mark.parametrize("which", ["a", "b", "both"])
def test_flat_series_give_nan_not_a_crash(which: str) -> None:
    noisy = np.random.default_rng(0).normal(0.0004, 0.01, 300)
    flat = np.full(300, 0.0001)
    a = flat if which in ("a", "both") else noisy
    b = flat if which in ("b", "both") else noisy
    res = sharpe_difference_test(a, b)
    assert isinstance(res, SharpeDifference)
    assert all(math.isnan(v) for v in (res.difference, res.ci_low, res.ci_high, res.p_value))


def test_block_length_follows_the_dependence() -> None:
    iid = np.random.default_rng(20).normal(0.0003, 0.01, 3000)
    persistent = ar1(0.8, 3000, seed=2)
    assert sharpe_difference_test(iid, iid[::-1]).block_length <= 3
    assert sharpe_difference_test(persistent, iid).block_length >= 8
    assert sharpe_difference_test(persistent, iid, block_length=5).block_length == 5


def test_bad_arguments_are_value_errors() -> None:
    a = np.random.default_rng(0).normal(size=100)
    with pytest.raises(ValueError, match="same shape"):
        sharpe_difference_test(a, a[:-1])
    with pytest.raises(ValueError, match=f"at least {MIN_OBS}"):
        sharpe_difference_test(a[:3], a[:3])
    with pytest.raises(ValueError, match="position 5"):
        sharpe_difference_test(a, np.where(np.arange(100) == 5, np.nan, a))
    with pytest.raises(ValueError, match="alpha"):
        sharpe_difference_test(a, a[::-1], alpha=1.5)
    with pytest.raises(ValueError, match="n_boot"):
        sharpe_difference_test(a, a[::-1], n_boot=0)
    with pytest.raises(ValueError, match=r"block_length must be in \[1, 50\]"):
        sharpe_difference_test(a, a[::-1], block_length=51)
    with pytest.raises(ValueError, match="1-D"):
        sharpe_difference_test(a.reshape(10, 10), a.reshape(10, 10))


# --- confidence interval -----------------------------------------------------------------


def test_iid_interval_width_matches_textbook() -> None:
    r = np.random.default_rng(3).normal(0.0005, 0.01, 5000)
    res = sharpe_confidence_interval(r)
    assert res.sharpe == sharpe_ratio(r, P)
    assert res.low < res.sharpe < res.high
    want = 2 * Z90 * lo_se(sharpe_ratio(r, 1), 5000)
    assert res.high - res.low == pytest.approx(want, rel=0.08)
    assert res.block_length <= 3  # no dependence to keep


def test_autocorrelated_returns_widen_the_interval() -> None:
    # AR(1) with phi = 0.5: the true se is sqrt(3) = 1.73 times the iid one. The automatic
    # block length sees it; forcing blocks of one day (an iid bootstrap) does not.
    r = ar1(0.5, 5000, seed=0)
    iid_width = 2 * Z90 * lo_se(sharpe_ratio(r, 1), 5000)
    auto = sharpe_confidence_interval(r)
    forced = sharpe_confidence_interval(r, block_length=1)
    assert auto.block_length >= 10
    assert (auto.high - auto.low) / iid_width == pytest.approx(math.sqrt(3), rel=0.15)
    assert (forced.high - forced.low) / iid_width == pytest.approx(1.0, rel=0.10)


def test_interval_seeded_and_alpha() -> None:
    r = np.random.default_rng(5).normal(0.0005, 0.01, 1300)
    assert sharpe_confidence_interval(r, seed=1) == sharpe_confidence_interval(r, seed=1)
    assert sharpe_confidence_interval(r, seed=1) != sharpe_confidence_interval(r, seed=2)
    wide = sharpe_confidence_interval(r, alpha=0.01)
    narrow = sharpe_confidence_interval(r, alpha=0.5)
    assert wide.low < narrow.low < narrow.high < wide.high


def test_flat_series_interval_is_nan() -> None:
    res = sharpe_confidence_interval(np.full(500, 0.0002))
    assert math.isnan(res.sharpe) and math.isnan(res.low) and math.isnan(res.high)
    assert res.n_obs == 500


def test_interval_bad_arguments() -> None:
    with pytest.raises(ValueError, match="at least"):
        sharpe_confidence_interval(np.ones(3))
    with pytest.raises(ValueError, match="alpha"):
        sharpe_confidence_interval(np.arange(20.0), alpha=0.0)


def test_high_sharpe_standard_error_uses_the_second_moment() -> None:
    # A per-period Sharpe ratio of 0.5 (mean 0.5 %, sd 1 %) against an independent series of
    # Sharpe 0: the SR^2 / 2 term of Lo's variance is no longer negligible,
    # se^2 = P * ((1 + 0.5^2 / 2) + 1) / T.
    rng = np.random.default_rng(21)
    a, b = rng.normal(0.005, 0.01, 5000), rng.normal(0.0, 0.01, 5000)
    res = sharpe_difference_test(a, b, n_boot=200)
    want = math.hypot(lo_se(sharpe_ratio(a, 1), 5000), lo_se(sharpe_ratio(b, 1), 5000))
    assert want == pytest.approx(math.sqrt(P * 2.125 / 5000), rel=0.05)
    assert res.se == pytest.approx(want, rel=0.10)


def test_autocorrelation_raises_the_hac_standard_error() -> None:
    # a is AR(1) with phi = 0.5 (its Sharpe variance 3 times the iid one), b independent iid
    # normal: se^2 is about P * (3 + 1) / T, not the iid P * 2 / T.
    a = ar1(0.5, 5000, seed=9)
    b = np.random.default_rng(90).normal(0.0003, 0.01, 5000)  # not the stream of a
    res = sharpe_difference_test(a, b, n_boot=200)
    assert res.se == pytest.approx(math.sqrt(P * 4 / 5000), rel=0.15)


def test_pandas_series_must_share_their_dates() -> None:
    dates = pd.bdate_range("2020-01-01", periods=300)
    rng = np.random.default_rng(6)
    a = pd.Series(rng.normal(0.0004, 0.01, 300), index=dates)
    b = pd.Series(rng.normal(0.0002, 0.01, 300), index=dates)
    same = sharpe_difference_test(a, b, n_boot=100)
    assert same == sharpe_difference_test(a.to_numpy(), b.to_numpy(), n_boot=100)
    shifted = b.copy()
    shifted.index = dates.shift(1)
    with pytest.raises(ValueError, match="row 0 is 2020-01-01"):
        sharpe_difference_test(a, shifted)
