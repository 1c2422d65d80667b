"""Minimum track record length (Bailey & López de Prado 2012) and Holm-adjusted p-values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evofolio.metrics import (
    holm_adjust,
    min_track_record_from_returns,
    minimum_track_record_length,
    probabilistic_sharpe_ratio,
)

Z95_SQUARED = 1.6448536269514722**2  # 2.7055434


def test_min_trl_hand_computed_normal_case() -> None:
    # SR = 0.1 a period against 0, normal returns: 1 + (1 + 2/4 * 0.01) * (1.6449 / 0.1)^2
    # = 1 + 1.005 * 270.55434 = 272.90711.
    assert minimum_track_record_length(0.1, 0.0) == pytest.approx(272.90711, rel=1e-7)
    # Against SR* = 0.05 the gap halves and the record quadruples (less one).
    got = minimum_track_record_length(0.1, 0.05)
    assert got == pytest.approx(1 + 1.005 * Z95_SQUARED / 0.0025, rel=1e-12)


def test_min_trl_fat_tails_and_negative_skew_need_longer() -> None:
    # skew -1, kurtosis 6: variance term 1 + 0.1 + 5/4 * 0.01 = 1.1125.
    got = minimum_track_record_length(0.1, 0.0, skew=-1.0, kurtosis=6.0)
    assert got == pytest.approx(1 + 1.1125 * Z95_SQUARED / 0.01, rel=1e-12)
    assert got > minimum_track_record_length(0.1, 0.0)


@pytest.mark.parametrize(("sr", "bench", "skew", "kurt"), [(0.1, 0.0, 0, 3), (0.07, 0.02, -2, 9)])
def test_min_trl_inverts_the_probabilistic_sharpe_ratio(
    sr: float, bench: float, skew: float, kurt: float
) -> None:
    n = minimum_track_record_length(sr, bench, skew, kurt, alpha=0.05)
    assert probabilistic_sharpe_ratio(sr, bench, n, skew, kurt) == pytest.approx(0.95, abs=1e-12)  # type: ignore[arg-type]


def test_min_trl_edges() -> None:
    assert minimum_track_record_length(0.02, 0.02) == math.inf
    assert minimum_track_record_length(-0.1, 0.0) == math.inf
    assert math.isnan(minimum_track_record_length(float("nan"), 0.0))
    assert math.isnan(minimum_track_record_length(0.5, 0.0, skew=10.0, kurtosis=3.0))
    with pytest.raises(ValueError, match="alpha"):
        minimum_track_record_length(0.1, 0.0, alpha=1.0)


def test_min_trl_from_returns_two_point_distribution() -> None:
    # +0.2 % and -0.1 % alternating, 100 days: mean 0.05 %, population sd 0.15 %, skew 0,
    # kurtosis 1. Sample (ddof=1) per-period SR = 1/3 * sqrt(99/100), SR^2 = 0.11; the
    # variance term is 1 - 0 + 0 = 1, so MinTRL = 1 + 2.7055434 / 0.11 = 25.59585.
    r = np.tile([0.002, -0.001], 50)
    res = min_track_record_from_returns(r)
    assert res.sr == pytest.approx(math.sqrt(0.99) / 3, rel=1e-12)
    assert res.skew == pytest.approx(0.0, abs=1e-9)
    assert res.kurtosis == pytest.approx(1.0, rel=1e-9)
    assert res.observations == pytest.approx(1 + Z95_SQUARED / 0.11, rel=1e-9)
    assert res.observations == pytest.approx(25.59585, rel=1e-6)
    assert res.years == pytest.approx(res.observations / 252)
    assert (res.n_obs, res.alpha) == (100, 0.05)
    assert min_track_record_from_returns(r, periods_per_year=12).years == pytest.approx(
        res.observations / 12
    )


def test_min_trl_from_returns_losing_and_flat() -> None:
    assert min_track_record_from_returns(np.tile([-0.002, 0.001], 50)).observations == math.inf
    flat = min_track_record_from_returns(np.zeros(100))  # champion == benchmark every day
    assert math.isnan(flat.observations) and math.isnan(flat.sr)
    with pytest.raises(ValueError, match="at least 2"):
        min_track_record_from_returns([0.01])


def test_holm_hand_computed_with_nan() -> None:
    # Finite p-values 0.01, 0.04, 0.03, 0.20 (m = 4), sorted 0.01, 0.03, 0.04, 0.20;
    # times 4, 3, 2, 1: 0.04, 0.09, 0.08, 0.20; running max: 0.04, 0.09, 0.09, 0.20.
    got = holm_adjust([0.01, 0.04, 0.03, np.nan, 0.20])
    np.testing.assert_allclose(got, [0.04, 0.09, 0.09, np.nan, 0.20], rtol=1e-12)
    # Capped at 1, and the cap carries through the running maximum.
    np.testing.assert_allclose(holm_adjust([0.6, 0.5]), [1.0, 1.0])
    assert holm_adjust([]).shape == (0,)
    assert np.isnan(holm_adjust([np.nan])).all()


def test_holm_agrees_with_statsmodels() -> None:
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    p = np.random.default_rng(0).uniform(0.0, 0.2, 12)
    p[3] = p[7]  # a tie
    want = multitest.multipletests(p, method="holm")[1]
    np.testing.assert_allclose(holm_adjust(p), want, rtol=1e-12)


def test_holm_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        holm_adjust([0.5, 1.2])
    with pytest.raises(ValueError, match="1-D"):
        holm_adjust([[0.1, 0.2]])
