"""Every classic rule returns valid weights (picked up from the registry automatically)."""

from __future__ import annotations

import numpy as np
import pytest

from evofolio.errors import UsageError
from evofolio.strategies import STRATEGIES, resolve_strategies, strategy_weights


def window(n_days: int = 252, n_assets: int = 6, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    common = rng.normal(0.0004, 0.01, (n_days, 1))
    return common + rng.normal(0.0, 0.01 * (1 + np.arange(n_assets)) / n_assets, (n_days, n_assets))


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_rule_returns_long_only_fully_invested_weights(name: str) -> None:
    weights = strategy_weights(name, window())
    assert weights.shape == (6,)
    assert np.all(weights >= 0)
    assert weights.sum() == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_rule_is_deterministic(name: str) -> None:
    np.testing.assert_array_equal(
        strategy_weights(name, window()), strategy_weights(name, window())
    )


def test_rules_differ_where_they_should() -> None:
    data = window()
    equal = strategy_weights("equal_weight", data)
    np.testing.assert_allclose(equal, 1 / 6)
    inverse = strategy_weights("inverse_vol", data)
    vol = data.std(axis=0)
    np.testing.assert_allclose(inverse, (1 / vol) / (1 / vol).sum(), rtol=1e-6)
    minvar = strategy_weights("min_variance", data)
    cov = np.cov(data, rowvar=False)
    assert minvar @ cov @ minvar <= equal @ cov @ equal


def test_resolve_strategies() -> None:
    assert resolve_strategies("all") == list(STRATEGIES)
    assert resolve_strategies("hrp, equal_weight") == ["hrp", "equal_weight"]
    with pytest.raises(UsageError, match="unknown strategy 'nope'"):
        resolve_strategies("nope")
