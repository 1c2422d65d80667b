"""Output heads: scores ``(..., assets)`` to long-only weights on the (capped) simplex.

Shared by Model 1 (asset scores) and Model 2 (strategy or asset scores).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

_CAP_TOL = 1e-9


def check_cap(max_weight: float | None, n_assets: int) -> None:
    """Raise ``ValueError`` unless weights capped at ``max_weight`` can sum to 1."""
    if max_weight is None:
        return
    if not 0.0 < max_weight <= 1.0:
        raise ValueError(f"max_weight must lie in (0, 1], got {max_weight}")
    if max_weight * n_assets < 1.0 - _CAP_TOL:
        raise ValueError(
            f"max_weight={max_weight} is infeasible for {n_assets} assets: "
            f"it must be at least 1/{n_assets} = {1.0 / n_assets:.6g}"
        )


def capped_softmax(scores: Tensor, max_weight: float | None = None) -> Tensor:
    """Softmax over the last axis, then cap every weight at ``max_weight``.

    The capped simplex is reached by iterative redistribution: assets whose weight
    exceeds the cap are pinned at the cap, and the remaining mass ``1 - k · cap`` is
    shared among the free assets in proportion to their softmax weights (a softmax over
    their scores alone, so it stays stable for extreme scores). Each round pins at least
    one more asset, so at most ``assets - 1`` rounds run. The map is piecewise smooth and
    differentiable almost everywhere.

    Args:
        scores: ``(..., assets)`` real scores.
        max_weight: cap in ``[1 / assets, 1]``, or ``None`` for a plain softmax.

    Returns:
        ``(..., assets)`` weights, non-negative, summing to 1, each ``<= max_weight``.
    """
    n = scores.shape[-1]
    weights = torch.softmax(scores, dim=-1)
    if max_weight is None or max_weight >= 1.0:
        return weights
    check_cap(max_weight, n)
    if max_weight * n <= 1.0 + _CAP_TOL:
        # Only the uniform portfolio is feasible.
        return torch.full_like(scores, 1.0 / n)
    capped = torch.zeros_like(scores, dtype=torch.bool)
    for _ in range(n - 1):
        newly = (weights > max_weight) & ~capped
        if not bool(newly.any()):
            break
        capped = capped | newly
        free_mass = 1.0 - max_weight * capped.sum(dim=-1, keepdim=True).to(scores.dtype)
        free = torch.softmax(scores.masked_fill(capped, float("-inf")), dim=-1)
        weights = torch.where(capped, torch.full_like(scores, max_weight), free * free_mass)
    return weights


def masked_capped_softmax(scores: Tensor, mask: Tensor, max_weight: float | None = None) -> Tensor:
    """:func:`capped_softmax` over the investable assets only (a ragged universe).

    Args:
        scores: ``(..., assets)`` real scores.
        mask: ``(..., assets)`` bool, True where the asset is investable.
        max_weight: cap per asset, applied to the investable count ``k`` of each row: the
            effective cap is ``max(max_weight, 1 / k)`` (``1 / k``: only the uniform portfolio
            over the ``k`` assets is feasible).

    Returns:
        ``(..., assets)`` weights: **exactly 0** where ``mask`` is False (their scores never
        enter the softmax), non-negative and summing to 1 over the investable assets; a row
        with no investable asset is all 0 (cash).
    """
    mask = mask.to(torch.bool)
    some = mask.any(dim=-1, keepdim=True)
    usable = mask | ~some  # a row without any: computed on all, zeroed below
    filled = scores.masked_fill(~usable, float("-inf"))
    weights = torch.softmax(filled, dim=-1)
    if max_weight is not None and max_weight < 1.0:
        if not 0.0 < max_weight <= 1.0:
            raise ValueError(f"max_weight must lie in (0, 1], got {max_weight}")
        count = usable.sum(dim=-1, keepdim=True).to(scores.dtype)
        cap = torch.clamp(1.0 / count, min=max_weight)
        capped = torch.zeros_like(usable)
        for _ in range(scores.shape[-1] - 1):
            newly = (weights > cap + _CAP_TOL) & ~capped
            if not bool(newly.any()):
                break
            capped = capped | newly
            free_mass = 1.0 - cap * capped.sum(dim=-1, keepdim=True).to(scores.dtype)
            free = torch.nan_to_num(
                torch.softmax(filled.masked_fill(capped, float("-inf")), dim=-1), nan=0.0
            )
            weights = torch.where(capped, cap.expand_as(weights), free * free_mass)
        uniform = (max_weight * count <= 1.0 + _CAP_TOL).expand_as(weights)
        weights = torch.where(uniform, usable.to(scores.dtype) / count, weights)
    return torch.where(mask, weights, torch.zeros_like(weights))


class SimplexHead(nn.Module):
    """Temperature softmax with an optional weight cap: ``(..., assets)`` to weights."""

    def __init__(
        self, n_assets: int, temperature: float = 1.0, max_weight: float | None = None
    ) -> None:
        super().__init__()
        if temperature <= 0.0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        check_cap(max_weight, n_assets)
        self.n_assets = n_assets
        self.temperature = temperature
        self.max_weight = max_weight

    def forward(self, scores: Tensor, mask: Tensor | None = None) -> Tensor:
        """Weights ``(..., assets)`` from scores ``(..., assets)``; with ``mask`` (bool, same
        shape: the investable assets) exactly 0 off it (:func:`masked_capped_softmax`)."""
        if mask is not None:
            return masked_capped_softmax(scores / self.temperature, mask, self.max_weight)
        return capped_softmax(scores / self.temperature, self.max_weight)

    def extra_repr(self) -> str:
        return f"temperature={self.temperature}, max_weight={self.max_weight}"
