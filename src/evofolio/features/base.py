"""The :class:`Feature` record and the causal building blocks every feature family shares.

A feature is a function ``fn(prices, market) -> DataFrame``:

* ``prices`` is a validated ``(T, N)`` DataFrame (sorted unique DatetimeIndex, float64,
  strictly positive, no NaN) and ``market`` a ``(T,)`` Series of market prices on the same
  index;
* the result has the same ``(T, N)`` shape, index and columns as ``prices``;
* rows ``0 .. warmup - 1`` are NaN and every later row is finite;
* the value at date *t* uses prices (and market) up to and including *t* only: rolling
  windows, ``ewm(adjust=False)`` and backward shifts, never centred windows, forward shifts
  or back-fills.

The family modules (``price``, ``returns``, ``volatility``, ``beta``, ``technical``) each
define a few such functions and their :class:`Feature` entries; ``registry`` collects them.
``Feature`` lives here rather than in ``registry`` so that the families can import it
without an import cycle; ``registry`` re-exports it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evofolio.data.returns import log_returns, simple_returns
from evofolio.typing import FloatArray

TRADING_DAYS = 252
"""Trading days per year, used to annualise volatilities."""

FeatureFn = Callable[[pd.DataFrame, pd.Series], pd.DataFrame]


@dataclass(frozen=True)
class Feature:
    """One per-asset, per-day feature.

    Attributes:
        name: registry key, e.g. ``"vol_21"``.
        fn: ``fn(prices (T, N), market (T,)) -> DataFrame (T, N)``, causal, NaN during
            warm-up.
        warmup: rows of history before the first valid value: row ``warmup`` (0-based) is
            the first row that is not NaN.
        description: one line for reports and ``--help``.
    """

    name: str
    fn: FeatureFn
    warmup: int
    description: str

    def __post_init__(self) -> None:
        if self.warmup < 0:
            raise ValueError(f"feature {self.name!r}: warmup must be >= 0, got {self.warmup}")


def like(values: FloatArray, prices: pd.DataFrame) -> pd.DataFrame:
    """Wrap a ``(T, N)`` array as a DataFrame on the index and columns of ``prices``."""
    return pd.DataFrame(values, index=prices.index, columns=prices.columns)


def mask_warmup(frame: pd.DataFrame, warmup: int) -> pd.DataFrame:
    """Set the first ``warmup`` rows of ``frame`` to NaN (in place) and return it.

    Used by EMA-based features, whose recursions produce numbers from row 0 that are still
    dominated by their seed.
    """
    frame.iloc[:warmup] = np.nan
    return frame


def log_prices(prices: pd.DataFrame) -> pd.DataFrame:
    """``log(p_t)``, shape ``(T, N)``."""
    return like(np.log(prices.to_numpy(dtype=np.float64)), prices)


def daily_log_returns(prices: pd.DataFrame) -> pd.DataFrame:
    """``log(p_t / p_{t-1})``, shape ``(T, N)``; row 0 is NaN."""
    return log_returns(prices).reindex(prices.index)


def daily_simple_returns(prices: pd.DataFrame) -> pd.DataFrame:
    """``p_t / p_{t-1} - 1``, shape ``(T, N)``; row 0 is NaN."""
    return simple_returns(prices).reindex(prices.index)


def market_simple_returns(market: pd.Series) -> FloatArray:
    """Daily simple returns of the market, shape ``(T,)``; element 0 is NaN."""
    values = market.to_numpy(dtype=np.float64)
    out = np.full(values.shape, np.nan)
    out[1:] = values[1:] / values[:-1] - 1.0
    return out


def ema(
    frame: pd.DataFrame, *, span: float | None = None, alpha: float | None = None
) -> pd.DataFrame:
    """Causal exponential moving average (``adjust=False``: ``y_t = a x_t + (1 - a) y_{t-1}``).

    Seeded with the first value, so early rows lean on that seed; callers mask them with a
    warm-up (see :func:`ema_warmup`).
    """
    return frame.ewm(span=span, alpha=alpha, adjust=False).mean()


def ema_warmup(span: float) -> int:
    """Warm-up rows for an EMA of the given span: three spans.

    After ``3 * span`` rows the seed's weight ``(1 - 2 / (span + 1)) ** (3 * span)`` is
    below ``exp(-6) ~ 0.25%``.
    """
    return int(np.ceil(3 * span))
