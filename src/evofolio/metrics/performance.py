"""Performance metrics of a series of simple periodic returns: array in, float out.

Every function takes a 1-D array ``r`` of *simple* (not log) periodic returns, daily by
default, and ``periods_per_year`` (``P``, 252 by default) where a figure is annualised.
These conventions are fixed: the torch objectives in :mod:`evofolio.objectives` must
compute exactly the same numbers (a parity test holds them together).

==========================  =================================================================
``mean_return``             ``mean(r) * P``: the annualised arithmetic mean, the paper's E(R)
``volatility``              ``std(r, ddof=1) * sqrt(P)``
``sharpe_ratio``            ``mean(r) / std(r, ddof=1) * sqrt(P)``, risk-free rate 0; with
                            ``P = 1`` it is the per-period Sharpe ratio
``downside_deviation``      ``sqrt(sum(min(r, 0)**2) / n) * sqrt(P)``: target 0, divided by
                            ``n`` (Sortino & Price 1994; as empyrical, quantstats and ffn)
``sortino_ratio``           ``mean(r) * P / downside_deviation(r)``
``mean_variance_utility``   ``mean(r) * P - risk_aversion / 2 * var(r, ddof=1) * P``
``max_drawdown``            largest fall of the wealth curve ``cumprod(1 + r)`` from a running
                            peak, the initial wealth 1.0 included; a positive fraction
                            (0.35 means -35 %)
``cagr``                    ``prod(1 + r) ** (P / n) - 1``; -1.0 once wealth reaches zero
``calmar_ratio``            ``cagr(r) / max_drawdown(r)``
``cvar``                    mean loss over the worst ``1 - beta`` probability mass of the
                            empirical distribution (the boundary return counted fractionally),
                            positive; identical to :func:`skfolio.measures.cvar`
``positive_share``          fraction of periods with ``r > 0``
``profit_loss_ratio``       ``mean(r[r > 0]) / |mean(r[r < 0])|`` (the paper's Ave. P / Ave. L)
``annual_turnover``         ``mean(turnover) * P`` for per-period turnover ``sum |dw|``
==========================  =================================================================

Undefined values are ``nan``, never an exception: an empty series; fewer than two returns
for anything built on a sample variance; a zero denominator (all returns equal for the
Sharpe ratio; no negative return for the Sortino ratio; no drawdown for the Calmar ratio;
no gain or no loss for the profit/loss ratio). NaNs in the input propagate. Input that is
not one-dimensional raises ``ValueError`` (a programming error, not a user error).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from evofolio.typing import FloatArray

__all__ = [
    "annual_turnover",
    "cagr",
    "calmar_ratio",
    "cvar",
    "downside_deviation",
    "max_drawdown",
    "mean_return",
    "mean_variance_utility",
    "positive_share",
    "profit_loss_ratio",
    "sharpe_ratio",
    "sortino_ratio",
    "volatility",
]

NAN = float("nan")


def as_returns(r: npt.ArrayLike, name: str = "returns") -> FloatArray:
    """``r`` as a 1-D float64 array; ``ValueError`` if it has another number of dimensions."""
    arr = np.asarray(r, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {arr.shape}")
    return arr


def mean_return(r: npt.ArrayLike, periods_per_year: int = 252) -> float:
    """Annualised arithmetic mean return ``mean(r) * P``; nan if ``r`` is empty."""
    x = as_returns(r)
    return float(np.mean(x)) * periods_per_year if x.size else NAN


def volatility(r: npt.ArrayLike, periods_per_year: int = 252) -> float:
    """Annualised sample standard deviation ``std(r, ddof=1) * sqrt(P)``; nan if n < 2."""
    x = as_returns(r)
    if x.size < 2:
        return NAN
    return float(np.std(x, ddof=1)) * math.sqrt(periods_per_year)


def sharpe_ratio(r: npt.ArrayLike, periods_per_year: int = 252) -> float:
    """Annualised Sharpe ratio ``mean(r) / std(r, ddof=1) * sqrt(P)`` (risk-free rate 0).

    ``periods_per_year=1`` gives the per-period Sharpe ratio used by the deflated Sharpe
    ratio. nan if n < 2 or every return is equal (zero dispersion).
    """
    x = as_returns(r)
    # Equal returns can leave a rounding-error std; test for them directly.
    if x.size < 2 or x.max() == x.min():
        return NAN
    std = float(np.std(x, ddof=1))
    if not std > 0.0:  # underflow
        return NAN
    return float(np.mean(x)) / std * math.sqrt(periods_per_year)


def downside_deviation(r: npt.ArrayLike, periods_per_year: int = 252) -> float:
    """Annualised downside deviation below 0: ``sqrt(sum(min(r, 0)**2) / n) * sqrt(P)``.

    The mean of the squared shortfalls is taken over *all* ``n`` returns, gains counting as
    zero, and divided by ``n``, not ``n - 1`` (Sortino & Price 1994, "Performance
    measurement in a downside risk framework"; empyrical, quantstats and ffn do the same).
    It equals ``skfolio.measures.semi_deviation(r, min_acceptable_return=0, biased=True)
    * sqrt(P)``; skfolio's default (``biased=False``) multiplies the semi-variance by
    ``n / (n - 1)`` and is larger by ``sqrt(n / (n - 1))``. nan if n < 2 (kept for parity
    with the torch Sortino objective, which needs two returns).
    """
    x = as_returns(r)
    if x.size < 2:
        return NAN
    downside = np.minimum(x, 0.0)
    return math.sqrt(float(downside @ downside) / x.size * periods_per_year)


def sortino_ratio(r: npt.ArrayLike, periods_per_year: int = 252) -> float:
    """Annualised Sortino ratio ``mean(r) * P / downside_deviation(r)``.

    nan if n < 2 or no return is negative (zero downside deviation).
    """
    dd = downside_deviation(r, periods_per_year)
    if not dd > 0.0:
        return NAN
    return mean_return(r, periods_per_year) / dd


def mean_variance_utility(
    r: npt.ArrayLike, risk_aversion: float = 1.0, periods_per_year: int = 252
) -> float:
    """Annualised mean-variance utility ``mean(r) * P - risk_aversion / 2 * var(r) * P``.

    The variance is the sample variance (``ddof=1``). nan if n < 2.
    """
    x = as_returns(r)
    if x.size < 2:
        return NAN
    mean = float(np.mean(x))
    var = float(np.var(x, ddof=1))
    return (mean - 0.5 * risk_aversion * var) * periods_per_year


def max_drawdown(r: npt.ArrayLike) -> float:
    """Maximum drawdown of the compounded wealth curve, as a positive fraction.

    Wealth starts at 1.0 and is ``cumprod(1 + r)``; the starting wealth counts as a peak,
    so a loss on the first day is a drawdown. Equals
    ``skfolio.measures.max_drawdown(get_drawdowns(r, compounded=True))``. nan if empty.
    """
    x = as_returns(r)
    if x.size == 0:
        return NAN
    wealth = np.cumprod(1.0 + x)
    peak = np.maximum(np.maximum.accumulate(wealth), 1.0)
    return float(np.max(1.0 - wealth / peak))


def cagr(r: npt.ArrayLike, periods_per_year: int = 252) -> float:
    """Compound annual growth rate ``prod(1 + r) ** (P / n) - 1``.

    -1.0 when the wealth curve reaches zero or below (total loss); nan if empty.
    """
    x = as_returns(r)
    if x.size == 0:
        return NAN
    final = float(np.prod(1.0 + x))
    if final <= 0.0:
        return -1.0
    return final ** (periods_per_year / x.size) - 1.0


def calmar_ratio(r: npt.ArrayLike, periods_per_year: int = 252) -> float:
    """Calmar ratio ``cagr(r) / max_drawdown(r)``, over the whole series given.

    The numerator is the compound (not arithmetic) annual growth, as in the usual
    definition. nan if empty or if there is no drawdown.
    """
    mdd = max_drawdown(r)
    if not mdd > 0.0:
        return NAN
    return cagr(r, periods_per_year) / mdd


def cvar(r: npt.ArrayLike, beta: float = 0.95) -> float:
    """Conditional value at risk: mean loss in the worst ``1 - beta`` tail, positive.

    With ``n`` returns sorted ascending and ``k = (1 - beta) * n`` the tail size, the
    ``ceil(k) - 1`` worst returns count in full and the next one with the remaining weight
    ``k - (ceil(k) - 1)``; the weighted sum is divided by ``k`` and negated. This is
    exactly :func:`skfolio.measures.cvar` (``beta = 1`` gives the largest loss, ``beta = 0``
    minus the mean). nan if empty; ``ValueError`` if ``beta`` is outside [0, 1].
    """
    if not 0.0 <= beta <= 1.0:
        raise ValueError(f"beta must be in [0, 1], got {beta}")
    x = as_returns(r)
    if x.size == 0:
        return NAN
    if beta == 1.0:
        return float(-np.min(x))
    k = (1.0 - beta) * x.size
    i = max(0, math.ceil(k) - 1)
    part = np.partition(x, i)
    return float(-(np.sum(part[:i]) + part[i] * (k - i)) / k)


def positive_share(r: npt.ArrayLike) -> float:
    """Fraction of periods with a strictly positive return; nan if empty."""
    x = as_returns(r)
    return float(np.mean(x > 0.0)) if x.size else NAN


def profit_loss_ratio(r: npt.ArrayLike) -> float:
    """Average gain over average loss, ``mean(r[r > 0]) / |mean(r[r < 0])|``.

    Zero returns count as neither. nan if there is no gain or no loss.
    """
    x = as_returns(r)
    gains = x[x > 0.0]
    losses = x[x < 0.0]
    if gains.size == 0 or losses.size == 0:
        return NAN
    return float(np.mean(gains) / abs(np.mean(losses)))


def annual_turnover(turnover: npt.ArrayLike, periods_per_year: int = 252) -> float:
    """Annualised turnover ``mean(turnover) * P``.

    ``turnover`` holds one value per period: the amount traded, ``sum_i |w_i,t - w_i,t-|``
    as a fraction of the portfolio (weights just after minus just before rebalancing).
    nan if empty.
    """
    x = as_returns(turnover, name="turnover")
    return float(np.mean(x)) * periods_per_year if x.size else NAN
