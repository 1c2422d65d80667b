"""Minimum track record length (Bailey & López de Prado 2012).

"The Sharpe Ratio Efficient Frontier", Journal of Risk 15(2), eq. (11): the number of
observations needed before an observed per-period Sharpe ratio ``SR`` lets one reject, at
confidence ``1 - alpha``, that the true Sharpe ratio is at most ``SR*``::

    MinTRL = 1 + (1 - skew * SR + (kurt - 1) / 4 * SR**2) * (z_{1-alpha} / (SR - SR*))**2

Conventions are those of :mod:`evofolio.metrics.deflated_sharpe`: per-period Sharpe ratios,
non-excess kurtosis (3 for a normal law), population moments. It is the inverse of the
probabilistic Sharpe ratio there: ``probabilistic_sharpe_ratio(SR, SR*, MinTRL, skew, kurt)``
is exactly ``1 - alpha``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from evofolio.metrics.deflated_sharpe import sharpe_moments
from evofolio.metrics.performance import as_returns

__all__ = ["MinTRL", "min_track_record_from_returns", "minimum_track_record_length"]


@dataclass(frozen=True)
class MinTRL:
    """Minimum track record length of a return series against a Sharpe ratio of 0.

    ``observations`` (periods) and ``years`` (``observations / P``) are needed at
    confidence ``1 - alpha``; ``inf`` when the observed Sharpe ratio is not positive, nan
    when it is undefined. ``sr`` is per period, ``kurtosis`` non-excess, ``n_obs`` the
    length of the record at hand (compare it with ``observations``).
    """

    observations: float
    years: float
    sr: float
    skew: float
    kurtosis: float
    n_obs: int
    alpha: float


def minimum_track_record_length(
    sr: float,
    sr_benchmark: float = 0.0,
    skew: float = 0.0,
    kurtosis: float = 3.0,
    alpha: float = 0.05,
) -> float:
    """Observations needed for ``P(true SR > sr_benchmark) >= 1 - alpha`` (BLdP 2012).

    ``sr`` and ``sr_benchmark`` are per-period Sharpe ratios, ``kurtosis`` non-excess.
    ``inf`` when ``sr <= sr_benchmark`` (no record is long enough); nan when ``sr`` is nan
    or the variance term ``1 - skew * sr + (kurtosis - 1) / 4 * sr**2`` is not positive.
    ``ValueError`` if ``alpha`` is outside (0, 1).
    """
    from scipy import stats  # when used: `evofolio data` starts without scipy.stats

    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    variance_term = 1.0 - skew * sr + (kurtosis - 1.0) / 4.0 * sr**2
    if math.isnan(sr) or not variance_term > 0.0:
        return float("nan")
    if sr <= sr_benchmark:
        return math.inf
    z = float(stats.norm.isf(alpha))
    return 1.0 + variance_term * (z / (sr - sr_benchmark)) ** 2


def min_track_record_from_returns(
    active_returns: npt.ArrayLike, alpha: float = 0.05, periods_per_year: int = 252
) -> MinTRL:
    """MinTRL of ``active_returns`` ``(T,)`` (e.g. champion minus benchmark) against 0.

    How long a record of beating the benchmark, at the observed per-period Sharpe ratio,
    skewness and kurtosis of the active returns (population moments), would be needed to be
    ``1 - alpha`` confident the edge is real. nan figures when the active returns are flat
    (the champion trades like the benchmark); ``ValueError`` if fewer than 2 returns.
    """
    x = as_returns(active_returns, name="active_returns")
    if x.size < 2:
        raise ValueError(f"active_returns needs at least 2 returns, got {x.size}")
    sr, skew, kurt = sharpe_moments(x)
    observations = minimum_track_record_length(sr, 0.0, skew, kurt, alpha)
    return MinTRL(
        observations=observations,
        years=observations / periods_per_year,
        sr=sr,
        skew=skew,
        kurtosis=kurt,
        n_obs=int(np.size(x)),
        alpha=alpha,
    )
