"""Chunked streaming: cut a series into contiguous chunks that run as one batch.

A span of rows ``[start, stop)`` is cut into chunks of ``chunk_len`` rows. Each chunk's
input is prefixed with the ``burn_in`` rows before it, so the LSTM enters the chunk
with a warmed-up state: every output sees at least ``burn_in`` rows of history (rows
before the first row of the series are zeros, i.e. the standardised mean). Chunks are
independent, so all of them run in parallel as one batch, and the series is read once
per pass instead of once per window. Training and inference use the same cut, so the
model is always evaluated on the kind of history it was trained on.

The weights at row ``t`` depend only on rows ``[c - burn_in, t]``, where ``c`` is the
first row of ``t``'s chunk (``c = start + chunk_len · floor((t - start) / chunk_len)``):
causal, and independent of how many rows follow ``t``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

Step = Callable[[Tensor, Any], tuple[Tensor, Any]]
"""``(inputs, state) -> (outputs, state)``: a model, or one of its methods (e.g. logits)."""


@dataclass(frozen=True)
class Chunks:
    """A span of rows cut into chunks.

    Attributes:
        inputs: ``(chunks, burn_in + chunk_len, assets, features)``.
        returns: ``(chunks, chunk_len, assets)`` next-day returns of the chunk rows (or
            another per-row target of a custom loss, e.g. one-hot labels), or ``None`` at
            inference.
        mask: ``(chunks, chunk_len)`` bool, True on rows of ``[start, stop)`` (False on
            the zero padding after ``stop``).
        burn_in: rows of each input that only warm the state up.
        index: ``(chunks, K)``, for chunks compacted to the assets each can use (see
            :func:`compact_chunks`), the original column of each kept one; else None.
    """

    inputs: Tensor
    returns: Tensor | None
    mask: Tensor
    burn_in: int
    index: Tensor | None = None

    @property
    def n_chunks(self) -> int:
        return int(self.inputs.shape[0])


def make_chunks(
    features: Tensor,
    start: int,
    stop: int,
    chunk_len: int,
    burn_in: int,
    next_returns: Tensor | None = None,
    *,
    compact: bool = False,
) -> Chunks:
    """Cut rows ``[start, stop)`` of ``features`` ``(time, assets, features)`` into chunks.

    Rows ``>= stop`` are never read (the padding after ``stop`` is zeros), so a training
    span never sees the validation rows that follow it. ``compact`` (a masked model's inputs,
    the last feature the availability channel): each chunk keeps only the assets it can use
    (:func:`compact_chunks`), gathered straight from the series, without first copying
    every column into chunks.
    """
    if not 0 <= start < stop <= features.shape[0]:
        raise ValueError(f"need 0 <= start < stop <= {features.shape[0]}, got {start}, {stop}")
    if chunk_len < 1 or burn_in < 0:
        raise ValueError(f"need chunk_len >= 1 and burn_in >= 0, got {chunk_len}, {burn_in}")
    span = stop - start
    n_chunks = math.ceil(span / chunk_len)
    right = n_chunks * chunk_len - span
    left = max(0, burn_in - start)
    _, n, f = features.shape
    body = features[max(0, start - burn_in) : stop]
    padded = torch.cat([body.new_zeros(left, n, f), body, body.new_zeros(right, n, f)])
    window = padded.unfold(0, burn_in + chunk_len, chunk_len).permute(0, 3, 1, 2)  # a view
    index = _usable_columns(window[..., -1]) if compact else None
    if index is None:
        inputs = window.contiguous()
    else:
        inputs = torch.take_along_dim(window, index[:, None, :, None], dim=2)
    mask = (torch.arange(n_chunks * chunk_len, device=features.device) < span).reshape(
        n_chunks, chunk_len
    )
    returns = None
    if next_returns is not None:
        r = next_returns[start:stop]
        returns = torch.cat([r, r.new_zeros(right, n)]).reshape(n_chunks, chunk_len, n)
        if index is not None:
            returns = torch.take_along_dim(returns, index[:, None, :], dim=2)
    return Chunks(inputs=inputs, returns=returns, mask=mask, burn_in=burn_in, index=index)


def _usable_columns(availability: Tensor) -> Tensor | None:
    """``(chunks, K)``: per chunk, the columns available on some row of ``availability``
    ``(chunks, rows, assets)``, in order, then the others, cut to the largest available
    count ``K``; None when that is every column."""
    active = availability.amax(dim=1) > 0.5  # (chunks, assets)
    n = int(active.shape[1])
    width = max(1, int(active.sum(dim=1).max()))
    if width >= n:
        return None
    rank = torch.arange(n, device=active.device) + n * (~active).long()
    return rank.argsort(dim=1)[:, :width]


def compact_chunks(chunks: Chunks) -> tuple[Chunks, Tensor | None]:
    """A ragged universe's chunks on the assets each chunk can use, and where they came from.

    For a masked model (the last feature is the availability channel: 1 where the asset is
    investable, see :func:`evofolio.allocators.neural.masked_inputs`) an asset that is never
    available in a chunk's input rows (burn-in included) gets weight exactly 0 on every row of
    that chunk and costs nothing to trade, and each asset is encoded on its own (the shared
    LSTM and ``asset_attention`` batch assets; only the head's masked softmax mixes them). So
    each chunk keeps only its available assets: its columns are reordered, available ones
    first, and all chunks are cut to the largest available count ``K``. A 20-year universe of
    1,000 assets that ever lived, 500 at a time, then trains on about 500 columns per chunk,
    not 1,000: the weights of the kept columns are those of the full chunk (up to float
    summation order in the softmax).

    Returns the compacted chunks (``inputs`` ``(chunks, rows, K, features)``, ``returns``
    ``(chunks, chunk_len, K)``) and ``index`` ``(chunks, K)``, the original column of each
    kept one; ``(chunks, None)`` when no column can be dropped.
    """
    index = _usable_columns(chunks.inputs[..., -1])
    if index is None:
        return chunks, None
    inputs = torch.take_along_dim(chunks.inputs, index[:, None, :, None], dim=2)
    returns = None
    if chunks.returns is not None:
        returns = torch.take_along_dim(chunks.returns, index[:, None, :], dim=2)
    compacted = Chunks(
        inputs=inputs, returns=returns, mask=chunks.mask, burn_in=chunks.burn_in, index=index
    )
    return compacted, index


def is_masked(model: nn.Module) -> bool:
    """Whether ``model`` reads an availability channel as its last feature (a ragged
    universe's Model 1: ``config.masked``)."""
    return bool(getattr(getattr(model, "config", None), "masked", False))


def run_chunks(
    model: nn.Module | Step, inputs: Tensor, burn_in: int, grad: bool
) -> tuple[Tensor, Tensor | None]:
    """Weights on the chunk rows after the burn-in.

    The burn-in runs without gradient (truncated back-propagation), then the chunk rows
    run from the warmed-up state with gradient when ``grad`` is true. Of the burn-in only
    the state and the last row's weights are used: a model with a ``warm_up(x, state) ->
    (last weights (batch, items), state)`` method computes just those (see
    :class:`~evofolio.models.protocol.SequenceModel`).

    Args:
        model: maps ``(batch, time, assets, features)`` to ``(weights, state)`` (or a
            method of a model with that signature, such as ``logits``).
        inputs: ``(chunks, burn_in + chunk_len, assets, features)``.

    Returns:
        weights ``(chunks, chunk_len, assets)`` and the weights ``(chunks, assets)`` held
        before the first chunk row (``None`` without burn-in), for turnover costs.
    """
    state = None
    prev = None
    if burn_in > 0:
        warm_up = getattr(model, "warm_up", None)
        with torch.no_grad():
            if warm_up is not None:  # the last row's weights alone (attention: cheaper)
                prev, state = warm_up(inputs[:, :burn_in], None)
            else:
                warm, state = model(inputs[:, :burn_in], None)
                prev = warm[:, -1]
    with torch.set_grad_enabled(grad):
        weights, _ = model(inputs[:, burn_in:], state)
    return weights, prev


PREDICT_SEQUENCES = 4096
"""At most this many sequences (chunks × assets) per forward pass of :func:`predict_weights`:
a 20-year series is ~50 chunks, 25,000 sequences at 500 assets, whose activations at once took
gigabytes. Chunks are independent (each has its own burn-in), so the weights are the same."""


def chunk_origin(start: int, chunk_len: int) -> int:
    """The first row of the chunk holding row ``start`` (the chunks are cut from row 0)."""
    return (start // chunk_len) * chunk_len


def first_row_read(start: int, chunk_len: int, burn_in: int) -> int:
    """The first row of a series that :func:`predict_weights` reads for the rows from
    ``start`` on: the burn-in of ``start``'s chunk."""
    return max(0, chunk_origin(start, chunk_len) - burn_in)


def predict_weights(
    model: nn.Module,
    features: np.ndarray | Tensor,
    seq_len: int,
    chunk_len: int,
    device: torch.device | None = None,
    max_batch: int = 512,
    start: int = 0,
) -> np.ndarray:
    """Weights for every row of a series from ``start`` on, with the chunking used in training.

    Args:
        model: a trained model (put in eval mode here).
        features: ``(time, assets, features)`` float32, standardised like the training rows.
        seq_len: burn-in rows before each chunk (``TrainingConfig.seq_len``).
        chunk_len: rows per chunk (``TrainingConfig.chunk_len``).
        device: where to run; defaults to the model's device.
        max_batch: chunks per forward pass (bounds memory on long series); fewer when
            ``chunks × assets`` would exceed :data:`PREDICT_SEQUENCES`.
        start: the first row wanted. The chunks stay cut from row 0 (so each row's weights
            are those of the whole series' pass), but those that end before ``start`` are not
            run: a holdout after 15 years of history costs its own chunks only. Rows before
            :func:`first_row_read` are never read.

    Returns:
        ``(time - start, assets)`` float64 weights of rows ``start, ..., time - 1``; row
        ``t`` is decided at the close of ``t`` from rows ``<= t`` only. The first
        ``seq_len`` rows of the series see zero-padded history (warm-up): give at least
        ``seq_len`` rows before the first date you trade.
    """
    if device is None:
        device = next(model.parameters()).device
    x = torch.as_tensor(features, dtype=torch.float32).to(device)
    if x.dim() != 3:
        raise ValueError(f"features must be (time, assets, features), got {tuple(x.shape)}")
    n_rows = int(x.shape[0])
    if not 0 <= start < n_rows:
        raise ValueError(f"need 0 <= start < {n_rows}, got {start}")
    origin = chunk_origin(start, chunk_len)
    chunks = make_chunks(x, origin, n_rows, chunk_len, seq_len, compact=is_masked(model))
    index = chunks.index
    width = int(chunks.inputs.shape[2])
    per_pass = max(1, min(max_batch, PREDICT_SEQUENCES // max(1, width)))
    was_training = model.training
    model.eval()
    try:
        parts = [
            run_chunks(model, chunks.inputs[i : i + per_pass], seq_len, grad=False)[0]
            for i in range(0, chunks.n_chunks, per_pass)
        ]
    finally:
        model.train(was_training)
    weights = torch.cat(parts)
    if index is not None:  # back to every column: 0 where a chunk had no use for the asset
        full = weights.new_zeros((*weights.shape[:2], int(x.shape[1])))
        weights = full.scatter_(2, index[:, None, :].expand(-1, weights.shape[1], -1), weights)
    weights = weights.reshape(-1, x.shape[1])[start - origin : n_rows - origin]
    return weights.detach().cpu().double().numpy()
