"""Return features: past log returns over several horizons, and 12-1 momentum.

All returns here are *log* returns, ``log(p_t / p_{t-k})``: they add over time, are
symmetric for gains and losses, and are better behaved as network inputs than simple
returns. The return over ``k`` days needs ``k`` rows of history, so its warm-up is ``k``.
"""

from __future__ import annotations

import pandas as pd

from evofolio.features.base import Feature, log_prices

MOMENTUM_LOOKBACK = 252
MOMENTUM_SKIP = 21


def log_return(prices: pd.DataFrame, k: int) -> pd.DataFrame:
    """``log(p_t / p_{t-k})``, shape ``(T, N)``; the first ``k`` rows are NaN."""
    logp = log_prices(prices)
    return logp - logp.shift(k)


def ret_1(prices: pd.DataFrame, market: pd.Series) -> pd.DataFrame:
    """1-day log return, ``(T, N)``."""
    return log_return(prices, 1)


def ret_5(prices: pd.DataFrame, market: pd.Series) -> pd.DataFrame:
    """5-day (one week) log return, ``(T, N)``."""
    return log_return(prices, 5)


def ret_21(prices: pd.DataFrame, market: pd.Series) -> pd.DataFrame:
    """21-day (one month) log return, ``(T, N)``."""
    return log_return(prices, 21)


def ret_63(prices: pd.DataFrame, market: pd.Series) -> pd.DataFrame:
    """63-day (one quarter) log return, ``(T, N)``."""
    return log_return(prices, 63)


def mom_12_1(prices: pd.DataFrame, market: pd.Series) -> pd.DataFrame:
    """12-1 month momentum ``log(p_{t-21} / p_{t-252})``, ``(T, N)``; first 252 rows NaN.

    The most recent month is skipped, as usual, because it tends to reverse.
    """
    logp = log_prices(prices)
    return logp.shift(MOMENTUM_SKIP) - logp.shift(MOMENTUM_LOOKBACK)


FAMILY: tuple[Feature, ...] = (
    Feature("ret_1", ret_1, 1, "1-day log return"),
    Feature("ret_5", ret_5, 5, "5-day log return"),
    Feature("ret_21", ret_21, 21, "21-day log return"),
    Feature("ret_63", ret_63, 63, "63-day log return"),
    Feature(
        "mom_12_1",
        mom_12_1,
        MOMENTUM_LOOKBACK,
        "12-1 month momentum: log return from t-252 to t-21",
    ),
)
