"""Probabilistic and deflated Sharpe ratios (Bailey & López de Prado 2012, 2014).

Everything here works on **per-period** Sharpe ratios (daily returns give daily Sharpe
ratios: divide an annualised Sharpe ratio by ``sqrt(P)`` and an annualised variance of
Sharpe ratios by ``P`` first). Kurtosis is the plain, **non-excess** kurtosis (3 for a
normal distribution).

* ``PSR(SR*) = Phi((SR - SR*) * sqrt(T - 1) / sqrt(1 - skew * SR + (kurt - 1) / 4 * SR**2))``
  is the probability that the true Sharpe ratio exceeds the benchmark ``SR*``, given ``T``
  observations with that skewness and kurtosis (Bailey & López de Prado 2012, "The Sharpe
  Ratio Efficient Frontier").
* ``SR0 = sqrt(V) * ((1 - g) * Phi^-1(1 - 1/N) + g * Phi^-1(1 - 1/(N e)))``, ``g`` the
  Euler-Mascheroni constant, approximates the expected maximum of ``N`` independent trial
  Sharpe ratios with true value 0 and variance ``V``.
* ``DSR = PSR(SR0)``: the probability that the selected strategy's true Sharpe ratio is
  positive once the selection among ``N`` trials is accounted for (Bailey & López de Prado
  2014, "The Deflated Sharpe Ratio"). A single trial involves no selection: ``SR0 = 0``
  and the DSR is the PSR against zero.

Sample moments in :func:`deflated_sharpe_from_returns` are the population (biased)
estimators, as in :mod:`skfolio.measures` (``scipy.stats.skew(bias=True)`` and
``scipy.stats.kurtosis(fisher=False, bias=True)``), so the result equals
:func:`skfolio.measures.deflated_sharpe_ratio` on the same inputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from evofolio.metrics.performance import as_returns, sharpe_ratio

__all__ = [
    "DSRResult",
    "deflated_sharpe_from_returns",
    "deflated_sharpe_ratio",
    "expected_max_sharpe",
    "probabilistic_sharpe_ratio",
]


@dataclass(frozen=True)
class DSRResult:
    """The deflated Sharpe ratio of a selected strategy and the inputs it was built from.

    ``sr`` and ``sr_star`` are per-period; ``sr_star`` is the expected maximum Sharpe ratio
    of ``n_trials`` skill-less trials; ``kurtosis`` is non-excess.
    """

    dsr: float
    psr: float
    sr: float
    sr_star: float
    n_trials: int
    n_obs: int
    skew: float
    kurtosis: float


def probabilistic_sharpe_ratio(
    sr: float,
    sr_benchmark: float,
    n_obs: int,
    skew: float = 0.0,
    kurtosis: float = 3.0,
) -> float:
    """Probability that the true per-period Sharpe ratio exceeds ``sr_benchmark``.

    ``sr`` is the observed per-period Sharpe ratio over ``n_obs`` returns with the given
    skewness and non-excess kurtosis. Exactly 0.5 when ``sr == sr_benchmark``. nan when
    ``sr`` is nan or the variance term ``1 - skew * sr + (kurtosis - 1) / 4 * sr**2`` is not
    positive (moments no real sample can have). ``ValueError`` if ``n_obs < 2``.
    """
    from scipy import stats  # when used: `evofolio data` starts without scipy.stats

    if n_obs < 2:
        raise ValueError(f"n_obs must be at least 2, got {n_obs}")
    variance_term = 1.0 - skew * sr + (kurtosis - 1.0) / 4.0 * sr**2
    if not variance_term > 0.0:
        return float("nan")
    z = (sr - sr_benchmark) * math.sqrt(n_obs - 1) / math.sqrt(variance_term)
    return float(stats.norm.cdf(z))


def expected_max_sharpe(n_trials: int, var_sharpe: float) -> float:
    """Expected maximum of ``n_trials`` independent Sharpe ratios of mean 0, variance ``V``.

    ``sqrt(V) * ((1 - g) * Phi^-1(1 - 1/N) + g * Phi^-1(1 - 1/(N e)))``. One trial (no
    selection) or ``V = 0`` gives 0.0. ``ValueError`` if ``n_trials < 1`` or ``V < 0``.
    """
    from scipy import stats  # when used: `evofolio data` starts without scipy.stats

    if n_trials < 1:
        raise ValueError(f"n_trials must be at least 1, got {n_trials}")
    if not var_sharpe >= 0.0:
        raise ValueError(f"var_sharpe must be a non-negative number, got {var_sharpe}")
    if n_trials == 1 or var_sharpe == 0.0:
        return 0.0
    g = float(np.euler_gamma)
    # isf(p) == ppf(1 - p), without the rounding of 1 - p for large N.
    z_max = (1.0 - g) * stats.norm.isf(1.0 / n_trials) + g * stats.norm.isf(
        1.0 / (n_trials * math.e)
    )
    return math.sqrt(var_sharpe) * float(z_max)


def deflated_sharpe_ratio(
    sr: float,
    n_trials: int,
    var_trials_sharpe: float,
    n_obs: int,
    skew: float = 0.0,
    kurtosis: float = 3.0,
) -> float:
    """Deflated Sharpe ratio: the PSR against the expected maximum of the trials' Sharpes.

    ``sr`` is the selected strategy's per-period Sharpe ratio, ``var_trials_sharpe`` the
    variance of the per-period Sharpe ratios of all ``n_trials`` trials. ``n_trials == 1``
    reduces to ``probabilistic_sharpe_ratio(sr, 0.0, ...)``.
    """
    sr_star = expected_max_sharpe(n_trials, var_trials_sharpe)
    return probabilistic_sharpe_ratio(sr, sr_star, n_obs, skew, kurtosis)


def sharpe_moments(returns: npt.NDArray[np.float64]) -> tuple[float, float, float]:
    """Per-period Sharpe ratio, skewness and non-excess kurtosis of ``returns`` (population
    moments, as skfolio); all nan for a flat series."""
    from scipy import stats  # when used: `evofolio data` starts without scipy.stats

    sr = sharpe_ratio(returns, periods_per_year=1)
    if math.isnan(sr):
        return sr, float("nan"), float("nan")
    skew = float(stats.skew(returns, bias=True))
    return sr, skew, float(stats.kurtosis(returns, fisher=False, bias=True))


def deflated_sharpe_from_returns(
    selected: npt.ArrayLike, trial_sharpes: npt.ArrayLike, n_trials: int | None = None
) -> DSRResult:
    """Deflated Sharpe ratio of the ``selected`` return series, shape ``(T,)``.

    ``trial_sharpes`` holds the per-period Sharpe ratios of the trials of the search whose
    returns are known, the selected one included; non-finite entries (failed trials, flat
    series) are dropped. Their sample variance (``ddof=1``) is ``V``. ``N`` is
    ``n_trials`` when given (every configuration tried, e.g. pruned trials whose full
    returns were never computed), else the number of finite trial Sharpes. ``ValueError``
    if ``selected`` has fewer than 2 returns, no trial Sharpe is finite, or ``n_trials`` is
    smaller than the number of finite trial Sharpes.
    """
    returns = as_returns(selected, name="selected")
    if returns.size < 2:
        raise ValueError(f"selected needs at least 2 returns, got {returns.size}")
    trials = as_returns(trial_sharpes, name="trial_sharpes")
    trials = trials[np.isfinite(trials)]
    if trials.size == 0:
        raise ValueError("trial_sharpes holds no finite Sharpe ratio")
    if n_trials is None:
        n_trials = int(trials.size)
    elif n_trials < trials.size:
        raise ValueError(f"n_trials ({n_trials}) is below the {trials.size} finite trial Sharpes")
    var_trials = float(np.var(trials, ddof=1)) if trials.size > 1 else 0.0
    sr, skew, kurt = sharpe_moments(returns)
    sr_star = expected_max_sharpe(n_trials, var_trials)
    n_obs = int(returns.size)
    psr = probabilistic_sharpe_ratio(sr, 0.0, n_obs, skew, kurt)
    dsr = probabilistic_sharpe_ratio(sr, sr_star, n_obs, skew, kurt)
    return DSRResult(
        dsr=dsr,
        psr=psr,
        sr=sr,
        sr_star=sr_star,
        n_trials=n_trials,
        n_obs=n_obs,
        skew=skew,
        kurtosis=kurt,
    )
