"""Differentiable portfolio objectives (torch), the training-side twin of ``metrics``.

Every loss here is the NEGATIVE of a metric from :mod:`evofolio.metrics.performance`
computed on the same daily returns, so minimising the loss maximises what the report
measures. Conventions (shared with the numpy metrics; ``P = 252`` periods a year):

* Sharpe  = mean(r) / std(r, ddof=1) · sqrt(P)
* Sortino = mean(r) · P / DD, with DD = sqrt(sum(min(r, 0)²) / n) · sqrt(P)
  (Sortino & Price 1994: the shortfalls are averaged over all n returns)
* utility = mean(r) · P - risk_aversion / 2 · var(r, ddof=1) · P

Each loss flattens its input: all returns of a batch of chunks, shape ``(..., time)``,
count as one sample. Denominators get a tiny ``eps`` *inside* the square root, so a
zero-variance batch gives a finite loss and gradient; with ``eps=0`` the losses agree
with the numpy metrics to float64 rounding, and the default ``eps`` moves them by a
relative ``eps / (2 · var)`` at most (about 1e-10 for daily equity returns).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import torch
from torch import Tensor

from evofolio.errors import ConfigError

PERIODS_PER_YEAR = 252
DEFAULT_EPS = 1e-14

ObjectiveFn = Callable[[Tensor], Tensor]


def portfolio_returns(
    weights: Tensor,
    next_returns: Tensor,
    cost_bps: float = 0.0,
    prev_weights: Tensor | None = None,
) -> Tensor:
    """Net portfolio returns of weights held from ``t`` to ``t + 1``.

    Args:
        weights: ``(..., time, assets)``, decided at the close of each row.
        next_returns: ``(..., time, assets)``, the asset return from row ``t`` to ``t + 1``.
        cost_bps: proportional cost per unit of turnover, in basis points.
        prev_weights: ``(..., assets)``, the holdings before the first row. When ``None``
            the first row of each sequence pays no cost: in training it lies in the
            burn-in prefix or the previous weights are unknown, so charging it a full
            entry from cash (turnover 1) would bias short chunks.

    Returns:
        ``(..., time)``: ``sum_i w[t, i] · r[t, i]`` minus
        ``cost_bps · 1e-4 · sum_i |w[t, i] - w[t-1, i]|``.
        Turnover ignores the drift of weights within a day (a training-time approximation;
        the backtest charges the exact drifted turnover).
    """
    if weights.shape != next_returns.shape:
        raise ValueError(
            f"weights {tuple(weights.shape)} and next_returns "
            f"{tuple(next_returns.shape)} must have the same shape"
        )
    gross = (weights * next_returns).sum(dim=-1)
    if cost_bps == 0.0:
        return gross
    turnover = (weights[..., 1:, :] - weights[..., :-1, :]).abs().sum(dim=-1)
    if prev_weights is None:
        first = torch.zeros_like(gross[..., :1])
    else:
        first = (weights[..., :1, :] - prev_weights.unsqueeze(-2)).abs().sum(dim=-1)
    return gross - cost_bps * 1e-4 * torch.cat([first, turnover], dim=-1)


def _flat(returns: Tensor) -> Tensor:
    flat = returns.reshape(-1)
    if flat.numel() < 2:
        raise ValueError("an objective needs at least two returns")
    return flat


def sharpe_loss(returns: Tensor, eps: float = DEFAULT_EPS) -> Tensor:
    """Negative annualised Sharpe ratio of ``returns`` ``(..., time)``; a scalar."""
    r = _flat(returns)
    std = torch.sqrt(r.var(correction=1) + eps)
    return -(r.mean() / std) * math.sqrt(PERIODS_PER_YEAR)


def sortino_loss(returns: Tensor, eps: float = DEFAULT_EPS) -> Tensor:
    """Negative annualised Sortino ratio (target 0) of ``returns`` ``(..., time)``; a scalar."""
    r = _flat(returns)
    downside = torch.clamp(r, max=0.0)
    dd = torch.sqrt((downside * downside).mean() + eps)
    return -(r.mean() * PERIODS_PER_YEAR) / (dd * math.sqrt(PERIODS_PER_YEAR))


def utility_loss(returns: Tensor, risk_aversion: float = 1.0) -> Tensor:
    """Negative annualised mean-variance utility of ``returns`` ``(..., time)``; a scalar."""
    r = _flat(returns)
    mean = r.mean() * PERIODS_PER_YEAR
    var = r.var(correction=1) * PERIODS_PER_YEAR
    return -(mean - 0.5 * risk_aversion * var)


OBJECTIVES: dict[str, Callable[..., Tensor]] = {
    "sharpe": sharpe_loss,
    "sortino": sortino_loss,
    "utility": utility_loss,
}


def get_objective(name: str, risk_aversion: float = 1.0) -> ObjectiveFn:
    """The loss registered as ``name``, with ``risk_aversion`` bound where it applies."""
    try:
        fn = OBJECTIVES[name]
    except KeyError:
        raise ConfigError(
            f"objective: unknown name {name!r}; choose one of {sorted(OBJECTIVES)}"
        ) from None
    if fn is utility_loss:
        return functools.partial(utility_loss, risk_aversion=risk_aversion)
    return fn
