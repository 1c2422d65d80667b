"""Fit a classic rule on a window of returns and get clean long-only weights."""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from evofolio.errors import UsageError
from evofolio.strategies.covariance import prior_for
from evofolio.strategies.registry import STRATEGIES
from evofolio.typing import FloatArray

logger = logging.getLogger(__name__)


def resolve_strategies(names: Sequence[str] | str | None) -> list[str]:
    """Registry names from a list, ``"all"``/``None`` (every rule) or a comma-separated string."""
    if names is None or names == "all":
        return list(STRATEGIES)
    if isinstance(names, str):
        names = [part.strip() for part in names.split(",") if part.strip()]
    unknown = [name for name in names if name not in STRATEGIES]
    if unknown:
        raise UsageError(
            f"unknown strategy '{unknown[0]}'; choose from: all, {', '.join(STRATEGIES)}"
        )
    if not names:
        raise UsageError("no strategy given")
    return list(dict.fromkeys(names))


ZERO_STD = 1e-10
"""Daily-return standard deviation at or below which an asset counts as riskless in a window
(a constant price, e.g. a cash line quoted at 1.00; an asset that did not trade). Real assets,
even money-market funds, are orders of magnitude above it."""


LARGE_UNIVERSE = 100
"""Above this many assets in a window the rules get :func:`large_universe_params`: the
optimiser rules solve to :data:`LARGE_TOLERANCE` with :data:`LARGE_SOLVER` and without
redundant weight caps, HRP keeps its clustering tree's leaf order."""
LARGE_TOLERANCE = 1e-7
"""Clarabel's duality-gap tolerance (absolute and relative) for the optimiser rules above
:data:`LARGE_UNIVERSE` assets; skfolio's own default, kept up to that size, is 1e-9. At 500
assets the interior-point method spends its last ~15 of ~38 iterations on the gap's last two
digits (the cost of each setting: ``benchmarks/bench_solver.py`` and the large-universes page).
Measured on a 500-asset window, risk parity's weights move by < 1e-6 and minimum variance's by
< 2e-4 (its optimum is flat: many portfolios have nearly the same variance)."""
LARGE_SOLVER: dict[str, float | str | int] = {"direct_solve_method": "faer", "max_threads": 1}
"""Clarabel's linear-system settings above :data:`LARGE_UNIVERSE` assets: the supernodal
``faer`` factorisation on one thread instead of its default ``qdldl``. The covariance's dense
square root (a 500 x 500 Cholesky factor in the cone constraint) makes every interior-point
step factor a dense system, where ``faer``'s blocked kernels beat ``qdldl``'s column-by-column
ones: at 500 assets a solve takes about a third less CPU time, the iterates and weights being
the same (``benchmarks/bench_solver.py``). One thread, because the rules already run one
process per core (``--jobs``); two threads per solve were slower still on 2 cores."""


def solver_params(n_assets: int) -> dict[str, float | str | int] | None:
    """The ``solver_params`` given to skfolio's convex rules fitted on ``n_assets`` assets:
    None (skfolio's default, bit for bit) up to :data:`LARGE_UNIVERSE`, else the gap
    tolerances :data:`LARGE_TOLERANCE` and the linear solver :data:`LARGE_SOLVER`."""
    if n_assets <= LARGE_UNIVERSE:
        return None
    return {"tol_gap_abs": LARGE_TOLERANCE, "tol_gap_rel": LARGE_TOLERANCE, **LARGE_SOLVER}


def large_universe_params(estimator: Any, n_assets: int) -> dict[str, Any]:
    """The settings :func:`strategy_weights` gives a fresh skfolio ``estimator`` fitted on
    ``n_assets`` assets: none up to :data:`LARGE_UNIVERSE` (skfolio's defaults, so the 20-stock
    ``sp500`` is unchanged bit for bit); above it, for the parameters the estimator has:

    * ``solver_params``: :func:`solver_params` (looser gap, ``faer`` factorisation);
    * ``max_weights=None`` instead of skfolio's default 1.0 for ``min_variance``,
      ``max_sharpe`` and ``max_diversification``: their weights are long-only and sum to a
      budget of 1 (for a ratio objective, to the homogenising scale), so each ``w_i <= 1`` is
      implied and the optimum is the same, but the 500 redundant inequalities made Clarabel
      take more interior-point steps (at 500 assets ``max_sharpe`` fell from 26-30 to 14-16
      iterations on three seeded windows; ``benchmarks/bench_solver.py``). Risk parity keeps
      its cap: it is implied there too (skfolio's risk budgeting also sums to 1 on its
      homogenising scale), but without it Clarabel failed on some 500-asset windows;
    * ``seriation_estimator``: HRP orders its assets by the clustering tree's own leaves
      (``HierarchicalSeriation(optimal_ordering=False)``, the quasi-diagonalisation of
      López de Prado 2016, "Building diversified portfolios that outperform out of sample",
      J. Portfolio Management 42(4)) instead of skfolio's default optimal leaf ordering
      (Bar-Joseph, Gifford & Jaakkola 2001), whose cost grows about as N³: 0.57 of HRP's
      1.0 s at 500 assets, 6.3 of 8.4 s at 1,000. The same tree, the same clusters; the order
      of leaves inside a merge, hence the bisection's splits, differ: on seeded 150- and
      500-asset windows the two portfolios were 5-10 % apart.
    """
    if n_assets <= LARGE_UNIVERSE:
        return {}
    names = estimator.get_params(deep=False)
    settings: dict[str, Any] = {}
    if "solver_params" in names:
        settings["solver_params"] = solver_params(n_assets)
        if _cap_is_dropped(estimator, names):
            settings["max_weights"] = None
    if "seriation_estimator" in names:
        from skfolio.seriation import HierarchicalSeriation

        settings["seriation_estimator"] = HierarchicalSeriation(optimal_ordering=False)
    return settings


def _cap_is_dropped(estimator: Any, params: dict[str, Any]) -> bool:
    """Whether :func:`large_universe_params` drops skfolio's ``max_weights`` cap of 1: it is
    implied by weights at least 0 (``min_weights == 0``) summing to ``budget == 1``, and the
    rule is not risk budgeting (implied there too, but Clarabel needs it on some windows)."""
    from skfolio.optimization import RiskBudgeting

    if isinstance(estimator, RiskBudgeting):
        return False
    return (
        params.get("budget") == 1
        and params.get("min_weights") == 0
        and params.get("max_weights") == 1
    )


def zero_variance_mask(returns: FloatArray) -> npt.NDArray[np.bool_]:
    """``(assets,)`` booleans: the columns of ``returns`` (rows × assets) with zero variance."""
    return np.asarray(np.std(returns, axis=0) <= ZERO_STD)


def _clean(weights: FloatArray) -> FloatArray:
    clipped = np.clip(np.nan_to_num(weights, nan=0.0), 0.0, None)
    total = clipped.sum()
    if total <= 0:
        raise ValueError("estimator returned no positive weight")
    return clipped / total


_INDEX_LIST = re.compile(
    r"(assets?\b[^\[\].]*)\[((?:np\.int64\()?\d+\)?(?:,\s*(?:np\.int64\()?\d+\)?)*)\]"
)


def name_assets(message: str, names: Sequence[str]) -> str:
    """Replace a list of asset positions in a solver's message by the assets' names.

    skfolio reports assets by position (``... assets indices have a non positive variance:
    [np.int64(5)]``); a list that follows the word "asset(s)" in the same sentence becomes
    ``[CASH]`` when ``names[5] == "CASH"``. Other numbers are left alone.
    """

    def replace(match: re.Match[str]) -> str:
        digits = re.sub(r"np\.int64\(|\)", "", match.group(2))
        positions = [int(part) for part in digits.split(",")]
        if any(position >= len(names) for position in positions):
            return match.group(0)
        listed = ", ".join(str(names[position]) for position in positions)
        return f"{match.group(1)}[{listed}]"

    return _INDEX_LIST.sub(replace, message)


def strategy_weights(
    name: str,
    returns: FloatArray,
    assets: Sequence[str] | None = None,
    covariance: str = "empirical",
) -> FloatArray:
    """Weights ``(assets,)`` of rule ``name`` fitted on ``returns`` (window rows × assets).

    ``covariance``: a resolved estimator of :data:`evofolio.strategies.covariance.COVARIANCES`
    (not ``auto``), given through the prior estimator to the rules that use risk. Above
    :data:`LARGE_UNIVERSE` assets the rules get the settings of :func:`large_universe_params`
    (a looser gap tolerance, no redundant weight caps, HRP's tree leaf order).

    Solver noise is cleaned (tiny negatives clipped, renormalised to sum to 1). A rule that
    ``uses_risk`` is fitted on the assets with variance in the window only (see
    :func:`zero_variance_mask`): an asset with zero variance gets weight 0 (with a single risky
    asset left, it gets all the weight). ``assets`` (column names) name the assets in errors.

    Raises:
        ValueError: the rule cannot be applied: the optimiser failed, or no asset has variance
            in the window. The message names the rule and the assets; the caller decides what
            to hold instead.
    """
    names = (
        [str(a) for a in assets]
        if assets is not None
        else [f"column {i}" for i in range(returns.shape[1])]
    )
    strategy = STRATEGIES[name]
    keep = np.ones(returns.shape[1], dtype=bool)
    if strategy.uses_risk:
        keep = ~zero_variance_mask(returns)
        if not keep.any():
            raise ValueError(f"{name}: no asset has variance in the window")
    weights = np.zeros(returns.shape[1])
    if keep.sum() == 1:
        weights[keep] = 1.0
        return weights
    kept = [n for n, k in zip(names, keep, strict=True) if k]
    estimator = strategy.make()
    prior = prior_for(covariance) if strategy.uses_risk else None
    if prior is not None:
        estimator.set_params(prior_estimator=prior)
    settings = large_universe_params(estimator, len(kept))
    if settings:
        estimator.set_params(**settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            estimator.fit(returns[:, keep])
        except Exception as error:  # skfolio raises solver-specific errors
            message = name_assets(str(error), kept)
            raise ValueError(f"{name} failed to fit: {message}") from error
    fitted = np.asarray(estimator.weights_, dtype=np.float64)
    if fitted.shape != (len(kept),):
        raise ValueError(f"{name} returned weights of shape {fitted.shape}")
    weights[keep] = _clean(fitted)
    return weights
