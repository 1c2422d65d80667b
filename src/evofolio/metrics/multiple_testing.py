"""Adjusted p-values for testing one strategy against several baselines at once."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from evofolio.typing import FloatArray

__all__ = ["holm_adjust"]


def holm_adjust(p_values: npt.ArrayLike) -> FloatArray:
    """Holm (1979) step-down adjusted p-values, in the order given, shape ``(m,)``.

    With the ``m`` finite p-values sorted ascending, ``p_(1) <= ... <= p_(m)``, the
    adjusted value of the ``i``-th is ``max_{j <= i} min(1, (m - j + 1) * p_(j))``; rejecting
    where the adjusted value is ``<= alpha`` controls the family-wise error rate at
    ``alpha`` under any dependence between the tests. nan entries stay nan and are not
    counted in ``m``. ``ValueError`` for input that is not 1-D or a p-value outside [0, 1].
    """
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError(f"p_values must be a 1-D array, got shape {p.shape}")
    known = ~np.isnan(p)
    if np.any((p[known] < 0.0) | (p[known] > 1.0)):
        raise ValueError(f"p-values must lie in [0, 1], got {p[known].tolist()}")
    adjusted = np.full(p.shape, np.nan)
    values = p[known]
    order = np.argsort(values, kind="stable")
    m = values.size
    stepped = np.minimum(1.0, (m - np.arange(m)) * values[order])
    result = np.empty(m)
    result[order] = np.maximum.accumulate(stepped)
    adjusted[known] = result
    return adjusted
