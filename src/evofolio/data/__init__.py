"""Layer 1: price data in, validated once at the edge.

:func:`load_data` reads a dataset shipped with or cached by skfolio (``sp500``, ``factors``,
``ftse100``, ``nasdaq``), a ``.csv``/``.parquet`` file (wide, long, or saved from
``yfinance.download``) or Yahoo Finance, validates the prices (:func:`validate_prices`:
calendar dates, daily spacing, suspect jumps, stale closes) and pairs them with a market
series, all in one :class:`MarketData`. :func:`load_from_config` does the same from a
``[data]`` section.
"""

from evofolio.data.checks import require_history, validate_prices
from evofolio.data.datasets import DATASETS, DEFAULT_HOLDOUT_STARTS
from evofolio.data.frequency import TRADING_DAYS, Frequency, infer_frequency
from evofolio.data.inputs import (
    AllocationData,
    AllocationInput,
    as_data,
    as_dates,
    check_prices,
)
from evofolio.data.jumps import ON_SUSPECT_JUMP, SuspectJump, find_suspect_jumps
from evofolio.data.load import MarketData, load_data, load_from_config
from evofolio.data.missing import MissingPolicy, MissingReport
from evofolio.data.stale import MIN_STALE_DATES, StaleRun, find_stale_runs

__all__ = [
    "DATASETS",
    "DEFAULT_HOLDOUT_STARTS",
    "MIN_STALE_DATES",
    "ON_SUSPECT_JUMP",
    "TRADING_DAYS",
    "AllocationData",
    "AllocationInput",
    "Frequency",
    "MarketData",
    "MissingPolicy",
    "MissingReport",
    "StaleRun",
    "SuspectJump",
    "as_data",
    "as_dates",
    "check_prices",
    "find_stale_runs",
    "find_suspect_jumps",
    "infer_frequency",
    "load_data",
    "load_from_config",
    "require_history",
    "validate_prices",
]
