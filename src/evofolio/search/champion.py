"""The champion: chosen by validation fitness, refit on the whole development period, and
evaluated **once** on the holdout period, with the search accounted for (DSR, PBO)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evofolio.allocators.classic import ClassicAllocator, EqualBlendAllocator
from evofolio.allocators.factory import NeuralAllocator, model2_panel, neural_factory
from evofolio.allocators.strategy_panel import (
    StrategyPanel,
)
from evofolio.backtest import BacktestResult, Periods, TradingRules, run_period
from evofolio.config import RunConfig
from evofolio.data import MarketData
from evofolio.errors import EvofolioError
from evofolio.metrics import (
    DSRResult,
    PBOResult,
    deflated_sharpe_from_returns,
    probability_of_backtest_overfitting,
    sharpe_ratio,
)
from evofolio.strategies import STRATEGIES

logger = logging.getLogger(__name__)

PARETO_PICKS = ("sharpe", "drawdown", "turnover")


class NoChampionError(EvofolioError):
    """The search produced no completed trial to choose from."""


def pick_champion(trials: pd.DataFrame, multi_objective: bool, pick: str = "sharpe") -> int:
    """The trial number of the champion among the COMPLETE trials of ``trials``.

    Single-objective: the highest fitness. Multi-objective: among the Pareto front of
    (max Sharpe, min drawdown, min turnover), the best on ``pick``.
    """
    done = trials[trials["state"] == "COMPLETE"]
    if done.empty:
        raise NoChampionError("the search has no completed trial: nothing to choose from")
    if not multi_objective:
        return int(done["number"].to_numpy()[int(np.argmax(done["fitness"].to_numpy()))])
    if pick not in PARETO_PICKS:
        raise EvofolioError(f"pareto pick must be one of {', '.join(PARETO_PICKS)}, got '{pick}'")
    front = done[pareto_mask(done[["sharpe", "max_drawdown", "turnover"]].to_numpy())]
    column, maximise = {
        "sharpe": ("sharpe", True),
        "drawdown": ("max_drawdown", False),
        "turnover": ("turnover", False),
    }[pick]
    values = front[column].to_numpy()
    position = int(np.argmax(values) if maximise else np.argmin(values))
    return int(front["number"].to_numpy()[position])


def pareto_mask(values: np.ndarray) -> np.ndarray:
    """Rows of (Sharpe up, drawdown down, turnover down) not dominated by any other row."""
    score = values * np.array([-1.0, 1.0, 1.0])  # all to minimise
    n = len(score)
    mask = np.ones(n, dtype=bool)
    for i in range(n):
        dominated = np.all(score <= score[i], axis=1) & np.any(score < score[i], axis=1)
        mask[i] = not dominated.any()
    return mask


@dataclass(frozen=True, eq=False)
class HoldoutResult:
    """The champion and every baseline over the holdout period, with the same rules."""

    champion: NeuralAllocator
    results: dict[str, BacktestResult]


def holdout_backtest(
    config: RunConfig,
    data: MarketData,
    periods: Periods,
    rules: TradingRules,
) -> HoldoutResult:
    """Refit the champion on the whole development period and trade the holdout once;
    the classic strategies and their equal blend trade the same dates with the same rules."""
    prices = data.prices
    start = periods.holdout[0]
    panel: StrategyPanel | None = None
    if config.model.family == "portfolio":
        # Model 2 reads the strategies' behaviour up to each date: causal over all dates.
        panel = model2_panel(prices, config)
    make = neural_factory(config, market=data.market, panel=panel)
    fitted: list[NeuralAllocator] = []

    def factory() -> NeuralAllocator:
        fitted.append(make())
        return fitted[-1]

    results = {"champion": run_period(factory, prices, start, rules=rules)}
    window = config.strategies.window
    names = list(STRATEGIES)
    for name in names:
        rule = functools.partial(ClassicAllocator, name, window)
        results[name] = run_period(rule, prices, start, rules=rules)
    results["equal_blend"] = run_period(
        lambda: EqualBlendAllocator(names, window), prices, start, rules=rules
    )
    return HoldoutResult(fitted[-1], results)


@dataclass(frozen=True)
class SearchStatistics:
    """How much the search itself explains: deflated Sharpe and PBO."""

    dsr: DSRResult
    pbo: PBOResult | None
    n_configs: int


def search_statistics(
    trial_returns: Mapping[int, pd.Series], champion: int, n_blocks: int = 16
) -> SearchStatistics:
    """DSR of the champion's validation returns against every completed trial's Sharpe, and
    PBO from the trials' validation return matrix (dates common to all trials)."""
    matrix = pd.DataFrame(dict(trial_returns)).dropna()
    sharpes = [sharpe_ratio(matrix[c].to_numpy(), periods_per_year=1) for c in matrix.columns]
    dsr = deflated_sharpe_from_returns(matrix[champion].to_numpy(), np.asarray(sharpes))
    pbo = None
    if matrix.shape[1] >= 2 and len(matrix) >= n_blocks:
        pbo = probability_of_backtest_overfitting(matrix.to_numpy(), n_blocks=n_blocks)
    else:
        logger.info("PBO needs at least 2 completed trials and %d dates", n_blocks)
    return SearchStatistics(dsr, pbo, matrix.shape[1])
