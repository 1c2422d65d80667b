"""Conformance checks for allocators, shipped with the library.

:func:`check_allocator` runs the contract every evofolio allocator honours on small data, as
scikit-learn's ``check_estimator`` and Optuna's ``optuna.testing`` do for theirs. The test
suite runs it over every registered family and classic rule; run it on your own allocator
before you pass it to :func:`evofolio.backtest` or register it as a family::

    from evofolio.testing import check_allocator
    check_allocator(MyAllocator(...))        # raises AssertionError naming the broken rule

Checks, in order:

1. **clone without fitted state** (estimators with ``get_params``): ``clone`` (as
   ``sklearn.base.clone``) gives a new object with the same parameters and no fitted
   attribute (a name ending in ``_``), before and after a fit;
2. **fit returns self**, and **weights are valid**: exactly the dates asked for and the
   assets of ``X``, finite, long-only, each row summing to 1;
3. **causal**: the prices (and market series) after a cut date are perturbed, and ``X`` is
   cut short at that date; every row up to the cut is unchanged either way (weights decided
   at the close of *t* read data up to *t* only, not even how much data follows);
4. **fresh fit per fold**: a model fitted on one period, then refitted on another, decides
   exactly as a fresh copy fitted on the second period only (nothing leaks between fits);
5. **seeded repeat**: two fresh copies fitted on the same data decide the same weights;
6. **save/load round trip** (allocators with ``save``/``load``): the loaded model decides the
   same weights, read back with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evofolio.allocators.base import clone
from evofolio.backtesting import check_weights
from evofolio.data import AllocationData, as_data

__all__ = ["check_allocator", "synthetic_prices"]

ATOL = 1e-6
"""Absolute tolerance on weights (each in [0, 1]) where two computations should agree."""


def synthetic_prices(n_days: int = 600, n_assets: int = 4, seed: int = 0) -> pd.DataFrame:
    """Business-day prices of ``n_assets`` correlated random walks (a market factor plus
    noise, about 15-25 % annual volatility), starting at 100: the default data of
    :func:`check_allocator`."""
    rng = np.random.default_rng(seed)
    market = rng.normal(0.0003, 0.009, n_days)
    noise = rng.normal(0.0, 0.01, (n_days, n_assets))
    returns = market[:, None] * rng.uniform(0.6, 1.4, n_assets) + noise
    prices = 100.0 * np.cumprod(1.0 + returns, axis=0)
    dates = pd.bdate_range("2010-01-04", periods=n_days)
    return pd.DataFrame(prices, index=dates, columns=[f"A{i}" for i in range(n_assets)])


def _fresh(allocator: Any) -> Any:
    if hasattr(allocator, "get_params"):
        return clone(allocator)
    return copy.deepcopy(allocator)


def _fitted_names(allocator: Any) -> list[str]:
    return sorted(
        name
        for name in vars(allocator)
        if name.endswith("_") and not name.startswith("_") and not name.endswith("__")
    )


def _perturbed(data: AllocationData, cut: pd.Timestamp, seed: int) -> AllocationData:
    rng = np.random.default_rng(seed)
    prices = data.prices.copy()
    after = prices.index > cut
    prices.loc[after] = prices.loc[after] * rng.uniform(0.7, 1.4, prices.loc[after].shape)
    market = None
    if data.market is not None:
        market = data.market.copy()
        later = market.index > cut
        market.loc[later] = market.loc[later] * rng.uniform(0.8, 1.2, int(later.sum()))
    return AllocationData(prices, market)  # derived data is recomputed from these prices


def _valid(weights: Any, dates: pd.DatetimeIndex, assets: pd.Index, what: str) -> None:
    if not isinstance(weights, pd.DataFrame):
        raise AssertionError(f"{what}: allocate must return a DataFrame, got {type(weights)}")
    try:
        check_weights(weights, dates, assets)
    except ValueError as error:
        raise AssertionError(f"{what}: {error}") from None


def _same(a: pd.DataFrame, b: pd.DataFrame, what: str) -> None:
    assert a.index.equals(b.index) and a.columns.equals(b.columns), f"{what}: other rows"
    gap = float(np.abs(a.to_numpy() - b.to_numpy()).max(initial=0.0))
    assert gap <= ATOL, f"{what}: weights differ by up to {gap:.3g}"


def check_allocator(
    allocator: Any,
    X: Any = None,
    *,
    train_frac: float = 0.6,
    step: int = 5,
    seed: int = 0,
) -> None:
    """Run the allocator contract (see the module docstring) on ``allocator``.

    Args:
        allocator: an unfitted allocator (an evofolio estimator, or any object with
            ``fit(prices)`` and ``allocate(prices, dates)``); it is never fitted itself.
        X: the data: prices, ``MarketData`` or ``AllocationData`` (default:
            :func:`synthetic_prices`, 600 days × 4 assets). Long enough for the allocator's
            warm-up before ``train_frac`` of its dates.
        train_frac: the share of the dates fitted on; decisions are checked on the rest.
        step: every ``step``-th date after the training period is decided.
        seed: seeds the perturbation of the future.

    Raises:
        AssertionError: naming the check that failed and how.
    """
    if not (hasattr(allocator, "fit") and hasattr(allocator, "allocate")):
        raise TypeError(f"check_allocator: {allocator!r} has no fit/allocate methods")
    if not 0.0 < train_frac < 1.0 or int(step) < 1:
        raise ValueError(
            f"check_allocator: train_frac in (0, 1) and step >= 1, got {train_frac}, {step}"
        )
    data = as_data(synthetic_prices() if X is None else X)
    accepts = bool(getattr(allocator, "accepts_data", False))

    def view(d: AllocationData) -> Any:
        return d if accepts else d.prices

    dates_all = data.index
    n_train = int(len(dates_all) * train_frac)
    train = data.loc[dates_all[:n_train]]
    dates = dates_all[n_train + 1 :: step]
    assert len(dates) >= 4, "check_allocator: too few dates after the training period"

    # 1. clone without fitted state
    if hasattr(allocator, "get_params"):
        twin = _fresh(allocator)
        assert type(twin) is type(allocator), "clone: another class"
        assert set(twin.get_params(deep=False)) == set(allocator.get_params(deep=False)), (
            "clone: other parameters"
        )
        assert not _fitted_names(twin), f"clone: fitted state {_fitted_names(twin)} survived"
    # 2. fit returns self; valid weights
    model = _fresh(allocator)
    assert model.fit(view(train)) is model, "fit must return self"
    weights = model.allocate(view(data), dates)
    _valid(weights, dates, data.columns, "weights")
    if hasattr(model, "get_params"):  # a clone of a fitted model is unfitted and new
        copy_of_fitted = _fresh(model)
        assert copy_of_fitted is not model, "clone returned the estimator itself"
        leaked = _fitted_names(copy_of_fitted)
        assert not leaked, f"clone of a fitted estimator kept fitted state {leaked}"
    # 3. causal: perturbing the future leaves every row up to the cut unchanged
    cut = dates[len(dates) // 2]
    moved = model.allocate(view(_perturbed(data, cut, seed)), dates)
    _valid(moved, dates, data.columns, "weights on perturbed prices")
    _same(weights.loc[:cut], moved.loc[:cut], f"causality (prices after {cut.date()} moved)")
    early = dates[dates <= cut]
    short = model.allocate(view(data.loc[:cut]), early)
    _valid(short, early, data.columns, "weights on prices cut short")
    _same(weights.loc[:cut], short, f"causality (prices cut after {cut.date()})")
    # 4. fresh fit per fold: refitting forgets the first fit
    shorter = data.loc[dates_all[: max(n_train * 3 // 4, 2)]]
    refitted = _fresh(allocator).fit(view(train)).fit(view(shorter))
    fresh = _fresh(allocator).fit(view(shorter))
    _same(
        refitted.allocate(view(data), dates),
        fresh.allocate(view(data), dates),
        "refit (a model fitted twice must decide as one fitted on the second period only)",
    )
    # 5. seeded repeat
    again = _fresh(allocator).fit(view(train)).allocate(view(data), dates)
    _same(again, weights, "seeded repeat (two fits on the same data)")
    # 6. save / load
    if hasattr(model, "save") and hasattr(type(model), "load"):
        with tempfile.TemporaryDirectory() as folder:
            path = model.save(Path(folder) / "model.pt")
            loaded = type(model).load(path)
            _same(loaded.allocate(view(data), dates), weights, "save/load round trip")
