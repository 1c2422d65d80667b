"""The champion: chosen by validation fitness, refit on the whole development period, and
evaluated **once** on the holdout period, with the search accounted for (DSR, PBO)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evofolio.allocators.classic import ClassicAllocator, EqualBlendAllocator
from evofolio.allocators.ensemble import RecordedAllocator, SeedEnsemble, seed_list
from evofolio.allocators.registry import estimator_for, family_of
from evofolio.allocators.strategy_panel import strategy_panel_into
from evofolio.backtesting import BacktestResult, Periods, TradingRules, run_period
from evofolio.config import RunConfig
from evofolio.config.space import PARETO_PICKS
from evofolio.data import AllocationData, MarketData
from evofolio.data.load import survivors_of
from evofolio.errors import EvofolioError
from evofolio.metrics import (
    DSRResult,
    PBOResult,
    deflated_sharpe_from_returns,
    probability_of_backtest_overfitting,
    sharpe_ratio,
)
from evofolio.run_layout import PARETO
from evofolio.search.evaluation.benchmark import active_matrix
from evofolio.strategies import STRATEGIES
from evofolio.strategies.covariance import resolve_covariance

logger = logging.getLogger(__name__)


class NoChampionError(EvofolioError):
    """The search produced no completed trial to choose from."""


def pick_champion(trials: pd.DataFrame, multi_objective: bool, pick: str = "sharpe") -> int:
    """The trial number of the champion among the COMPLETE trials of ``trials`` (the table
    :mod:`evofolio.search.engine.records` writes).

    Single-objective: the highest fitness. Multi-objective: among the trials on the Pareto
    front of (max Sharpe, min drawdown, min turnover) (the ``pareto`` column, from Optuna's
    ``study.best_trials``), the best on ``pick``.
    """
    done = trials[trials["state"] == "COMPLETE"]
    objective = "sharpe" if multi_objective else "fitness"
    if objective in done.columns:  # a value that is not a number is never the best
        done = done[np.isfinite(done[objective].to_numpy(dtype=np.float64))]
    if done.empty:
        raise NoChampionError("the search has no completed trial: nothing to choose from")
    if not multi_objective:
        return int(done["number"].to_numpy()[int(np.argmax(done["fitness"].to_numpy()))])
    if pick not in PARETO_PICKS:
        raise EvofolioError(f"pareto pick must be one of {', '.join(PARETO_PICKS)}, got '{pick}'")
    front = done[done[PARETO].astype(bool)]
    column, maximise = {
        "sharpe": ("sharpe", True),
        "drawdown": ("max_drawdown", False),
        "turnover": ("turnover", False),
    }[pick]
    values = front[column].to_numpy()
    position = int(np.argmax(values) if maximise else np.argmin(values))
    return int(front["number"].to_numpy()[position])


@dataclass(frozen=True, eq=False)
class HoldoutResult:
    """The champion and every baseline over the holdout period, with the same rules.

    ``results["champion"]`` is the seed ensemble; ``seed_results`` each member alone (the
    same fitted models, so no extra training), keyed by seed.
    """

    champion: SeedEnsemble
    results: dict[str, BacktestResult]
    seed_results: dict[int, BacktestResult]
    covariance: str = "empirical"
    """The classic rules' covariance estimator, resolved (``strategies.covariance``)."""
    mix: pd.DataFrame | None = None
    """A family that blends strategies (Model 2): the champion's weights over its strategies
    at each holdout decision (:func:`strategy_mix`); None for the other families."""


def strategy_mix(
    ensemble: SeedEnsemble, inputs: AllocationData, dates: pd.DatetimeIndex
) -> pd.DataFrame | None:
    """The seed ensemble's weights over its strategies at ``dates`` (dates × strategies), for
    a family whose members blend classic strategies (``strategy_weights``: Model 2), else
    None. The members' mean: the ensemble's asset weights are that mix of the strategies'
    held weights, since each member's are its own mix and both are linear."""
    members = list(getattr(ensemble, "members_", []))
    if not members or not all(hasattr(m, "strategy_weights") for m in members):
        return None
    frames = [m.strategy_weights(inputs).reindex(dates) for m in members]
    mix = sum(frames[1:], frames[0]) / len(frames)
    mix.index = pd.DatetimeIndex(dates, name="date")
    return mix


def trade_seed_ensemble(
    config: RunConfig,
    data: MarketData,
    periods: Periods,
    rules: TradingRules,
    seeds: int = 1,
    jobs: int = 1,
) -> tuple[SeedEnsemble, BacktestResult, dict[int, BacktestResult], pd.DataFrame | None]:
    """Refit ``config``'s model on the whole development period with ``seeds`` seeds and trade
    the holdout once with their seed ensemble; returns the fitted ensemble, its holdout
    result, each member's alone (the same fitted models, so no extra training), and, for a
    family that blends strategies, its mix at each holdout decision (:func:`strategy_mix`)."""
    start = periods.holdout[0]
    inputs = AllocationData(data.prices, data.market, universe=data.universe)
    if family_of(config.model.family).reads_strategies:
        # Model 2 reads the strategies' behaviour up to each date: causal over all dates.
        strategies = config.strategies
        strategy_panel_into(
            inputs, strategies.window, config.backtest.cost_bps, strategies.covariance
        )
    ensemble = SeedEnsemble(estimator_for(config), seed_list(config.seed, seeds), jobs=jobs)
    label = f"{config.model.family} champion's seed ensemble, holdout"
    result = run_period(lambda: ensemble, inputs, start, rules=rules, label=label)
    # each member alone on the same dates and data: the decisions it made for the ensemble
    seed_results = {
        seed: run_period(functools.partial(RecordedAllocator, weights), inputs, start, rules=rules)
        for seed, weights in zip(ensemble.seeds, ensemble.member_weights_, strict=True)
    }
    mix = None
    if family_of(config.model.family).reads_strategies:
        mix = strategy_mix(ensemble, inputs, pd.DatetimeIndex(result.weights.index))
    return ensemble, result, seed_results, mix


def holdout_backtest(
    config: RunConfig,
    data: MarketData,
    periods: Periods,
    rules: TradingRules,
    seeds: int = 1,
    jobs: int = 1,
) -> HoldoutResult:
    """Refit the champion on the whole development period with ``seeds`` seeds and trade the
    holdout once with their seed ensemble (:func:`trade_seed_ensemble`); each member, the
    classic strategies and their equal blend trade the same dates with the same rules."""
    prices = data.prices
    inputs = AllocationData(prices, data.market, universe=data.universe)
    start = periods.holdout[0]
    ensemble, traded, seed_results, mix = trade_seed_ensemble(
        config, data, periods, rules, seeds=seeds, jobs=jobs
    )
    results = {"champion": traded}
    window, covariance = config.strategies.window, config.strategies.covariance
    names = list(STRATEGIES)
    for name in names:
        rule = functools.partial(ClassicAllocator, name, window, covariance=covariance)
        results[name] = run_period(rule, inputs, start, rules=rules, label=f"{name}, holdout")
    # The blend averages the rules' decisions above (remembered by classic_compute): no refit.
    blend = functools.partial(EqualBlendAllocator, names, window, covariance=covariance)
    results["equal_blend"] = run_period(
        blend, inputs, start, rules=rules, label="equal_blend, holdout"
    )
    effective = resolve_covariance(covariance, prices.shape[1], window)
    return HoldoutResult(ensemble, results, seed_results, effective, mix)


@dataclass(frozen=True)
class SearchStatistics:
    """How much the search itself explains: deflated Sharpe and PBO, against zero and
    against the benchmark (on the trials' active validation returns).

    ``n_configs`` trials have validation returns (completed, clones counted once);
    ``n_evaluated`` configurations were tried on validation data (those plus the pruned
    ones): it is the ``N`` of both deflations. ``active_dsr`` and ``active_pbo`` are None
    without a benchmark.
    """

    dsr: DSRResult
    pbo: PBOResult | None
    n_configs: int
    n_evaluated: int = 0
    n_pruned: int = 0
    benchmark: str | None = None
    active_dsr: DSRResult | None = None
    active_pbo: PBOResult | None = None


def _pbo(matrix: pd.DataFrame, n_blocks: int) -> PBOResult | None:
    if matrix.shape[1] >= 2 and len(matrix) >= n_blocks:
        return probability_of_backtest_overfitting(matrix.to_numpy(), n_blocks=n_blocks)
    logger.info("PBO needs at least 2 completed trials and %d dates", n_blocks)
    return None


def _dsr(matrix: pd.DataFrame, champion: int, n_trials: int) -> DSRResult:
    sharpes = [sharpe_ratio(matrix[c].to_numpy(), periods_per_year=1) for c in matrix.columns]
    return deflated_sharpe_from_returns(
        matrix[champion].to_numpy(), np.asarray(sharpes), n_trials=max(n_trials, len(sharpes))
    )


def search_statistics(
    trial_returns: Mapping[int, pd.Series],
    champion: int,
    n_blocks: int = 16,
    *,
    n_pruned: int = 0,
    benchmark: pd.Series | None = None,
) -> SearchStatistics:
    """DSR of the champion's validation returns against every evaluated trial, and PBO from
    the trials' validation return matrix (dates common to all trials); with ``benchmark``
    (its net returns on the same validation dates) the same two on the active returns.

    ``champion`` is the number of the trial whose returns the champion was selected on; the
    deflation counts ``len(trial_returns) + n_pruned`` configurations.
    """
    matrix = pd.DataFrame(dict(trial_returns)).dropna()
    n_evaluated = matrix.shape[1] + n_pruned
    dsr = _dsr(matrix, champion, n_evaluated)
    active_dsr = active_pbo = None
    if benchmark is not None:
        active = active_matrix(trial_returns, benchmark)
        active_dsr = _dsr(active, champion, n_evaluated)
        active_pbo = _pbo(active, n_blocks)
    return SearchStatistics(
        dsr,
        _pbo(matrix, n_blocks),
        matrix.shape[1],
        n_evaluated,
        n_pruned,
        None if benchmark is None else str(benchmark.name),
        active_dsr,
        active_pbo,
    )


def survivorship(
    config: RunConfig, data: MarketData, periods: Periods, rules: TradingRules, point_in_time: Any
) -> dict[str, Any] | None:
    """The survivorship bias of a ragged universe over the holdout, measured: equal weight on
    the point-in-time universe (``point_in_time``, its holdout result) beside equal weight on
    the assets alive at the data's last date only (:func:`evofolio.data.load.survivors_of`),
    same dates and rules; None for a rectangle. JSON-ready: assets, survivors, exits,
    delistings applied, each run's Sharpe and mean return, and ``bias_sharpe`` (survivors
    only minus point in time)."""
    if data.universe is None or not data.universe.ragged:
        return None
    survivors = survivors_of(data)
    inputs = AllocationData(survivors.prices, survivors.market, universe=survivors.universe)
    window = config.strategies.window
    rule = functools.partial(ClassicAllocator, "equal_weight", window)
    biased = run_period(
        rule,
        inputs,
        periods.holdout[0],
        rules=rules,
        label="equal_weight (survivors only), holdout",
    )
    honest, only = point_in_time.metrics(), biased.metrics()
    lives = data.universe.lives()
    return {
        "rule": "equal_weight",
        "assets": len(lives),
        "survivors": len(survivors.assets),
        "exits": int((lives["last"] < data.prices.index[-1]).sum()),
        "delistings_applied": 0
        if point_in_time.delistings is None
        else len(point_in_time.delistings),
        "point_in_time": {"sharpe": honest["sharpe"], "mean_return": honest["mean_return"]},
        "survivors_only": {"sharpe": only["sharpe"], "mean_return": only["mean_return"]},
        "bias_sharpe": only["sharpe"] - honest["sharpe"],
    }
