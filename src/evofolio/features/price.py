"""Price-level features: the paper's "raw price", made stationary.

Raw prices are not comparable across assets or across decades, so ``norm_price`` is the
rolling z-score of the log price over the last 63 trading days (about a quarter):

    norm_price_t = (log p_t - mean(log p_{t-62..t})) / std(log p_{t-62..t})

with the sample standard deviation (``ddof=1``). It keeps what the raw price tells a network
(where the price sits within its recent range) and drops the level. A window whose prices
are all equal has zero spread; its z-score is defined as 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evofolio.features.base import Feature, like, log_prices

NORM_PRICE_WINDOW = 63
_MIN_STD = 1e-12


def norm_price(prices: pd.DataFrame, market: pd.Series) -> pd.DataFrame:
    """Rolling 63-day z-score of the log price, shape ``(T, N)``; first 62 rows NaN."""
    logp = log_prices(prices)
    rolling = logp.rolling(NORM_PRICE_WINDOW, min_periods=NORM_PRICE_WINDOW)
    mean = rolling.mean().to_numpy()
    std = rolling.std(ddof=1).to_numpy()
    centred = logp.to_numpy() - mean
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(std > _MIN_STD, centred / np.maximum(std, _MIN_STD), 0.0)
    z[np.isnan(std)] = np.nan
    return like(z, prices)


FAMILY: tuple[Feature, ...] = (
    Feature(
        name="norm_price",
        fn=norm_price,
        warmup=NORM_PRICE_WINDOW - 1,
        description="log price as a rolling 63-day z-score (stationary 'raw price')",
    ),
)
