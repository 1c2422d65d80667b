"""A classic rule as an Allocator: refit at every decision date on a trailing window."""

from __future__ import annotations

import logging
from typing import Self

import numpy as np
import pandas as pd

from evofolio.errors import InsufficientHistoryError
from evofolio.strategies import STRATEGIES, strategy_weights

logger = logging.getLogger(__name__)


class ClassicAllocator:
    """Decide the weights of rule ``name`` at each date from the last ``window`` daily returns.

    The rule has nothing to learn across dates, so :meth:`fit` only records the assets. At
    date *t* the window holds the returns of the ``window`` days ending at *t* (the return of
    *t-1 → t* included, nothing after *t*). If the optimiser fails at some date the previous
    decision is held (equal weight when there is none), with a warning.
    """

    def __init__(self, name: str, window: int = 252) -> None:
        self.name = name
        self.window = window

    def fit(self, prices: pd.DataFrame) -> Self:
        if self.name not in STRATEGIES:
            raise ValueError(f"unknown strategy {self.name}")
        self.assets_ = prices.columns
        return self

    def allocate(self, prices: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
        values = prices.to_numpy(dtype=np.float64)
        returns = values[1:] / values[:-1] - 1.0  # row k is the return of date k+1
        positions = prices.index.get_indexer(dates)
        if (positions < 0).any():
            raise ValueError("allocation dates must be price dates")
        if len(positions) and positions.min() < self.window:
            raise InsufficientHistoryError(
                f"{self.name} needs {self.window + 1} prices before its first decision "
                f"({dates[0].date()}), got {positions.min() + 1}"
            )
        out = np.empty((len(dates), values.shape[1]))
        previous = np.full(values.shape[1], 1.0 / values.shape[1])
        for row, pos in enumerate(positions):
            window = returns[pos - self.window : pos]
            try:
                previous = strategy_weights(self.name, window)
            except ValueError as error:
                logger.warning(
                    "%s at %s: %s; holding the previous weights",
                    self.name,
                    dates[row].date(),
                    str(error).split(". ")[0],
                )
            out[row] = previous
        return pd.DataFrame(out, index=dates, columns=prices.columns)


class EqualBlendAllocator:
    """The static counterpart of Model 2: the average of several rules' decided weights."""

    def __init__(self, names: list[str], window: int = 252) -> None:
        self.names = names
        self.window = window

    def fit(self, prices: pd.DataFrame) -> Self:
        self.rules_ = [ClassicAllocator(name, self.window).fit(prices) for name in self.names]
        return self

    def allocate(self, prices: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
        frames = [rule.allocate(prices, dates) for rule in self.rules_]
        return sum(frames[1:], frames[0]) / len(frames)
