"""Backtest engine: splits, simulation with drift and costs, results (numpy/pandas only)."""

from evofolio.backtesting.engine import check_weights, run_folds, run_period
from evofolio.backtesting.protocol import Allocator, AllocatorFactory
from evofolio.backtesting.rebalance import parse_rebalance, rebalance_dates, rebalance_mask
from evofolio.backtesting.results import FALLBACK_COLUMNS, BacktestResult, no_fallbacks
from evofolio.backtesting.simulate import (
    DELISTING_COLUMNS,
    RESIDUAL_WEIGHT,
    TradingRules,
    delisted_names,
    ewm_volatility,
    residual_delistings,
    residual_note,
    simulate,
)
from evofolio.backtesting.splits import (
    Fold,
    Periods,
    split_periods,
    walk_forward,
    walk_forward_years,
)

__all__ = [
    "DELISTING_COLUMNS",
    "FALLBACK_COLUMNS",
    "RESIDUAL_WEIGHT",
    "Allocator",
    "AllocatorFactory",
    "BacktestResult",
    "Fold",
    "Periods",
    "TradingRules",
    "check_weights",
    "delisted_names",
    "ewm_volatility",
    "no_fallbacks",
    "parse_rebalance",
    "rebalance_dates",
    "rebalance_mask",
    "residual_delistings",
    "residual_note",
    "run_folds",
    "run_period",
    "simulate",
    "split_periods",
    "walk_forward",
    "walk_forward_years",
]
