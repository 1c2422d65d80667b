"""``X`` of every allocator: the prices, the market series and causal data derived from them.

An allocator's ``fit(X)`` and ``allocate(X, dates)`` take ``X`` as

* a prices ``DataFrame`` (dates × assets; no market series: the beta features then read the
  equal-weight average of the assets, see :func:`evofolio.features.build_panel`);
* a :class:`~evofolio.data.MarketData` (what :func:`evofolio.load_data` returns);
* an :class:`AllocationData`, which may also carry ``derived`` data computed once over the
  whole history by the caller (Model 2's classic-strategy panel): causal at every date, so a
  slice of ``X`` reads the rows of its own dates only.

:func:`as_data` turns any of them into an :class:`AllocationData`. Nothing here is a
parameter of an allocator: settings live in the allocator's constructor, data only in ``X``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from evofolio.data.universe import Universe
from evofolio.errors import DataError

__all__ = ["AllocationData", "AllocationInput", "as_data", "as_dates", "check_prices"]

T = TypeVar("T")


@dataclass(frozen=True, eq=False)
class AllocationData:
    """Prices (dates × assets), the market series on the same dates (or ``None``) and a cache
    of causal, full-history derived data shared by every slice (``derived``, keyed by what
    built it).

    ``loc[rows]`` (rows as for ``DataFrame.loc``) is the same data on fewer dates; the cache
    is shared, since each entry is causal and read by date. The prices are checked once, on
    construction (:func:`check_prices`, ``DataError``); a slice of checked prices is not
    checked again.
    """

    prices: pd.DataFrame
    market: pd.Series | None = None
    derived: dict[Hashable, Any] = field(default_factory=dict, repr=False)
    universe: Universe | None = None
    """The lives and membership of a ragged universe (None: every asset investable at every
    date); see :mod:`evofolio.data.universe`."""

    def __post_init__(self) -> None:
        check_prices(self.prices)

    def investable(self, warmup: int = 0) -> pd.DataFrame | None:
        """Bool frame (dates × assets) of :meth:`Universe.investable`, or None without a
        universe (every asset investable)."""
        if self.universe is None:
            return None
        return self.universe.investable(warmup)

    @property
    def index(self) -> pd.DatetimeIndex:
        """The price dates."""
        return pd.DatetimeIndex(self.prices.index)

    @property
    def columns(self) -> pd.Index:
        """The assets."""
        return self.prices.columns

    @property
    def loc(self) -> _Rows:
        """``data.loc[rows]``: prices and market on those rows, the cache shared."""
        return _Rows(self)

    def cached(self, key: Hashable, build: Callable[[], T], covers: Callable[[T], bool]) -> T:
        """The derived entry ``key`` if it ``covers`` these dates, else ``build()`` (stored)."""
        value = self.derived.get(key)
        if value is None or not covers(value):
            value = build()
            self.derived[key] = value
        return value


@dataclass(frozen=True)
class _Rows:
    data: AllocationData

    def __getitem__(self, rows: Any) -> AllocationData:
        prices = self.data.prices.loc[rows]
        market = self.data.market
        if market is not None:  # its values on these dates (a missing one stays missing)
            market = market[market.index.isin(prices.index)]
        universe = self.data.universe
        if universe is not None:
            universe = universe.on(pd.DatetimeIndex(prices.index))
        rows = object.__new__(AllocationData)  # checked prices' rows: no second check
        for name, value in (
            ("prices", prices),
            ("market", market),
            ("derived", self.data.derived),
            ("universe", universe),
        ):
            object.__setattr__(rows, name, value)
        return rows


AllocationInput = Any
"""What ``fit``/``allocate`` accept as ``X`` (see :func:`as_data`)."""


def as_data(X: Any) -> AllocationData:
    """``X`` as :class:`AllocationData`: a prices ``DataFrame``, a ``MarketData`` (anything
    with ``prices`` and ``market``) or ``AllocationData``; ``DataError`` for anything else,
    and for prices that are not dates × assets of positive, finite numbers on unique dates in
    ascending order (:func:`check_prices`)."""
    if isinstance(X, AllocationData):  # checked when it was built
        return X
    if isinstance(X, pd.DataFrame):
        return AllocationData(X)
    if isinstance(getattr(X, "prices", None), pd.DataFrame):
        market = getattr(X, "market", None)
        universe = getattr(X, "universe", None)
        return AllocationData(
            X.prices,
            market if isinstance(market, pd.Series) else None,
            universe=universe if isinstance(universe, Universe) else None,
        )
    raise DataError(
        f"X must be a prices DataFrame (dates x assets), MarketData or AllocationData, "
        f"got {type(X).__name__}"
    )


def check_prices(prices: pd.DataFrame) -> None:
    """``DataError`` naming the problem unless ``prices`` has a ``DatetimeIndex`` of unique
    dates in ascending order and positive, finite values (what :func:`evofolio.load_data`
    guarantees; a frame built by hand is checked here, cheaply, at every ``fit``/``allocate``)."""
    index = prices.index
    if not isinstance(index, pd.DatetimeIndex):
        raise DataError(
            f"X: the prices' index must be dates (a DatetimeIndex), got {type(index).__name__}; "
            "evofolio.load_data(frame) parses a date column or index"
        )
    if not index.is_unique:
        first = index[index.duplicated()][0]
        raise DataError(f"X: date {first.date()} appears more than once in the prices")
    if not index.is_monotonic_increasing:
        raise DataError("X: the price dates must be in ascending order (sort_index() them)")
    values = prices.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~(np.isfinite(values) & (values > 0))
    if bad.any():
        row, column = np.argwhere(bad)[0]
        raise DataError(
            f"X: price of {prices.columns[column]!r} on {index[row].date()} is "
            f"{values[row, column]!r}; prices must be positive and finite (returns? pass "
            "prices, or use the skfolio bridge, which takes returns)"
        )


def as_dates(dates: Any) -> pd.DatetimeIndex:
    """Decision dates as a ``DatetimeIndex`` (a list, array, Series, one date...);
    ``DataError`` if they are not dates."""
    if isinstance(dates, pd.DatetimeIndex):
        return dates
    try:
        one = isinstance(dates, str | pd.Timestamp) or np.isscalar(dates)
        values: Any = [dates] if one else list(dates)
        return pd.DatetimeIndex(pd.to_datetime(values))
    except (TypeError, ValueError) as error:
        raise DataError(f"dates: not dates ({error})") from None
