"""The training loop: repeatability, learning, early stopping, divergence, validation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
from training_helpers import SMALL, fresh_model, make_market

from evofolio.config import TrainingConfig, parse_config
from evofolio.errors import ConfigError, DataError, InsufficientHistoryError
from evofolio.metrics.performance import sharpe_ratio
from evofolio.objectives import portfolio_returns, sharpe_loss
from evofolio.training import (
    TrainingDivergedError,
    make_chunks,
    predict_weights,
    train,
)
from evofolio.training.chunks import Chunks, run_chunks
from evofolio.training.loop import validation_start


def test_seeded_run_repeats_bit_for_bit() -> None:
    x, r = make_market()
    runs = []
    for _ in range(2):
        model = fresh_model(seed=3, dropout=0.2)
        result = train(model, x, r, SMALL, seed=3)
        runs.append((result.history, [p.detach().clone() for p in model.parameters()]))
    assert runs[0][0] == runs[1][0]
    assert all(torch.equal(a, b) for a, b in zip(runs[0][1], runs[1][1], strict=True))


def test_learns_a_predictable_asset_out_of_sample() -> None:
    x, r = make_market(rows=1400, seed=1)
    cut = 1100
    cfg = TrainingConfig(epochs=30, seq_len=10, chunk_len=50, batch_size=8, lr=1e-2, patience=8)
    model = fresh_model(seed=0)
    train(model, x[:cut], r[:cut], cfg)
    w = predict_weights(model, x, cfg.seq_len, cfg.chunk_len)
    test = slice(cut, len(x))
    model_sharpe = sharpe_ratio((w[test] * r[test]).sum(-1))
    equal_sharpe = sharpe_ratio(r[test].astype(np.float64).mean(-1))
    assert model_sharpe > equal_sharpe + 1.0


def test_early_stopping_restores_the_best_state() -> None:
    x, r = make_market()
    cfg = TrainingConfig(epochs=40, seq_len=10, chunk_len=40, batch_size=4, lr=5e-2, patience=3)
    model = fresh_model()
    result = train(model, x, r, cfg)
    val_losses = [v for _, _, v in result.history]
    assert result.epochs_run == len(result.history) < cfg.epochs
    assert result.best_val_loss == min(val_losses)
    assert result.history[result.best_epoch - 1][2] == result.best_val_loss
    assert result.epochs_run - result.best_epoch == cfg.patience
    val_start = len(x) - round(cfg.val_frac * len(x))
    chunks = make_chunks(
        torch.from_numpy(x), val_start, len(x), cfg.chunk_len, cfg.seq_len, torch.from_numpy(r)
    )
    assert chunks.returns is not None
    with torch.no_grad():
        w, _ = run_chunks(model, chunks.inputs, cfg.seq_len, grad=False)
        loss = sharpe_loss(portfolio_returns(w, chunks.returns)[chunks.mask])
    assert float(loss) == pytest.approx(result.best_val_loss, abs=1e-5)


def test_progress_history_and_no_validation() -> None:
    x, r = make_market()
    seen: list[tuple[int, float, float]] = []
    cfg = SMALL.model_copy(update={"val_frac": 0.0, "epochs": 3, "threads": 1})
    before = torch.get_num_threads()
    result = train(fresh_model(), x, r, cfg, progress=lambda *a: seen.append(a))
    assert torch.get_num_threads() == before
    assert seen == result.history and [e for e, _, _ in seen] == [1, 2, 3]
    assert result.best_epoch == 3 and np.isnan(result.best_val_loss)


@pytest.mark.parametrize("objective", ["sortino", "utility"])
def test_other_objectives_and_costs_train(objective: str) -> None:
    x, r = make_market()
    cfg = SMALL.model_copy(update={"objective": objective, "cost_bps": 10.0, "epochs": 2})
    result = train(fresh_model(max_weight=0.5), x, r, cfg)
    assert all(np.isfinite(v) for _, t, v in result.history for v in (t, v))


def test_divergence_raises() -> None:
    x, r = make_market()
    huge = np.full_like(r, 3e38)  # finite inputs whose portfolio returns overflow
    with pytest.raises(TrainingDivergedError, match="epoch 1"):
        train(fresh_model(), x, huge, SMALL)
    assert issubclass(TrainingDivergedError, RuntimeError)


def test_input_errors() -> None:
    x, r = make_market()
    bad = x.copy()
    bad[7, 1, 0] = np.nan
    with pytest.raises(DataError, match="row 7"):
        train(fresh_model(), bad, r, SMALL)
    with pytest.raises(DataError, match="does not match"):
        train(fresh_model(), x, r[:-1], SMALL)
    with pytest.raises(InsufficientHistoryError):
        train(fresh_model(), x[:12], r[:12], SMALL)
    with pytest.raises(ConfigError, match=r"training\.chunk_len"):
        parse_config({"training": {**SMALL.model_dump(), "chunk_len": 1}})
    with pytest.raises(ConfigError, match="objective"):
        parse_config({"training": {**SMALL.model_dump(), "objective": "calmar"}})


class Clock:
    """A stand-in for the loop's ``time`` module: ``perf_counter`` reads ``now``."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("max_seconds", "epochs_run", "out_of_time"),
    [
        (None, 6, False),  # no bound
        (25.0, 3, True),  # 10, 20, 30 s: stops after the epoch that reaches 25 s
        (30.0, 3, True),  # reaching the bound exactly stops too
        (60.0, 6, False),  # the last epoch ends at 60 s: it finished, not stopped
    ],
)
def test_the_wall_time_bound_stops_after_the_epoch_that_reaches_it(
    monkeypatch: pytest.MonkeyPatch, max_seconds: float | None, epochs_run: int, out_of_time: bool
) -> None:
    import evofolio.training.loop as loop

    clock = Clock()
    monkeypatch.setattr(loop, "time", clock)

    def ten_seconds_an_epoch(epoch: int, train_loss: float, val_loss: float) -> None:
        clock.now += 10.0

    x, r = make_market()
    cfg = SMALL.model_copy(update={"epochs": 6, "max_seconds": max_seconds})
    result = train(fresh_model(), x, r, cfg, progress=ten_seconds_an_epoch)
    assert result.epochs_run == len(result.history) == epochs_run
    assert result.out_of_time is out_of_time
    val_losses = [v for _, _, v in result.history]
    assert result.best_val_loss == min(val_losses)  # the best epoch so far is kept
    assert result.seconds == pytest.approx(10.0 * epochs_run)


def test_the_search_bounds_each_fit_in_time_unless_training_sets_its_own() -> None:
    from evofolio.search.fitness import budgeted

    config = parse_config({"search": {"fit_seconds": 90.0}})
    assert config.training.max_seconds is None
    assert budgeted(config).training.max_seconds == 90.0
    own = parse_config({"search": {"fit_seconds": 90.0}, "training": {"max_seconds": 5.0}})
    assert budgeted(own).training.max_seconds == 5.0
    assert budgeted(parse_config({})).training.max_seconds is None
    with pytest.raises(ConfigError):
        parse_config({"training": {"max_seconds": 0}})


def test_a_budget_below_one_epoch_trains_the_chunks_it_pays_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One pass over the number of training chunks that budget_epochs allows, drawn at random
    (seeded), whatever the epochs asked for; the result says what share of an epoch it was."""
    import evofolio.training.loop as loop
    from evofolio.objectives import get_objective
    from evofolio.training.losses import objective_loss

    x, r = make_market()
    base = objective_loss(get_objective("sharpe", 1.0), 0.0)
    seen: list[list[int]] = []

    def counting(model: Any, chunks: Any, idx: Any) -> Any:
        if isinstance(idx, torch.Tensor):  # a training batch (validation passes a slice)
            seen.append(idx.tolist())
        return base(model, chunks, idx)

    budgets: list[Any] = []
    real = loop.budget_epochs

    def spy(*args: Any) -> Any:
        budgets.append(real(*args))
        return budgets[-1]

    monkeypatch.setattr(loop, "budget_epochs", spy)
    epoch = loop.epoch_gflop(
        fresh_model(),
        *_split_chunks(x, r, SMALL),
    )
    cfg = SMALL.model_copy(update={"epochs": 50, "max_gflop": epoch * 0.5})
    result = train(fresh_model(), x, r, cfg, loss=counting)
    (budget,) = budgets
    assert budget.epochs == 1 and budget.chunks is not None
    trained = [i for batch in seen for i in batch]
    assert len(trained) == budget.chunks == len(set(trained))  # distinct chunks, once each
    assert result.epochs_run == 1
    n_chunks = math.ceil((validation_start(len(x), SMALL.val_frac) - SMALL.seq_len) / 40)
    assert result.epoch_fraction == pytest.approx(budget.chunks / n_chunks)
    assert 0.0 < result.epoch_fraction < 0.5  # the validation pass is paid first
    again: list[list[int]] = []
    seen = again
    train(fresh_model(), x, r, cfg, loss=counting)
    assert sorted(i for b in again for i in b) == sorted(trained)  # seeded: the same chunks


def _split_chunks(x: np.ndarray, r: np.ndarray, cfg: TrainingConfig) -> tuple[Chunks, Chunks]:
    """The training and validation chunks ``train`` cuts from ``x`` and ``r``."""
    xt, rt = torch.as_tensor(x), torch.as_tensor(r)
    val = validation_start(len(x), cfg.val_frac)
    train_chunks = make_chunks(xt, cfg.seq_len, val, cfg.chunk_len, cfg.seq_len, rt)
    val_chunks = make_chunks(xt, val, len(x), cfg.chunk_len, cfg.seq_len, rt)
    return train_chunks, val_chunks
