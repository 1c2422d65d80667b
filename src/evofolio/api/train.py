"""``evofolio.train``: one estimator walked forward through the development period.

What ``evofolio train`` does, for a notebook: the estimator (any evofolio allocator, with the
settings you gave it) is refitted every ``retrain_years`` calendar years on all data to date
(or a rolling window of ``train_years``), decides the following years, and the decisions are
simulated after costs. The holdout period is never touched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from evofolio.allocators.base import BaseAllocator, clone
from evofolio.allocators.portfolio import PortfolioLSTMAllocator
from evofolio.allocators.strategy_panel import strategy_panel_into
from evofolio.api.data import PricesInput, load_data
from evofolio.backtesting import (
    BacktestResult,
    Fold,
    TradingRules,
    run_folds,
    split_periods,
    walk_forward_years,
)
from evofolio.config import Rebalance, parse_config
from evofolio.data import AllocationData
from evofolio.errors import UsageError

__all__ = ["TrainResult", "train"]


@dataclass(frozen=True)
class TrainResult:
    """A walked-forward estimator: its out-of-sample backtest, one fitted copy per fold.

    Attributes:
        backtest: the decisions of every fold simulated as one period (net and gross daily
            returns, weights, turnover; see :class:`~evofolio.backtesting.BacktestResult`).
        models: the fitted estimator of each fold, in fold order (the last is the most recent).
        folds: the folds (training and test dates).
    """

    backtest: BacktestResult
    models: list[Any] = field(repr=False)
    folds: list[Fold] = field(repr=False)

    def metrics(self, net: bool = True) -> dict[str, float]:
        """The out-of-sample metrics (Sharpe, return, volatility, drawdown, turnover, ...)."""
        return self.backtest.metrics(net=net)


def train(
    estimator: BaseAllocator,
    data: PricesInput = "sp500",
    *,
    holdout_start: dt.date | str | None = None,
    retrain_years: int = 2,
    train_years: int | None = None,
    min_train_days: int = 756,
    purge_days: int = 1,
    rebalance: Rebalance = "monthly",
    cost_bps: float = 10.0,
) -> TrainResult:
    """Walk ``estimator`` forward through the development period of ``data``.

    Args:
        estimator: an unfitted evofolio allocator (e.g. ``ev.AssetLSTMAllocator()``); each
            fold fits ``clone(estimator)``, so ``estimator`` itself stays unfitted.
        data: a source string, a price file, a prices DataFrame or ``MarketData`` (read by
            :func:`evofolio.load_data`).
        holdout_start: first holdout date, never touched (default: the dataset's own, else
            the last 20 % of the dates).
        retrain_years: refit every this many calendar years.
        train_years: rolling training window in years (``None``: expanding).
        min_train_days: dates before the first test block.
        purge_days: dates dropped between training and test.
        rebalance: ``daily``, ``weekly``, ``monthly`` or every N days.
        cost_bps: proportional cost on the traded amount, in basis points.

    Returns:
        A :class:`TrainResult`.

    Raises:
        UsageError: ``estimator`` is not an evofolio allocator.
        ConfigError: a setting out of its bounds (those of ``[walk_forward]``, ``[backtest]``
            and ``data.holdout_start``), naming it, e.g. ``train: invalid value for
            'walk_forward.purge_days'``; ``ParameterError`` for the estimator's own.
        DataError / InsufficientHistoryError: the data cannot be read or is too short.
    """
    if not isinstance(estimator, BaseAllocator):
        raise UsageError(
            f"train: estimator must be an evofolio allocator (e.g. ev.AssetLSTMAllocator()), "
            f"got {type(estimator).__name__}"
        )
    estimator.check_params()
    # the bounds of these settings are the configuration's ([walk_forward], [backtest], [data])
    settings = parse_config(
        {
            "walk_forward": {
                "retrain_years": retrain_years,
                "train_years": train_years,
                "min_train_days": min_train_days,
                "purge_days": purge_days,
            },
            "backtest": {"rebalance": rebalance, "cost_bps": cost_bps},
            "data": {"holdout_start": holdout_start},
        },
        "train",
    )
    walk, holdout = settings.walk_forward, settings.data.holdout_start
    loaded = load_data(data)
    periods = split_periods(pd.DatetimeIndex(loaded.prices.index), holdout, source=loaded.source)
    development = periods.development
    universe = None if loaded.universe is None else loaded.universe.on(development)
    inputs = AllocationData(
        loaded.prices.loc[development], loaded.market.loc[development], universe=universe
    )
    if isinstance(estimator, PortfolioLSTMAllocator):
        strategy_panel_into(
            inputs, estimator.strategy_window, estimator.cost_bps, estimator.covariance
        )
    folds = walk_forward_years(
        inputs.index,
        every_years=walk.retrain_years,
        min_train=walk.min_train_days,
        train_years=walk.train_years,
        purge=walk.purge_days,
    )
    models: list[Any] = []

    def fresh() -> Any:
        models.append(clone(estimator))
        return models[-1]

    result = run_folds(fresh, inputs, folds, TradingRules.from_config(settings.backtest))
    return TrainResult(result, models, folds)
