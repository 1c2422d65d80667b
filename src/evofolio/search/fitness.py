"""Fitness: the one module that knows both the search and the backtest.

A genome, decoded into a run configuration, is trained and backtested walk-forward on the
**development period only** (the context is built from development prices; the holdout
never reaches this module). Fitness = mean fold Sharpe − λ · std of the fold Sharpes (net
of costs); the multi-objective mode returns (Sharpe, maximum drawdown, turnover) of the
concatenated validation returns instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import optuna
import pandas as pd

from evofolio.allocators.base import clone
from evofolio.allocators.neural_base import NeuralAllocator
from evofolio.allocators.registry import estimator_for, family_of
from evofolio.allocators.strategy_panel import StrategyPanel, strategy_panel_into
from evofolio.backtesting import Fold, TradingRules, run_folds, split_periods, walk_forward
from evofolio.compute import limit_threads, threads_per_process
from evofolio.config import RunConfig
from evofolio.data import AllocationData, MarketData
from evofolio.errors import InsufficientHistoryError
from evofolio.metrics import summarize
from evofolio.outdir import write_json, write_parquet
from evofolio.run_layout import TRIAL_METRICS, TRIAL_MODEL, TRIAL_RETURNS
from evofolio.search.engine.evaluator import Note, TrialContext, TrialOutcome
from evofolio.search.space import Genome, decode

logger = logging.getLogger(__name__)

MIN_TRAIN_DAYS = 504
Reporter = Callable[[float, int], bool]
"""Called with (running fitness, fold index) after each fold; returns True to stop early."""


@dataclass(frozen=True, eq=False)
class SearchContext:
    """What every trial of a search shares: the development period's data only (prices,
    market series and, when a searched family reads it, the strategy panel computed once
    over it), folds, trading rules."""

    data: AllocationData
    panel: StrategyPanel | None
    folds: list[Fold]
    rules: TradingRules

    @property
    def prices(self) -> pd.DataFrame:
        """The development prices."""
        return self.data.prices


@dataclass(frozen=True)
class FitnessResult:
    """A trial's outcome: objective values, fold metrics and validation returns."""

    values: tuple[float, ...]
    fitness: float
    fold_metrics: list[dict[str, float]]
    returns: pd.Series = field(repr=False)
    seconds: float
    epoch_fractions: tuple[float, ...] = ()
    """Per fold, the share of an epoch's chunks each epoch trained on (below 1 when the
    compute budget paid for part of one epoch only)."""


LATER_HOLDOUT = "move data.holdout_start later"
"""The end of :func:`search_folds`' advice; ``validate`` replaces it by its own fix."""


def search_folds(
    dates: pd.DatetimeIndex, n_folds: int, min_test_days: int, purge: int
) -> list[Fold]:
    """Exactly ``n_folds`` expanding walk-forward folds over the second half of ``dates``
    (each test fold at least ``min_test_days`` long; the last one takes the remainder of the
    division), keeping at least two years to train on and ``purge`` dates between the first
    training set and the first test fold."""
    test_size = max(min_test_days, (len(dates) // 2) // n_folds)
    min_train = len(dates) - n_folds * test_size - purge
    if min_train < MIN_TRAIN_DAYS:
        needed = MIN_TRAIN_DAYS + purge + n_folds * min_test_days
        raise InsufficientHistoryError(
            f"the search needs {needed} development dates ({MIN_TRAIN_DAYS} to train, {purge} "
            f"purged, {n_folds} folds of {min_test_days}), got {len(dates)}: lower search.folds "
            f"or search.min_test_days, or {LATER_HOLDOUT}"
        )
    folds = walk_forward(dates, min_train=min_train, test_size=test_size, purge=purge)
    return folds


def build_context(config: RunConfig, data: MarketData) -> SearchContext:
    """Slice the development period and prepare what trials share (strategy panel cached)."""
    periods = split_periods(
        pd.DatetimeIndex(data.prices.index), config.data.holdout_start, source=data.source
    )
    prices = data.prices.loc[periods.development]
    market = data.market.loc[periods.development]
    search = config.search
    folds = search_folds(
        pd.DatetimeIndex(prices.index),
        search.folds,
        search.min_test_days,
        config.walk_forward.purge_days,
    )
    section = config.backtest
    rules = TradingRules.from_config(section)
    universe = None if data.universe is None else data.universe.on(periods.development)
    inputs = AllocationData(prices, market, universe=universe)
    panel = None
    if any(family_of(name).reads_strategies for name in search.families):
        strategies = config.strategies
        panel = strategy_panel_into(
            inputs, strategies.window, config.backtest.cost_bps, strategies.covariance
        )
    return SearchContext(inputs, panel, folds, rules)


def budgeted(config: RunConfig) -> RunConfig:
    """``config`` with the search's compute budget and wall-time bound per fit (each unless
    training sets its own)."""
    update = {}
    if config.training.max_gflop is None and config.search.fit_gflop is not None:
        update["max_gflop"] = config.search.fit_gflop
    if config.training.max_seconds is None and config.search.fit_seconds is not None:
        update["max_seconds"] = config.search.fit_seconds
    if not update:
        return config
    training = config.training.model_copy(update=update)
    return config.model_copy(update={"training": training})


def fold_fitness(sharpes: list[float], penalty: float) -> float:
    """Mean fold Sharpe minus ``penalty`` times their standard deviation (population)."""
    values = np.asarray(sharpes, dtype=np.float64)
    if values.size == 0 or not np.all(np.isfinite(values)):
        return float("nan")
    return float(values.mean() - penalty * values.std())


def evaluate(
    config: RunConfig,
    context: SearchContext,
    trial_dir: Path | None = None,
    report: Reporter | None = None,
    note: Note | None = None,
) -> FitnessResult:
    """Train and backtest ``config`` fold by fold; raise on any failure (a failed trial).

    With ``trial_dir`` the validation returns, the fold metrics and the last fold's model
    are written there. ``report`` may stop a hopeless trial after a fold (pruning). ``note``
    hears where the evaluation is: ``"fold 1/2, training"`` as each fold starts, then
    ``"fold 1/2, epoch 7 (max 30)"`` after each epoch (early stopping or the compute
    budget may end the fold's training before the maximum).
    """
    started = time.perf_counter()
    n_folds = len(context.folds)
    at = [0]

    def on_epoch(epoch: int, train_loss: float, val_loss: float) -> None:
        if note is not None:
            note(f"fold {at[0]}/{n_folds}, epoch {epoch} (max {config.training.epochs})")

    prototype = estimator_for(budgeted(config), on_epoch=on_epoch if note is not None else None)
    penalty = config.search.fold_lambda
    fold_metrics: list[dict[str, float]] = []
    returns: list[pd.Series] = []
    turnovers: list[pd.Series] = []
    last: list[NeuralAllocator] = []
    fractions: list[float] = []

    def factory() -> NeuralAllocator:
        last[:] = [clone(prototype)]  # a fresh, unfitted estimator per fold
        return last[0]

    for position, fold in enumerate(context.folds, start=1):
        at[0] = position
        if note is not None:
            note(f"fold {position}/{n_folds}, training", now=True)
        result = run_folds(factory, context.data, [fold], context.rules)
        fitted = getattr(last[0], "result_", None) if last else None
        fractions.append(float(getattr(fitted, "epoch_fraction", 1.0)))
        metrics = result.metrics()
        if not np.isfinite(metrics["sharpe"]):
            raise ValueError(f"fold {fold.index}: Sharpe ratio is not finite")
        fold_metrics.append(metrics)
        returns.append(result.net)
        turnovers.append(result.turnover)
        running = fold_fitness([m["sharpe"] for m in fold_metrics], penalty)
        if report is not None and report(running, fold.index):
            break
    net = pd.concat(returns)
    fitness = fold_fitness([m["sharpe"] for m in fold_metrics], penalty)
    if config.search.multi_objective:
        overall = summarize(net.to_numpy(), turnover=pd.concat(turnovers).to_numpy())
        values: tuple[float, ...] = (
            overall["sharpe"],
            overall["max_drawdown"],
            overall["annual_turnover"],
        )
    else:
        values = (fitness,)
    seconds = time.perf_counter() - started
    outcome = FitnessResult(
        values, fitness, fold_metrics, net.rename("net"), seconds, tuple(fractions)
    )
    if trial_dir is not None:
        write_trial(trial_dir, outcome, last[0] if last else None)
    return outcome


def write_trial(directory: Path, outcome: FitnessResult, model: NeuralAllocator | None) -> None:
    """The trial's validation returns, fold metrics and last model, under ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    write_parquet(directory / TRIAL_RETURNS, outcome.returns.to_frame().rename_axis("date"))
    payload = {
        "fitness": outcome.fitness,
        "values": list(outcome.values),
        "folds": outcome.fold_metrics,
        "seconds": outcome.seconds,
    }
    write_json(directory / TRIAL_METRICS, payload)
    if model is not None:
        model.save(directory / TRIAL_MODEL)


class FitnessEvaluator:
    """The search's evaluator: a genome, decoded over ``base`` → walk-forward fitness.

    Built once per worker process (from :func:`make_evaluator`), it holds the development
    prices, folds and strategy panel that every trial shares, as the caller built them, and
    the run config whose ``model`` and ``training`` sections each genome sets.
    """

    def __init__(self, context: SearchContext, base: RunConfig) -> None:
        self.shared = context
        self.base = base

    def __call__(self, trial: optuna.Trial, genome: Genome, context: TrialContext) -> TrialOutcome:
        def report(value: float, step: int) -> bool:
            if not context.can_prune or not np.isfinite(value):
                return False
            trial.report(value, step)
            if trial.should_prune():
                raise optuna.TrialPruned(f"fitness {value:.3f} after fold {step}")
            return False

        config = decode(genome.params, self.base)
        result = evaluate(config, self.shared, context.trial_dir, report, context.note)
        attrs = {
            "fitness": result.fitness,
            "fold_sharpes": [m["sharpe"] for m in result.fold_metrics],
            "fold_metrics": result.fold_metrics,
            "train_seconds": result.seconds,
            "epoch_fractions": list(result.epoch_fractions),
        }
        return TrialOutcome(result.values, attrs)


def make_evaluator(context: SearchContext, base: RunConfig) -> FitnessEvaluator:
    """The evaluator of a search of ``base`` over ``context`` (picklable through
    ``functools.partial``: spawned workers receive the caller's data itself, never a source
    path to read again). The process that builds it trains: torch gets its share of the
    usable cores among ``base.search.jobs`` processes (:mod:`evofolio.compute`)."""
    limit_threads(threads_per_process(base.search.jobs))
    return FitnessEvaluator(context, base)
