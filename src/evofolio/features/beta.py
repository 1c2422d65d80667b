"""Market-beta features: rolling ``cov(r_asset, r_market) / var(r_market)``.

Betas use daily *simple* returns (an asset whose daily return is twice the market's has
beta exactly 2). Both moments come from rolling means over the same window,

    beta = (mean(r_a r_m) - mean(r_a) mean(r_m)) / (mean(r_m^2) - mean(r_m)^2),

so the ``ddof`` cancels. A window in which the market did not move has no defined beta; it
is set to 0. A window of ``k`` daily returns needs ``k + 1`` prices, so the warm-up is ``k``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evofolio.features.base import Feature, daily_simple_returns, like, market_simple_returns

_MIN_VAR = 1e-14


def rolling_beta(prices: pd.DataFrame, market: pd.Series, window: int) -> pd.DataFrame:
    """Rolling beta of each asset on the market, ``(T, N)``; first ``window`` rows NaN."""
    asset = daily_simple_returns(prices)
    mkt = market_simple_returns(market)
    mkt_frame = pd.DataFrame({"m": mkt, "m2": mkt * mkt}, index=prices.index)
    mkt_mean = mkt_frame.rolling(window, min_periods=window).mean().to_numpy()
    mean_m, mean_m2 = mkt_mean[:, 0:1], mkt_mean[:, 1:2]

    rolling_asset = asset.rolling(window, min_periods=window)
    mean_a = rolling_asset.mean().to_numpy()
    cross = like(asset.to_numpy() * mkt[:, None], prices)
    mean_am = cross.rolling(window, min_periods=window).mean().to_numpy()

    cov = mean_am - mean_a * mean_m
    var = mean_m2 - mean_m * mean_m
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = np.where(var > _MIN_VAR, cov / np.maximum(var, _MIN_VAR), 0.0)
    beta[np.isnan(cov)] = np.nan
    return like(beta, prices)


def beta_63(prices: pd.DataFrame, market: pd.Series) -> pd.DataFrame:
    """63-day market beta, ``(T, N)``."""
    return rolling_beta(prices, market, 63)


def beta_252(prices: pd.DataFrame, market: pd.Series) -> pd.DataFrame:
    """252-day market beta, ``(T, N)``."""
    return rolling_beta(prices, market, 252)


FAMILY: tuple[Feature, ...] = (
    Feature("beta_63", beta_63, 63, "63-day beta of daily simple returns on the market"),
    Feature("beta_252", beta_252, 252, "252-day beta of daily simple returns on the market"),
)
