"""Objectives: parity with the numpy metrics, costs arithmetic, registry, safe gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from evofolio.errors import ConfigError
from evofolio.metrics.performance import mean_variance_utility, sharpe_ratio, sortino_ratio
from evofolio.objectives import (
    OBJECTIVES,
    get_objective,
    portfolio_returns,
    sharpe_loss,
    sortino_loss,
    utility_loss,
)


@pytest.fixture(params=[0, 1, 2])
def returns(request: pytest.FixtureRequest) -> np.ndarray:
    rng = np.random.default_rng(request.param)
    return rng.normal(0.0005, 0.012, size=(3, 250))


@pytest.mark.parametrize("eps", [0.0, None])
def test_sharpe_and_sortino_match_metrics(returns: np.ndarray, eps: float | None) -> None:
    t = torch.from_numpy(returns)
    kw = {} if eps is None else {"eps": eps}
    rtol = 1e-12 if eps == 0.0 else 1e-8
    flat = returns.reshape(-1)
    assert -float(sharpe_loss(t, **kw)) == pytest.approx(sharpe_ratio(flat), rel=rtol)
    assert -float(sortino_loss(t, **kw)) == pytest.approx(sortino_ratio(flat), rel=rtol)


@pytest.mark.parametrize("risk_aversion", [0.0, 1.0, 7.5])
def test_utility_matches_metric(returns: np.ndarray, risk_aversion: float) -> None:
    got = -float(utility_loss(torch.from_numpy(returns), risk_aversion))
    want = mean_variance_utility(returns.reshape(-1), risk_aversion)
    assert got == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_registry_and_binding(returns: np.ndarray) -> None:
    assert set(OBJECTIVES) == {"sharpe", "sortino", "utility"}
    t = torch.from_numpy(returns)
    assert float(get_objective("utility", 4.0)(t)) == float(utility_loss(t, 4.0))
    assert get_objective("sharpe") is sharpe_loss
    with pytest.raises(ConfigError, match="unknown"):
        get_objective("calmar")


def test_portfolio_returns_by_hand() -> None:
    w = torch.tensor([[0.5, 0.5], [1.0, 0.0], [0.2, 0.8]], dtype=torch.float64)
    r = torch.tensor([[0.01, -0.02], [0.03, 0.01], [-0.01, 0.02]], dtype=torch.float64)
    gross = torch.tensor([-0.005, 0.03, 0.014], dtype=torch.float64)
    assert torch.allclose(portfolio_returns(w, r), gross)
    cost = 10.0 * 1e-4  # 10 bps per unit of turnover
    turnover = torch.tensor([0.0, 1.0, 1.6], dtype=torch.float64)
    assert torch.allclose(portfolio_returns(w, r, 10.0), gross - cost * turnover)
    prev = torch.tensor([0.0, 1.0], dtype=torch.float64)
    first = torch.tensor([1.0, 1.0, 1.6], dtype=torch.float64)
    assert torch.allclose(portfolio_returns(w, r, 10.0, prev), gross - cost * first)


def test_portfolio_returns_batched_and_shape_checked() -> None:
    w = torch.softmax(torch.randn(4, 7, 3), -1)
    r = torch.randn(4, 7, 3) * 0.01
    out = portfolio_returns(w, r, 5.0)
    assert out.shape == (4, 7)
    assert torch.allclose(out[2], portfolio_returns(w[2], r[2], 5.0))
    with pytest.raises(ValueError, match="same shape"):
        portfolio_returns(w, r[:, :6])


@pytest.mark.parametrize("name", sorted(OBJECTIVES))
def test_constant_returns_give_finite_gradient(name: str) -> None:
    r = torch.full((50,), 0.001, requires_grad=True)
    loss = get_objective(name)(r)
    loss.backward()
    assert torch.isfinite(loss)
    assert r.grad is not None and torch.isfinite(r.grad).all()
