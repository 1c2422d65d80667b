"""Run an encoder over groups of independent sequences, checkpointed when training.

Model 1's encoders read one sequence per asset and chunk: at 500 assets a training step has
thousands of sequences, and their activations at once took gigabytes. Above a size the
encoders (:mod:`~evofolio.models.asset_lstm`, :mod:`~evofolio.models.asset_attention`) run
through :func:`in_groups`: with gradients each group is checkpointed (PyTorch's non-reentrant
``torch.utils.checkpoint``: its activations are dropped and recomputed in the backward pass,
its dropout masks replayed), without gradients each group's activations are freed before
the next. Sequences are independent, so the results are those of one pass (without dropout;
with it, the same distribution of masks, other draws).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import torch
from torch.utils.checkpoint import checkpoint

T = TypeVar("T")


def in_groups(step: Callable[[slice], T], total: int, size: int) -> list[T]:
    """``[step(part) for part in slices of size size over range(total)]``, each call
    checkpointed when gradients are enabled (``step`` slices its own inputs, so that only
    what it returns outlives the group). ``size`` is at least 1.
    """
    grad = torch.is_grad_enabled()
    out: list[T] = []
    for first in range(0, total, size):
        part = slice(first, first + size)
        out.append(checkpoint(step, part, use_reentrant=False) if grad else step(part))
    return out
