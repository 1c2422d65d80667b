"""The feature panel ``(T, N, F)`` and :func:`build_panel`, which computes it from prices."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evofolio.data.returns import equal_weight_index
from evofolio.errors import ConfigError, DataError, InsufficientHistoryError
from evofolio.features.registry import FEATURES, max_warmup, resolve_names

logger = logging.getLogger(__name__)

DateLike = str | pd.Timestamp | np.datetime64 | None


@dataclass(frozen=True)
class FeaturePanel:
    """Per-asset, per-day features on a common date grid.

    Attributes:
        values: float32 array of shape ``(T, N, F)`` = (dates, assets, features).
        dates: the ``T`` dates, sorted and unique.
        assets: the ``N`` asset names, in the order of the price columns.
        names: the ``F`` feature names, in the order requested.
    """

    values: np.ndarray
    dates: pd.DatetimeIndex
    assets: tuple[str, ...]
    names: tuple[str, ...]

    def __post_init__(self) -> None:
        expected = (len(self.dates), len(self.assets), len(self.names))
        if self.values.shape != expected:
            raise ValueError(
                f"FeaturePanel values have shape {self.values.shape}, expected "
                f"(dates, assets, features) = {expected}"
            )

    @property
    def n_dates(self) -> int:
        """``T``, the number of dates."""
        return len(self.dates)

    @property
    def n_assets(self) -> int:
        """``N``, the number of assets."""
        return len(self.assets)

    @property
    def n_features(self) -> int:
        """``F``, the number of features."""
        return len(self.names)

    def index_of(self, date: str | pd.Timestamp | np.datetime64) -> int:
        """Row of ``date`` in :attr:`dates`; raises :class:`DataError` if it is not there."""
        stamp = pd.Timestamp(date)
        position = int(self.dates.searchsorted(stamp, side="left"))
        if position == self.n_dates or self.dates[position] != stamp:
            raise DataError(
                f"date {stamp.date()} is not in the feature panel "
                f"({self.dates[0].date()} to {self.dates[-1].date()}, {self.n_dates} dates)"
            )
        return position

    def loc(self, start: DateLike = None, end: DateLike = None) -> FeaturePanel:
        """The rows with ``start <= date <= end`` (both inclusive, ``None`` = open).

        ``values`` is a view of this panel's array, not a copy.
        """
        first = 0 if start is None else int(self.dates.searchsorted(pd.Timestamp(start), "left"))
        stop = (
            self.n_dates
            if end is None
            else int(self.dates.searchsorted(pd.Timestamp(end), "right"))
        )
        return FeaturePanel(
            self.values[first:stop], self.dates[first:stop], self.assets, self.names
        )

    def feature(self, name: str) -> np.ndarray:
        """The ``(T, N)`` values of one feature (a view)."""
        if name not in self.names:
            raise ConfigError(f"feature {name!r} is not in the panel; it has {list(self.names)}")
        return self.values[:, :, self.names.index(name)]


def resolve_market(prices: pd.DataFrame, market: pd.Series | None) -> pd.Series:
    """The market series on the index of ``prices`` (equal-weight index when ``None``)."""
    if market is None:
        return equal_weight_index(prices)
    if not market.index.equals(prices.index):
        missing = prices.index.difference(market.index)
        if len(missing):
            raise DataError(
                f"market series {market.name!r} has no value on {len(missing)} price date(s), "
                f"first {missing[0].date()}"
            )
        market = market.loc[prices.index]
    values = market.to_numpy(dtype=np.float64)
    bad = ~(np.isfinite(values) & (values > 0.0))
    if bad.any():
        first = prices.index[int(np.argmax(bad))]
        raise DataError(
            f"market series {market.name!r} must be finite and positive; "
            f"it is {values[bad][0]} on {first.date()}"
        )
    return market


def build_panel(
    prices: pd.DataFrame,
    names: Sequence[str] | None = None,
    market: pd.Series | None = None,
    *,
    missing: bool = False,
) -> FeaturePanel:
    """Compute features from validated prices.

    Args:
        prices: ``(T, N)`` validated prices (sorted unique dates, positive, no NaN).
        names: feature names in the order wanted (``None``: all of :data:`FEATURES`).
        market: ``(T,)`` market prices on the same dates (``None``: the equal-weight index
            of ``prices``); used by the beta features.
        missing: a ragged universe's prices, NaN outside each asset's life: every feature
            is then computed per asset on its own life only (a window reaching before the
            life's first price is NaN: undefined, never filled across a life's start) and
            the panel keeps those NaN cells (the caller masks them).

    Returns:
        A panel of shape ``(T - w, N, F)`` in float32, where ``w`` is the longest warm-up of
        the chosen features. The first ``w`` rows are *dropped*, not masked: the panel's
        first date is ``prices.index[w]``, and every value in it is finite.

    Raises:
        ConfigError: an unknown, duplicated or empty list of feature names.
        InsufficientHistoryError: ``T <= w``, so no row would remain.
        DataError: the market series does not cover the price dates or is not positive.
    """
    chosen = resolve_names(names)
    warmup = max_warmup(chosen)
    if len(prices) <= warmup:
        longest = [name for name in chosen if FEATURES[name].warmup == warmup]
        raise InsufficientHistoryError(
            f"features need at least {warmup + 1} rows of prices ({warmup} warm-up rows for "
            f"{longest} plus one), but prices have {len(prices)} rows"
        )
    mkt = resolve_market(prices, market)
    if missing and np.isinf(prices.to_numpy(dtype=np.float64)).any():
        raise DataError("prices must be finite or NaN (outside a life)")
    rows = len(prices) - warmup
    values = np.empty((rows, prices.shape[1], len(chosen)), dtype=np.float32)
    age = None
    if missing:  # returns of each life up to t: a feature is undefined before its warm-up
        present = prices.notna().to_numpy()
        age = np.where(present, present.cumsum(axis=0) - 1, -1)[warmup:]
    for j, name in enumerate(chosen):
        frame = FEATURES[name].fn(prices, mkt)
        block = frame.to_numpy(dtype=np.float64)[warmup:]
        if age is not None:
            block = np.where(age >= FEATURES[name].warmup, block, np.nan)
        if not missing and not np.isfinite(block).all():
            row, col = np.argwhere(~np.isfinite(block))[0]
            raise DataError(
                f"feature {name!r} is not finite for asset {prices.columns[col]!r} on "
                f"{prices.index[warmup + row].date()}; check the prices around that date"
            )
        values[:, :, j] = block
    logger.debug("built feature panel %s for %d features", values.shape, len(chosen))
    return FeaturePanel(
        values=values,
        dates=pd.DatetimeIndex(prices.index[warmup:]),
        assets=tuple(str(c) for c in prices.columns),
        names=chosen,
    )
