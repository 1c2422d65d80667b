"""The Allocator contract, defined here by its consumer (the backtest engine).

An allocator turns prices into portfolio weights:

* ``__init__`` stores settings only;
* ``fit(prices_train)`` learns from the training prices and returns ``self``; learned state
  lives in attributes ending in ``_``;
* ``allocate(prices, dates)`` returns a ``DataFrame`` (``dates`` × assets) of long-only weights
  summing to 1, where the row for date *t* depends only on ``prices.loc[:t]``;
* optionally, after ``allocate``, a ``fallbacks_`` table (columns ``date``, ``cause``,
  ``held``: see :class:`~evofolio.backtesting.results.BacktestResult`) of the dates where the
  allocator could not apply its rule; the engine copies it into the result.

An allocator whose class sets ``accepts_data = True`` (every evofolio allocator) receives
:class:`~evofolio.data.AllocationData` (prices, market series, derived data) instead of the
prices ``DataFrame``; any other object with ``fit``/``allocate`` receives the prices.

The engine builds a fresh allocator per fold from a factory, so nothing learned leaks between
folds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, Self, runtime_checkable

import pandas as pd


@runtime_checkable
class Allocator(Protocol):
    """Anything that can be fitted on past prices and then decide weights causally."""

    def fit(self, prices: pd.DataFrame) -> Self:
        """Learn from ``prices`` (dates × assets) and return ``self``."""
        ...

    def allocate(self, prices: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
        """Weights (``dates`` × assets) decided at the close of each date."""
        ...


AllocatorFactory = Callable[[], Allocator]
