"""evofolio allocators inside skfolio: :class:`AllocatorOptimization`, a skfolio optimiser.

skfolio's optimisers take *returns* (``fit(X)`` with ``X`` the assets' returns, ``y`` factor
or benchmark returns) and hold one weight vector ``weights_`` over the test period that
``predict`` turns into a :class:`skfolio.Portfolio`. evofolio's allocators take *prices* and
decide at every rebalance date. The bridge reconciles the two without guessing which one a
frame holds: it wraps an allocator, rebuilds prices from the training returns (a base of 1 the
business day before the first return, so no return is lost), fits the allocator on them and
sets ``weights_`` to the allocator's decision at the close of the last training date. ``y``,
when given, is the market's returns (the beta features' market series).

So ``skfolio.model_selection.cross_val_predict(AllocatorOptimization(ev.AssetLSTMAllocator()),
X, cv=WalkForward(...))`` gives a ``MultiPeriodPortfolio``: in each fold the weights decided at
the end of the training window are held over the test window (skfolio's convention), and the
portfolio can sit in a ``Population`` beside ``HierarchicalRiskParity()``. Each
``BaseAllocator`` also offers it as :meth:`~evofolio.allocators.base.BaseAllocator.as_optimization`.

Why a wrapper, not the allocator itself: a DataFrame given to an evofolio allocator holds
prices, one given to a skfolio optimiser holds returns; one ``fit`` reading either would read
one as the other without a word.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from skfolio.optimization._base import BaseOptimization

from evofolio.allocators.base import clone
from evofolio.data import AllocationData
from evofolio.errors import DataError, ParameterError

__all__ = ["AllocatorOptimization", "prices_from_returns"]


def prices_from_returns(returns: pd.DataFrame | pd.Series) -> Any:
    """Prices (a base of 1.0 the business day before the first return, then
    ``cumprod(1 + r)``) of simple daily ``returns`` (rows: dates)."""
    first = pd.DatetimeIndex(returns.index)[0] - pd.offsets.BDay(1)
    growth = (1.0 + returns).cumprod()
    base: pd.Series | pd.DataFrame
    if isinstance(returns, pd.Series):
        base = pd.Series([1.0], index=[first], name=returns.name)
    else:
        base = pd.DataFrame([np.ones(returns.shape[1])], index=[first], columns=returns.columns)
    out = pd.concat([base, growth])
    out.index = pd.DatetimeIndex(out.index, name="date")
    return out


def _frame(X: Any, names: Any = None) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        frame = X.copy()
    else:
        values = np.asarray(X, dtype=np.float64)
        if values.ndim != 2:
            raise DataError(f"X must be 2-D (observations x assets), got shape {values.shape}")
        columns = names if names is not None else [f"x{i}" for i in range(values.shape[1])]
        frame = pd.DataFrame(values, columns=columns)
    if not isinstance(frame.index, pd.DatetimeIndex):
        frame.index = pd.bdate_range("2000-01-03", periods=len(frame))
    frame.columns = [str(c) for c in frame.columns]
    return frame


class AllocatorOptimization(BaseOptimization):
    """A skfolio optimiser that decides with an evofolio allocator.

    Args:
        allocator: an unfitted evofolio allocator (default: Model 1 with its defaults);
            ``fit`` fits ``clone(allocator)``, kept in ``allocator_``.
        portfolio_params: forwarded to the :class:`skfolio.Portfolio` of ``predict``.

    ``fit(X, y=None)``: ``X`` the assets' simple returns (observations × assets; a DataFrame
    with a DatetimeIndex keeps the dates, else business days are assumed), ``y`` the market's
    returns (optional, for the beta features). Sets ``weights_`` ``(n_assets,)``: the
    allocator's decision at the close of the last observation, long-only, summing to 1.
    """

    def __init__(self, allocator: Any = None, portfolio_params: dict[str, Any] | None = None):
        super().__init__(portfolio_params=portfolio_params)
        self.allocator = allocator

    def fit(self, X: Any, y: Any = None) -> AllocatorOptimization:
        if self.allocator is not None and not (
            hasattr(self.allocator, "fit") and hasattr(self.allocator, "allocate")
        ):
            raise ParameterError(
                f"AllocatorOptimization: allocator must be an evofolio allocator, got "
                f"{self.allocator!r}",
                key="allocator",
            )
        returns = _frame(X)
        values = returns.to_numpy(dtype=np.float64, na_value=np.nan)
        if not np.isfinite(values).all() or (values <= -1.0).any():
            raise DataError("X: returns must be finite and above -100 %")
        if len(values) and float(np.median(np.abs(values))) > 0.5:
            raise DataError(
                "X looks like prices (median |value| above 0.5): skfolio optimisers, and this "
                "bridge, take returns (skfolio.preprocessing.prices_to_returns)"
            )
        self.n_features_in_ = returns.shape[1]
        if isinstance(X, pd.DataFrame):
            self.feature_names_in_ = np.asarray(returns.columns, dtype=object)
        prices = prices_from_returns(returns)
        market = None
        if y is not None:
            series = y.iloc[:, 0] if isinstance(y, pd.DataFrame) else y
            market_returns = np.asarray(series, dtype=np.float64).reshape(-1)
            if len(market_returns) != len(returns):
                raise DataError(f"y has {len(market_returns)} rows, X has {len(returns)}")
            market = prices_from_returns(
                pd.Series(market_returns, index=returns.index, name="market")
            )
        if self.allocator is None:
            from evofolio.allocators.neural import AssetLSTMAllocator

            allocator = AssetLSTMAllocator()
        else:
            allocator = clone(self.allocator)
        data = AllocationData(prices, market)
        self.allocator_ = allocator.fit(data)
        last = pd.DatetimeIndex([prices.index[-1]])
        decided = self.allocator_.allocate(data, last)
        self.weights_ = decided.iloc[0].to_numpy(dtype=np.float64)
        return self
