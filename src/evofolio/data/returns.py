"""Returns from prices, and the equal-weight market proxy."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)


def simple_returns(prices: pd.DataFrame) -> pd.DataFrame:
    """Simple returns ``p_t / p_{t-1} - 1``; row *t* is the return earned from *t-1* to *t*.

    The first row is dropped (it has no previous price).
    """
    values = prices.to_numpy(dtype=np.float64)
    rets = values[1:] / values[:-1] - 1.0
    return pd.DataFrame(rets, index=prices.index[1:], columns=prices.columns)


def log_returns(prices: pd.DataFrame) -> pd.DataFrame:
    """Log returns ``log(p_t / p_{t-1})``; row *t* is the return from *t-1* to *t*."""
    values = np.log(prices.to_numpy(dtype=np.float64))
    return pd.DataFrame(np.diff(values, axis=0), index=prices.index[1:], columns=prices.columns)


def equal_weight_index(prices: pd.DataFrame, name: str = "equal_weight") -> pd.Series:
    """A daily-rebalanced equal-weight index of the assets, starting at 1.0.

    Used as the market series (for beta) when the data source has none. Causal: the value at
    *t* uses prices up to *t* only. NaN prices (outside the lives of a ragged universe) are
    left out: each day's return is the mean over the assets priced on both days (0 when
    none is).
    """
    values = prices.to_numpy(dtype=np.float64)
    daily = np.ones(len(prices))
    if len(prices) > 1:
        step = values[1:] / values[:-1] - 1.0
        if np.isnan(step).any():
            both = ~np.isnan(step)
            total = np.where(both, step, 0.0).sum(axis=1)
            daily[1:] = 1.0 + total / np.maximum(both.sum(axis=1), 1)
        else:
            daily[1:] = 1.0 + np.mean(step, axis=1)
    logger.info("market series: equal-weight average of the %d assets", prices.shape[1])
    return pd.Series(np.cumprod(daily), index=prices.index, name=name)
