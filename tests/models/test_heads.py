"""The simplex head: softmax with temperature and a feasible, differentiable cap."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from evofolio.models.heads import SimplexHead, capped_softmax, check_cap


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 25),
    cap_frac=st.floats(0.0, 1.0),
    scale=st.floats(0.01, 100.0),
    seed=st.integers(0, 10_000),
)
def test_capped_softmax_is_on_the_capped_simplex(
    n: int, cap_frac: float, scale: float, seed: int
) -> None:
    cap = 1.0 / n + cap_frac * (1.0 - 1.0 / n)
    gen = torch.Generator().manual_seed(seed)
    scores = torch.randn(6, n, generator=gen) * scale
    w = capped_softmax(scores, cap)
    assert w.shape == scores.shape
    assert (w >= 0).all()
    assert torch.allclose(w.sum(-1), torch.ones(6), atol=1e-6)
    assert (w <= cap + 1e-6).all()


def test_cap_keeps_order_and_proportions_of_free_assets() -> None:
    scores = torch.tensor([[5.0, 4.0, 1.0, 0.0, -1.0]])
    w = capped_softmax(scores, 0.3)[0]
    assert torch.allclose(w[:2], torch.tensor([0.3, 0.3]))
    p = torch.softmax(scores[0, 2:], -1)
    assert torch.allclose(w[2:], 0.4 * p, atol=1e-7)


def test_no_cap_is_softmax_and_cap_one_over_n_is_uniform() -> None:
    scores = torch.randn(3, 4)
    assert torch.equal(capped_softmax(scores, None), torch.softmax(scores, -1))
    assert torch.allclose(capped_softmax(scores, 0.25), torch.full((3, 4), 0.25))


def test_cap_is_differentiable() -> None:
    scores = torch.randn(8, 10, requires_grad=True)
    w = capped_softmax(scores * 3, 0.15)
    (w * torch.randn(8, 10)).sum().backward()
    assert scores.grad is not None and torch.isfinite(scores.grad).all()
    assert scores.grad.abs().sum() > 0


def test_extreme_scores_stay_finite() -> None:
    scores = torch.tensor([[300.0, 0.0, -300.0, -300.0]])
    w = capped_softmax(scores, 0.4)
    assert torch.isfinite(w).all()
    assert torch.allclose(w.sum(-1), torch.ones(1))


def test_infeasible_cap_and_bad_temperature_raise() -> None:
    with pytest.raises(ValueError, match="infeasible"):
        check_cap(0.2, 4)
    with pytest.raises(ValueError, match="max_weight"):
        check_cap(1.5, 4)
    with pytest.raises(ValueError, match="temperature"):
        SimplexHead(4, temperature=0.0)


def test_temperature_flattens_weights() -> None:
    scores = torch.tensor([[2.0, 0.0, -1.0]])
    hot = SimplexHead(3, temperature=10.0)(scores)
    cold = SimplexHead(3, temperature=0.1)(scores)
    assert hot.max() < torch.softmax(scores, -1).max() < cold.max()
