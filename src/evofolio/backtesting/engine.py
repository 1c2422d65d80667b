"""Backtest an allocator: fit per fold (fresh from a factory), decide causally, simulate once."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from evofolio.backtesting.protocol import AllocatorFactory
from evofolio.backtesting.rebalance import rebalance_mask
from evofolio.backtesting.results import BacktestResult
from evofolio.backtesting.simulate import TradingRules, simulate
from evofolio.backtesting.splits import Fold
from evofolio.data.inputs import AllocationData, AllocationInput, as_data

logger = logging.getLogger(__name__)

FoldCallback = Callable[[Fold], None]


def check_weights(weights: pd.DataFrame, dates: pd.DatetimeIndex, assets: pd.Index) -> None:
    """Raise ``ValueError`` unless ``weights`` are finite long-only rows summing to 1."""
    if not weights.index.equals(dates):
        raise ValueError("allocator returned weights for other dates than it was asked for")
    if not weights.columns.equals(assets):
        raise ValueError("allocator returned weights for other assets than the prices'")
    values = weights.to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise ValueError("allocator returned non-finite weights")
    if values.min(initial=0.0) < -1e-8 or np.abs(values.sum(axis=1) - 1.0).max(initial=0.0) > 1e-6:
        raise ValueError("allocator returned weights that are not long-only and fully invested")


def check_investable(weights: pd.DataFrame, data: AllocationData) -> None:
    """Raise ``ValueError`` naming the first asset and date where ``weights`` put a positive
    weight on an asset that is not investable then (not alive, or not a member, in ``data``'s
    ragged universe); nothing to check without a universe."""
    if data.universe is None:
        return
    frame = data.universe.on(pd.DatetimeIndex(weights.index)).investable()
    allowed = frame.reindex(columns=weights.columns).to_numpy(dtype=bool)
    values = weights.to_numpy(dtype=np.float64)
    bad = (values > 1e-12) & ~allowed
    if bad.any():
        row, column = (int(k) for k in np.argwhere(bad)[0])
        asset = str(list(weights.columns)[column])
        day = pd.DatetimeIndex(weights.index)[row]
        raise ValueError(
            f"allocator put weight {values[row, column]:.4g} on '{asset}' on "
            f"{day:%Y-%m-%d}, when it is not investable (no price that day, or not a member "
            f"of the universe); give it weight 0 ({int(bad.sum())} such cells)"
        )


def _view(allocator: object, data: AllocationData) -> AllocationInput:
    """What ``allocator`` reads: the whole ``data`` if it says ``accepts_data`` (every
    evofolio allocator), else the prices ``DataFrame`` (a user's own allocator; with a
    ragged universe, NaN outside the assets' lives)."""
    if getattr(allocator, "accepts_data", False):
        return data
    if data.universe is not None:
        return data.universe.raw(data.prices)
    return data.prices


def run_folds(
    factory: AllocatorFactory,
    X: AllocationInput,
    folds: Sequence[Fold],
    rules: TradingRules = TradingRules(),
    *,
    on_fold: FoldCallback | None = None,
    label: str | None = None,
) -> BacktestResult:
    """Walk-forward backtest: for each fold a fresh allocator is fitted on the fold's training
    prices and decides the weights of the fold's rebalance dates seeing prices up to the end of
    the fold's test period only. The decisions of all folds are simulated as one period (drift
    and costs carry across fold boundaries).

    With a ragged universe (``data.universe``), weights on an asset not investable at the
    decision date are a ``ValueError`` (:func:`check_investable`), and delistings are booked
    (:func:`~evofolio.backtesting.simulate`; ``label`` names the portfolio in its log line).

    An allocator that sets a ``fallbacks_`` table (see :class:`BacktestResult`) after
    ``allocate`` has its rows, over all folds, in the result's ``fallbacks``.

    ``X`` is what the allocators read: a prices ``DataFrame``, ``MarketData`` or
    ``AllocationData`` (:func:`evofolio.data.as_data`); each fit and decision sees its slice.
    """
    data = as_data(X)
    prices = data.prices
    test_dates = pd.DatetimeIndex(folds[0].test.append([fold.test for fold in folds[1:]]))
    mask = rebalance_mask(test_dates, rules.rebalance)
    decisions = []
    fallbacks = []
    for fold in folds:
        fold_dates = test_dates[mask & test_dates.isin(fold.test)]
        allocator = factory()
        allocator.fit(_view(allocator, data.loc[fold.train]))
        visible = _view(allocator, data.loc[: fold.test[-1]])
        weights = allocator.allocate(visible, fold_dates)
        check_weights(weights, fold_dates, prices.columns)
        check_investable(weights, data)
        decisions.append(weights)
        fold_fallbacks = getattr(allocator, "fallbacks_", None)
        if fold_fallbacks is not None and len(fold_fallbacks):
            fallbacks.append(fold_fallbacks)
        logger.debug("fold %d: %d decisions", fold.index, len(fold_dates))
        if on_fold is not None:
            on_fold(fold)
    result = simulate(
        pd.concat(decisions),
        prices,
        rules,
        end=test_dates[-1],
        universe=data.universe,
        label=label,
    )
    if not fallbacks:
        return result
    table = pd.concat(fallbacks, ignore_index=True) if len(fallbacks) > 1 else fallbacks[0]
    return dataclasses.replace(result, fallbacks=table.reset_index(drop=True))


def run_period(
    factory: AllocatorFactory,
    X: AllocationInput,
    start: pd.Timestamp,
    end: pd.Timestamp | None = None,
    rules: TradingRules = TradingRules(),
    *,
    on_fold: FoldCallback | None = None,
    label: str | None = None,
) -> BacktestResult:
    """Fit on every price before ``start``, then decide and simulate from ``start`` to ``end``
    (``X`` and ``label`` as in :func:`run_folds`)."""
    data = as_data(X)
    dates = data.index
    end = dates[-1] if end is None else end
    fold = Fold(0, dates[dates < start], dates[(dates >= start) & (dates <= end)])
    return run_folds(factory, data, [fold], rules, on_fold=on_fold, label=label)
