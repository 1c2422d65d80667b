"""Backtest engine: splits, simulation with drift and costs, results (numpy/pandas only)."""

from evofolio.backtest.engine import check_weights, run_folds, run_period
from evofolio.backtest.protocol import Allocator, AllocatorFactory
from evofolio.backtest.rebalance import parse_rebalance, rebalance_dates, rebalance_mask
from evofolio.backtest.results import FALLBACK_COLUMNS, BacktestResult, no_fallbacks
from evofolio.backtest.simulate import TradingRules, ewm_volatility, simulate
from evofolio.backtest.splits import (
    Fold,
    Periods,
    split_periods,
    walk_forward,
    walk_forward_years,
)

__all__ = [
    "FALLBACK_COLUMNS",
    "Allocator",
    "AllocatorFactory",
    "BacktestResult",
    "Fold",
    "Periods",
    "TradingRules",
    "check_weights",
    "ewm_volatility",
    "no_fallbacks",
    "parse_rebalance",
    "rebalance_dates",
    "rebalance_mask",
    "run_folds",
    "run_period",
    "simulate",
    "split_periods",
    "walk_forward",
    "walk_forward_years",
]
