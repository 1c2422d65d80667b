"""The classic rules' covariance estimator: auto's rule, shrinkage reaching skfolio, wide data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import skfolio.moments.covariance._base as skfolio_covariance
from sklearn.covariance import ledoit_wolf

from evofolio.config import parse_config
from evofolio.errors import ConfigError
from evofolio.strategies import strategy_weights
from evofolio.strategies.covariance import COVARIANCES, resolve_covariance


@pytest.mark.parametrize(
    ("n_assets", "window", "expected"),
    [
        (20, 252, "empirical"),  # the sp500 universe with the default window: unchanged
        (25, 252, "empirical"),  # 25 <= 25.2
        (26, 252, "ledoit_wolf"),  # 26 > 25.2
        (500, 252, "ledoit_wolf"),
        (20, 150, "ledoit_wolf"),  # 20 > 15
    ],
)
def test_auto_shrinks_when_assets_exceed_a_tenth_of_the_window(
    n_assets: int, window: int, expected: str
) -> None:
    assert resolve_covariance("auto", n_assets, window) == expected


def test_a_named_estimator_is_kept_and_an_unknown_one_names_the_key() -> None:
    for name in COVARIANCES:
        assert resolve_covariance(name, 500, 252) == name
    with pytest.raises(ConfigError, match="strategies.covariance.*'sample'"):
        resolve_covariance("sample", 20, 252)


def test_the_config_accepts_every_estimator_and_refuses_others() -> None:
    assert parse_config({}, "test").strategies.covariance == "auto"
    for name in ["auto", *COVARIANCES]:
        config = parse_config({"strategies": {"covariance": name}}, "test")
        assert config.strategies.covariance == name
    with pytest.raises(ConfigError, match="covariance"):
        parse_config({"strategies": {"covariance": "sample"}}, "test")


def _returns(rows: int, assets: int, seed: int = 0) -> np.ndarray:
    """One-factor daily returns: a market factor plus idiosyncratic noise of varied size."""
    rng = np.random.default_rng(seed)
    market = rng.normal(0.0003, 0.01, (rows, 1))
    betas = rng.uniform(0.5, 1.5, assets)
    noise = rng.normal(0.0, 1.0, (rows, assets)) * rng.uniform(0.005, 0.03, assets)
    return np.asarray(market * betas + noise)


def test_ledoit_wolf_reaches_the_rule_inverse_vol_by_hand() -> None:
    window = _returns(60, 5)
    shrunk, _ = ledoit_wolf(window)  # scikit-learn's estimator, which skfolio's wraps
    expected = 1.0 / np.sqrt(np.diag(shrunk))
    expected /= expected.sum()
    got = strategy_weights("inverse_vol", window, covariance="ledoit_wolf")
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    sample = 1.0 / window.std(axis=0, ddof=1)
    np.testing.assert_allclose(
        strategy_weights("inverse_vol", window, covariance="empirical"),
        sample / sample.sum(),
        rtol=1e-9,
    )
    assert not np.allclose(got, sample / sample.sum(), rtol=1e-4)


RISK_RULES = ["inverse_vol", "min_variance", "risk_parity", "hrp", "max_diversification"]


def _count_repairs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Patch skfolio's nearest-PD repair to count its calls: [all, those that changed the
    matrix]."""
    original = skfolio_covariance.cov_nearest
    repairs = [0, 0]

    def spy(cov: np.ndarray, *args: Any, **kwargs: Any) -> np.ndarray:
        out = original(cov, *args, **kwargs)
        repairs[0] += 1
        repairs[1] += out is not cov
        return np.asarray(out)

    monkeypatch.setattr(skfolio_covariance, "cov_nearest", spy)
    return repairs


def test_ledoit_wolf_on_a_wide_universe_needs_no_repair_and_gives_valid_weights(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = _returns(40, 60)  # more assets than days: the sample covariance is singular
    repairs = _count_repairs(monkeypatch)
    strategy_weights("min_variance", window, covariance="empirical")
    assert repairs[1] >= 1  # the spy sees the repair the sample covariance needs
    repairs[:] = [0, 0]
    for name in RISK_RULES:
        weights = strategy_weights(name, window, covariance="ledoit_wolf")
        assert np.all(np.isfinite(weights)), name
        assert weights.min() >= 0.0 and weights.sum() == pytest.approx(1.0), name
    assert repairs == [0, 0]  # neither repaired nor checked (positive definite by design)


def test_oas_reaches_the_rule_too() -> None:
    window = _returns(60, 5, seed=3)
    empirical = strategy_weights("min_variance", window, covariance="empirical")
    oas = strategy_weights("min_variance", window, covariance="oas")
    assert oas.sum() == pytest.approx(1.0)
    assert np.abs(oas - empirical).max() > 1e-4


def test_a_large_universe_gets_the_large_settings_and_a_small_one_skfolios_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Above LARGE_UNIVERSE assets every convex rule is given the looser gap tolerance and the
    ``faer`` solver, the fully invested ones no weight cap (implied by the budget), and HRP its
    tree's leaf order; at or below it, skfolio's defaults (sp500 unchanged). The looser,
    uncapped solve stays close to a strict, capped one: the cap was redundant."""
    import dataclasses

    from skfolio.optimization import MaximumDiversification, RiskBudgeting

    from evofolio.strategies import STRATEGIES
    from evofolio.strategies.covariance import prior_for
    from evofolio.strategies.weights import (
        LARGE_SOLVER,
        LARGE_TOLERANCE,
        LARGE_UNIVERSE,
        solver_params,
    )

    looser = {"tol_gap_abs": LARGE_TOLERANCE, "tol_gap_rel": LARGE_TOLERANCE, **LARGE_SOLVER}
    assert solver_params(LARGE_UNIVERSE) is None
    assert solver_params(LARGE_UNIVERSE + 1) == looser
    seen: list[tuple[str, Any, Any, Any]] = []
    for name, strategy in list(STRATEGIES.items()):

        def recording(make: Any = strategy.make, name: str = name) -> Any:
            estimator = make()
            fit = estimator.fit

            def fit_and_record(X: Any, y: Any = None) -> Any:
                params = estimator.get_params(deep=False)
                seriation = params.get("seriation_estimator")
                seen.append(
                    (
                        name,
                        params.get("solver_params"),
                        params.get("max_weights", "absent"),
                        None if seriation is None else seriation.optimal_ordering,
                    )
                )
                return fit(X, y)

            estimator.fit = fit_and_record
            return estimator

        monkeypatch.setitem(STRATEGIES, name, dataclasses.replace(strategy, make=recording))
    convex = ("min_variance", "max_sharpe", "risk_parity", "max_diversification")
    for n_assets, large in ((LARGE_UNIVERSE, False), (LARGE_UNIVERSE + 20, True)):
        window = _returns(252, n_assets, seed=3)
        seen.clear()
        for name in (*convex, "hrp"):
            strategy_weights(name, window, covariance="ledoit_wolf")
        expected = [
            # risk parity keeps its cap (Clarabel needs it on some windows)
            (
                name,
                looser if large else None,
                None if large and name != "risk_parity" else 1.0,
                None,
            )
            for name in convex
        ]
        expected.append(("hrp", None, 1.0, False if large else None))
        assert seen == expected
    strict = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10}
    for name, rule in (
        ("risk_parity", RiskBudgeting),
        ("max_diversification", MaximumDiversification),
    ):
        ours = strategy_weights(name, window, covariance="ledoit_wolf")
        capped = rule(prior_estimator=prior_for("ledoit_wolf"), solver_params=strict).fit(window)
        np.testing.assert_allclose(ours, capped.weights_, atol=1e-5)
    ours = strategy_weights("risk_parity", window, covariance="ledoit_wolf")
    qdldl = RiskBudgeting(
        prior_estimator=prior_for("ledoit_wolf"),
        solver_params={"tol_gap_abs": LARGE_TOLERANCE, "tol_gap_rel": LARGE_TOLERANCE},
    ).fit(window)
    np.testing.assert_allclose(ours, qdldl.weights_, atol=1e-5)  # the solver, not the answer


def test_hrp_keeps_skfolios_leaf_order_up_to_the_large_size_and_the_tree_order_above() -> None:
    """HRP above LARGE_UNIVERSE assets is skfolio's HRP with the clustering tree's own leaf
    order (López de Prado 2016), at or below it skfolio's default (optimal leaf ordering);
    the two orders give different weights on these windows, so the test tells them apart."""
    from skfolio.optimization import HierarchicalRiskParity
    from skfolio.seriation import HierarchicalSeriation

    from evofolio.strategies.covariance import prior_for
    from evofolio.strategies.weights import LARGE_UNIVERSE

    for n_assets, optimal in ((LARGE_UNIVERSE, True), (LARGE_UNIVERSE + 20, False)):
        window = _returns(252, n_assets, seed=5)
        ours = strategy_weights("hrp", window, covariance="ledoit_wolf")
        by_order = {
            order: HierarchicalRiskParity(
                prior_estimator=prior_for("ledoit_wolf"),
                seriation_estimator=HierarchicalSeriation(optimal_ordering=order),
            )
            .fit(window)
            .weights_
            for order in (True, False)
        }
        assert np.abs(by_order[True] - by_order[False]).max() > 1e-4 * by_order[True].max()
        np.testing.assert_allclose(ours, by_order[optimal], rtol=1e-9, atol=1e-15)
