"""Fit a classic rule on a window of returns and get clean long-only weights."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence

import numpy as np

from evofolio.errors import UsageError
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


def _clean(weights: FloatArray) -> FloatArray:
    clipped = np.clip(np.nan_to_num(weights, nan=0.0), 0.0, None)
    total = clipped.sum()
    if total <= 0:
        raise ValueError("estimator returned no positive weight")
    return clipped / total


def strategy_weights(name: str, returns: FloatArray) -> FloatArray:
    """Weights of rule ``name`` fitted on ``returns`` (window rows × assets).

    Solver noise is cleaned (tiny negatives clipped, renormalised to sum to 1). If the
    optimiser fails, ``ValueError`` is raised so the caller can decide what to hold.
    """
    estimator = STRATEGIES[name].make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            estimator.fit(returns)
        except Exception as error:  # skfolio raises solver-specific errors
            raise ValueError(f"{name} failed to fit: {error}") from error
    weights = np.asarray(estimator.weights_, dtype=np.float64)
    if weights.shape != (returns.shape[1],):
        raise ValueError(f"{name} returned weights of shape {weights.shape}")
    return _clean(weights)
