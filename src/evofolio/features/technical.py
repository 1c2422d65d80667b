"""Technical-analysis features: RSI, MACD, moving-average ratio, drawdown.

EMA-based features use causal recursions (``ewm(adjust=False)``, seeded with the first
value) and are NaN for a warm-up of three spans per EMA stage (see
:func:`~evofolio.features.base.ema_warmup`), so the seed's weight in any value used is
below 0.3%.

* ``rsi_14``: Wilder's RSI with smoothing ``alpha = 1/14`` (an EMA of span 27), rescaled
  from [0, 100] to [-1, 1]: ``(G - L) / (G + L)`` with ``G``, ``L`` the smoothed average
  gain and loss. 0 is neutral; a window with no price change is 0.
* ``macd``: the MACD *histogram* (``EMA12 - EMA26`` of the price minus its 9-day EMA
  signal line) divided by the price, so it is unit-free. The MACD line alone is close to
  the trend features (``ma_ratio_50_200``, ``ret_63``); the histogram adds its change.
* ``ma_ratio_50_200``: ``SMA50 / SMA200 - 1`` of the price.
* ``drawdown``: ``p_t / max(p_0..p_t) - 1`` (expanding max), in ``[-1, 0]``, 0 at a new high.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evofolio.features.base import Feature, ema, ema_warmup, like, mask_warmup

RSI_PERIOD = 14
RSI_WARMUP = 1 + ema_warmup(2 * RSI_PERIOD - 1)  # the first price change is at row 1
MACD_FAST, MACD_SLOW, MACD_SIGNAL = 12, 26, 9
MACD_WARMUP = ema_warmup(MACD_SLOW) + ema_warmup(MACD_SIGNAL)
MA_SHORT, MA_LONG = 50, 200


def rsi_14(prices: pd.DataFrame, market: pd.Series) -> pd.DataFrame:
    """Wilder's 14-day RSI scaled to [-1, 1], ``(T, N)``; first ``RSI_WARMUP`` rows NaN."""
    values = prices.to_numpy(dtype=np.float64)
    change = np.zeros_like(values)
    change[1:] = values[1:] - values[:-1]
    # Row 0 (no change yet) is left out of the recursion by starting it at row 1.
    gain = like(np.where(change > 0.0, change, 0.0), prices).iloc[1:]
    loss = like(np.where(change < 0.0, -change, 0.0), prices).iloc[1:]
    avg_gain = ema(gain, alpha=1.0 / RSI_PERIOD).to_numpy()
    avg_loss = ema(loss, alpha=1.0 / RSI_PERIOD).to_numpy()
    total = avg_gain + avg_loss
    with np.errstate(invalid="ignore", divide="ignore"):
        rsi = np.where(total > 0.0, (avg_gain - avg_loss) / total, 0.0)
    out = like(np.vstack([np.full((1, values.shape[1]), np.nan), rsi]), prices)
    return mask_warmup(out, RSI_WARMUP)


def macd(prices: pd.DataFrame, market: pd.Series) -> pd.DataFrame:
    """MACD(12, 26, 9) histogram divided by the price, ``(T, N)``; first rows NaN."""
    line = ema(prices, span=MACD_FAST) - ema(prices, span=MACD_SLOW)
    histogram = line - ema(line, span=MACD_SIGNAL)
    return mask_warmup(histogram / prices, MACD_WARMUP)


def ma_ratio_50_200(prices: pd.DataFrame, market: pd.Series) -> pd.DataFrame:
    """``SMA50 / SMA200 - 1`` of the price, ``(T, N)``; first 199 rows NaN."""
    short = prices.rolling(MA_SHORT, min_periods=MA_SHORT).mean()
    long = prices.rolling(MA_LONG, min_periods=MA_LONG).mean()
    return short / long - 1.0


def drawdown(prices: pd.DataFrame, market: pd.Series) -> pd.DataFrame:
    """``p_t / running max - 1``, ``(T, N)``, in ``[-1, 0]``; no warm-up. The running max
    skips missing prices (``np.fmax``), so an asset listed late starts its own maximum at its
    first price instead of carrying the NaN before its life through its whole life."""
    values = prices.to_numpy(dtype=np.float64)
    return like(values / np.fmax.accumulate(values, axis=0) - 1.0, prices)


FAMILY: tuple[Feature, ...] = (
    Feature("rsi_14", rsi_14, RSI_WARMUP, "Wilder's 14-day RSI scaled to [-1, 1]"),
    Feature("macd", macd, MACD_WARMUP, "MACD(12, 26, 9) histogram divided by the price"),
    Feature(
        "ma_ratio_50_200",
        ma_ratio_50_200,
        MA_LONG - 1,
        "50-day over 200-day simple moving average of the price, minus 1",
    ),
    Feature("drawdown", drawdown, 0, "price over its running maximum, minus 1"),
)
