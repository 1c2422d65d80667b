"""Chunk losses: what the training loop minimises on a batch of chunks.

A :data:`ChunkLoss` maps ``(model, chunks, idx)`` to a scalar, where ``idx`` picks chunks of
a :class:`~evofolio.training.chunks.Chunks` and the model runs in training mode when it
needs gradients. Two losses exist:

* :func:`objective_loss` (default, Model 1 and Model 2's blend mode): the portfolio
  objective of the net returns ``w_t · r_{t→t+1}``; ``chunks.returns`` holds the next
  returns ``(chunks, chunk_len, assets)``;
* :func:`selection_loss` (Model 2's select mode): the cross-entropy of the model's logits
  against target distributions; ``chunks.returns`` holds one-hot labels ``(chunks,
  chunk_len, strategies)``, and rows whose targets are all zero (no label) are ignored.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from evofolio.objectives import ObjectiveFn, portfolio_returns
from evofolio.training.chunks import Chunks, run_chunks

ChunkLoss = Callable[[nn.Module, Chunks, Tensor | slice], Tensor]


def objective_loss(objective: ObjectiveFn, cost_bps: float = 0.0) -> ChunkLoss:
    """The objective on the net portfolio returns of the chunk rows (burn-in excluded)."""

    def loss(model: nn.Module, chunks: Chunks, idx: Tensor | slice) -> Tensor:
        assert chunks.returns is not None
        weights, prev = run_chunks(model, chunks.inputs[idx], chunks.burn_in, model.training)
        net = portfolio_returns(weights, chunks.returns[idx], cost_bps, prev)
        return objective(net[chunks.mask[idx]])

    return loss


def cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    """Mean cross-entropy of ``logits`` ``(rows, classes)`` against target distributions.

    Rows whose targets sum to zero carry no label and are skipped; with no labelled row the
    loss is a zero that still depends on ``logits`` (so ``backward`` works).
    """
    labelled = targets.sum(dim=-1) > 0
    if not bool(labelled.any()):
        return logits.sum() * 0.0
    log_probs = torch.log_softmax(logits[labelled], dim=-1)
    return -(targets[labelled] * log_probs).sum(dim=-1).mean()


def selection_loss(model: nn.Module, chunks: Chunks, idx: Tensor | slice) -> Tensor:
    """Cross-entropy of ``model.logits`` on the chunk rows against one-hot labels.

    The model must have a ``logits(x, state) -> (logits, state)`` method, the pre-softmax
    twin of its ``forward`` (see :class:`~evofolio.models.portfolio_lstm.PortfolioLSTM`).
    """
    assert chunks.returns is not None
    step = getattr(model, "logits", None)
    if step is None:
        raise TypeError(f"{type(model).__name__} has no logits() method for selection_loss")
    logits, _ = run_chunks(step, chunks.inputs[idx], chunks.burn_in, model.training)
    mask = chunks.mask[idx]
    return cross_entropy(logits[mask], chunks.returns[idx][mask])
