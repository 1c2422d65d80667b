"""The model-agnostic training loop: chunked streaming, truncated BPTT, early stopping.

Scheme (see :mod:`evofolio.training.chunks`): the training rows are cut once into
contiguous chunks of ``chunk_len`` rows, each prefixed by ``seq_len`` burn-in rows run
without gradient. Every epoch shuffles the chunks and takes one optimiser step per
``batch_size`` chunks; the loss is the objective on all the batch's non-burn-in net
returns at once (or a custom chunk loss, such as Model 2's select-mode cross-entropy: see
:mod:`evofolio.training.losses`). No ``DataLoader`` and no materialised sliding windows:
an epoch reads each training row ``1 + seq_len / chunk_len`` times instead of ``seq_len`` times.

Rows: ``features[t]`` uses data up to ``t``; ``next_returns[t]`` is the asset return from
``t`` to ``t + 1``, so the caller passes training-period rows only. The last ``val_frac``
of the rows is the validation slice: its inputs may use the preceding (training) rows as
burn-in history, but its loss is computed on validation rows only. Training losses start
at row ``seq_len`` so that every output sees at least ``seq_len`` rows of real history.

Two bounds end a fit before ``epochs``: the compute budget ``max_gflop`` caps the epochs
before the first (an epoch's FLOPs, estimated from the network and the chunks: the same cap
on every machine; when a single epoch costs more than the budget, the fit trains one pass
over a seeded random subset of the chunks that the budget pays for, at least one chunk, so
that a large network on a large universe costs what the budget says), and the wall-time
bound ``max_seconds`` stops training after the epoch that reaches it, keeping the best epoch
so far (``TrainResult.out_of_time``). The wall-time bound depends on the machine's speed and
load, so a fit it stops is not reproducible: it is a safety net against a stalled or
oversubscribed machine (a search trial measured at 30x its cost alone), to be set well above
a fit's normal time (``search.fit_seconds``).
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor, nn

from evofolio.config import TrainingConfig
from evofolio.errors import DataError, InsufficientHistoryError
from evofolio.objectives import get_objective
from evofolio.training.chunks import Chunks, is_masked, make_chunks
from evofolio.training.losses import ChunkLoss, objective_loss
from evofolio.training.seeding import seed_everything

logger = logging.getLogger(__name__)

Progress = Callable[[int, float, float], None]
"""Called after each epoch with ``(epoch, train_loss, val_loss)``."""


class TrainingDivergedError(RuntimeError):
    """The loss became NaN or infinite: a failed trial, not a user error."""


@dataclass(frozen=True)
class TrainResult:
    """What a training run did; the model itself holds the best state. ``out_of_time``:
    the wall-time bound (``TrainingConfig.max_seconds``) stopped it. ``epoch_fraction``: the
    share of the training chunks each epoch used (below 1 when the compute budget paid for
    part of one epoch only, see :func:`budget_epochs`)."""

    history: list[tuple[int, float, float]] = field(default_factory=list)
    best_epoch: int = 0
    best_val_loss: float = float("nan")
    epochs_run: int = 0
    seconds: float = 0.0
    out_of_time: bool = False
    epoch_fraction: float = 1.0


@contextmanager
def _threads(n: int | None) -> Iterator[None]:
    """Use ``n`` intra-op threads inside the block, then restore the previous count."""
    if n is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _as_tensor(name: str, values: np.ndarray | Tensor, dims: int) -> Tensor:
    tensor = torch.as_tensor(values, dtype=torch.float32)
    if tensor.dim() != dims:
        raise DataError(f"{name}: expected {dims} dimensions, got shape {tuple(tensor.shape)}")
    bad = ~torch.isfinite(tensor.reshape(tensor.shape[0], -1)).all(dim=1)
    if bool(bad.any()):
        row = int(bad.nonzero()[0, 0])
        raise DataError(f"{name}: non-finite value at row {row}")
    return tensor


def validation_start(n_rows: int, val_frac: float) -> int:
    """The first validation row when ``n_rows`` rows are trained with ``val_frac``."""
    return n_rows - (round(val_frac * n_rows) if val_frac > 0 else 0)


def _check_finite(loss: Tensor, where: str) -> float:
    value = float(loss.detach())
    if not np.isfinite(value):
        raise TrainingDivergedError(f"loss is {value} at {where}")
    return value


def epoch_gflop(model: nn.Module, train_chunks: Chunks, val_chunks: Chunks | None) -> float:
    """Estimated GFLOP of one epoch (see ``TrainingConfig.max_gflop``); 0 if unknown.

    A model whose cost per call is not proportional to the call's length (attention over a
    carried memory) gives ``chunk_flops(rows)``, the forward FLOPs of one call on ``rows``
    new rows per sample, and may give ``warm_up_flops(rows)``, those of its ``warm_up`` on a
    chunk's burn-in (see :func:`~evofolio.training.chunks.run_chunks`; else
    ``chunk_flops``); otherwise ``step_flops()`` per row is used. Backward counts twice.
    Those count the model's ``n_assets``; a masked model's chunks, compacted to the assets
    they can use (:func:`~evofolio.training.chunks.compact_chunks`), cost their share.
    """
    chunk_len = int(train_chunks.inputs.shape[1]) - train_chunks.burn_in
    train_share, val_share = _width_share(model, train_chunks), _width_share(model, val_chunks)
    chunk = getattr(model, "chunk_flops", None)
    if chunk is not None:  # the cost of a call depends on its length (attention)
        warm = getattr(model, "warm_up_flops", chunk)
        burn_in = float(warm(train_chunks.burn_in)) if train_chunks.burn_in else 0.0
        flops = train_chunks.n_chunks * (burn_in + 3.0 * float(chunk(chunk_len))) * train_share
        if val_chunks is not None:
            val_len = int(val_chunks.inputs.shape[1]) - val_chunks.burn_in
            val_burn = float(warm(val_chunks.burn_in)) if val_chunks.burn_in else 0.0
            flops += val_chunks.n_chunks * (val_burn + float(chunk(val_len))) * val_share
        return flops / 1e9
    step = getattr(model, "step_flops", None)
    if step is None:
        return 0.0
    steps = train_chunks.n_chunks * (train_chunks.burn_in + 3 * chunk_len) * train_share
    if val_chunks is not None:
        steps += val_chunks.n_chunks * int(val_chunks.inputs.shape[1]) * val_share
    return float(step()) * steps / 1e9


def _width_share(model: nn.Module, chunks: Chunks | None) -> float:
    """The share of the model's ``n_assets`` columns that a masked model's compacted
    ``chunks`` hold (1 for any other model)."""
    if chunks is None or not is_masked(model):
        return 1.0
    n_assets = int(getattr(getattr(model, "config", None), "n_assets", 0) or 0)
    width = int(chunks.inputs.shape[2])
    return width / n_assets if n_assets > 0 else 1.0


@dataclass(frozen=True)
class FitBudget:
    """What the compute budget allows a fit: ``epochs`` passes, each over ``chunks`` of the
    training chunks (``None``: all of them; fewer only in the single pass of a fit whose one
    epoch costs more than the budget)."""

    epochs: int
    chunks: int | None = None


def budget_epochs(
    model: nn.Module, config: TrainingConfig, train_chunks: Chunks, val_chunks: Chunks | None
) -> FitBudget:
    """``config.epochs``, capped by the compute budget ``config.max_gflop``.

    An epoch costs :func:`epoch_gflop`. When the budget pays for at least one, the fit runs
    ``min(epochs, floor(max_gflop / cost))`` full epochs. When it does not, the fit runs one
    pass over as many training chunks as the budget left after the validation pass pays for
    (``floor((max_gflop - validation) / training cost per chunk)``, at least one): a network
    whose epoch on a large universe costs TFLOPs gets the compute the budget gives every
    genome, not a whole epoch (which at 500 assets took minutes per fit).
    """
    if config.max_gflop is None:
        return FitBudget(config.epochs)
    cost = epoch_gflop(model, train_chunks, val_chunks)
    if cost <= 0.0:
        logger.warning(
            "%s has no step_flops(): the compute budget is ignored", type(model).__name__
        )
        return FitBudget(config.epochs)
    if cost <= config.max_gflop:
        capped = min(config.epochs, int(config.max_gflop // cost))
        if capped < config.epochs:
            logger.debug(
                "compute budget %.0f GFLOP: %d epochs of %.1f GFLOP",
                config.max_gflop,
                capped,
                cost,
            )
        return FitBudget(capped)
    train_cost = epoch_gflop(model, train_chunks, None)
    per_chunk = train_cost / train_chunks.n_chunks
    affordable = int(max(0.0, config.max_gflop - (cost - train_cost)) // per_chunk)
    chunks = max(1, min(train_chunks.n_chunks, affordable))
    logger.debug(
        "compute budget %.0f GFLOP: one pass over %d of %d chunks (an epoch costs %.1f GFLOP)",
        config.max_gflop,
        chunks,
        train_chunks.n_chunks,
        cost,
    )
    return FitBudget(1, chunks if chunks < train_chunks.n_chunks else None)


def train(
    model: nn.Module,
    features: np.ndarray | Tensor,
    next_returns: np.ndarray | Tensor,
    config: TrainingConfig,
    device: torch.device | None = None,
    progress: Progress | None = None,
    loss: ChunkLoss | None = None,
    *,
    seed: int = 0,
) -> TrainResult:
    """Train ``model`` in place; on return it holds the state of the best epoch.

    Args:
        model: maps ``(batch, time, assets, features)`` to ``(weights (batch, time,
            assets), state)`` and accepts the returned state (any registered model).
        features: ``(time, assets, features)`` float32, training-period rows only.
        next_returns: ``(time, assets)``, the return from row ``t`` to ``t + 1`` (or the
            per-row targets of a custom ``loss``, e.g. one-hot labels).
        config: the training settings (:class:`~evofolio.config.TrainingConfig`, the one
            declaration of them and their bounds; ``device`` is read by the caller).
        device: where to train; defaults to CPU.
        progress: optional callback after each epoch.
        loss: what to minimise on a batch of chunks (default: ``config.objective`` of the
            net portfolio returns, see :mod:`evofolio.training.losses`).
        seed: seeds the chunk order and dropout (see :func:`seed_everything`).

    Returns:
        The per-epoch history ``(epoch, train_loss, val_loss)`` (epochs count from 1;
        ``val_loss`` is NaN when ``val_frac == 0``), the best epoch and its validation
        loss (the last epoch without validation), epochs run, wall seconds and whether the
        wall-time bound stopped training.

    Raises:
        TrainingDivergedError: a loss became NaN or infinite.
        InsufficientHistoryError: too few rows for ``seq_len`` and the validation slice.
    """
    started = time.perf_counter()
    device = device or torch.device("cpu")
    x = _as_tensor("features", features, 3).to(device)
    r = _as_tensor("next_returns", next_returns, 2).to(device)
    if r.shape != x.shape[:2]:
        raise DataError(f"next_returns {tuple(r.shape)} does not match features {tuple(x.shape)}")
    n_rows = int(x.shape[0])
    val_start = validation_start(n_rows, config.val_frac)
    n_val = n_rows - val_start
    if val_start - config.seq_len < 2 or (config.val_frac > 0 and n_val < 2):
        raise InsufficientHistoryError(
            f"{n_rows} rows are too few for seq_len={config.seq_len} and "
            f"val_frac={config.val_frac}: need at least 2 training and 2 validation rows"
        )
    if loss is None:
        objective = get_objective(config.objective, config.risk_aversion)
        loss = objective_loss(objective, config.cost_bps)
    with _threads(config.threads):
        generator = seed_everything(seed)
        model.to(device)
        compact = is_masked(model)  # a ragged universe: each chunk on the assets it can use
        train_chunks = make_chunks(
            x, config.seq_len, val_start, config.chunk_len, config.seq_len, r, compact=compact
        )
        val_chunks = (
            make_chunks(x, val_start, n_rows, config.chunk_len, config.seq_len, r, compact=compact)
            if n_val
            else None
        )
        params = [p for p in model.parameters() if p.requires_grad]
        opt_cls = torch.optim.AdamW if config.optimizer == "adamw" else torch.optim.Adam
        optimizer = opt_cls(params, lr=config.lr, weight_decay=config.weight_decay)
        history: list[tuple[int, float, float]] = []
        best = (0, float("inf"), copy.deepcopy(model.state_dict()))
        budget = budget_epochs(model, config, train_chunks, val_chunks)
        epochs = budget.epochs
        out_of_time = False
        for epoch in range(1, epochs + 1):
            model.train()
            order = torch.randperm(train_chunks.n_chunks, generator=generator)
            if budget.chunks is not None:  # the budget pays for part of one epoch
                order = order[: budget.chunks]
            losses = []
            for step, idx in enumerate(order.split(config.batch_size)):
                batch_loss = loss(model, train_chunks, idx.to(device))
                losses.append(_check_finite(batch_loss, f"epoch {epoch}, step {step}"))
                optimizer.zero_grad(set_to_none=True)
                batch_loss.backward()
                if config.grad_clip is not None:
                    nn.utils.clip_grad_norm_(params, config.grad_clip)
                optimizer.step()
            train_loss = float(np.mean(losses))
            val_loss = float("nan")
            if val_chunks is not None:
                model.eval()
                with torch.no_grad():
                    val_value = loss(model, val_chunks, slice(None))
                val_loss = _check_finite(val_value, f"epoch {epoch}, validation")
            history.append((epoch, train_loss, val_loss))
            logger.debug("epoch %d: train %.4f, val %.4f", epoch, train_loss, val_loss)
            if progress is not None:
                progress(epoch, train_loss, val_loss)
            if val_chunks is None or val_loss < best[1]:
                best = (epoch, val_loss, copy.deepcopy(model.state_dict()))
            elif config.patience is not None and epoch - best[0] >= config.patience:
                logger.debug("early stop at epoch %d (best %d)", epoch, best[0])
                break
            elapsed = time.perf_counter() - started
            if config.max_seconds is not None and epoch < epochs and elapsed >= config.max_seconds:
                out_of_time = True
                logger.info(
                    "training stopped after %d of %d epochs: %.1f s, past the fit's "
                    "wall-time bound of %.0f s (best epoch %d kept)",
                    epoch,
                    epochs,
                    elapsed,
                    config.max_seconds,
                    best[0],
                )
                break
        model.load_state_dict(best[2])
        model.eval()
    return TrainResult(
        history=history,
        best_epoch=best[0],
        best_val_loss=best[1],
        epochs_run=len(history),
        seconds=time.perf_counter() - started,
        out_of_time=out_of_time,
        epoch_fraction=(1.0 if budget.chunks is None else budget.chunks / train_chunks.n_chunks),
    )
