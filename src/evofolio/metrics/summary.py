"""One row of the performance table: every reported metric of a return series.

:func:`summarize` returns a plain ``dict`` whose key order is the column order of the
report; :data:`METRIC_LABELS` gives each key its column heading. Conventions are those of
:mod:`evofolio.metrics.performance` (annualised with ``periods_per_year``; drawdowns and
CVaR as positive fractions).
"""

from __future__ import annotations

import numpy.typing as npt

from evofolio.metrics.performance import (
    annual_turnover,
    as_returns,
    calmar_ratio,
    cvar,
    downside_deviation,
    max_drawdown,
    mean_return,
    positive_share,
    profit_loss_ratio,
    sharpe_ratio,
    sortino_ratio,
    volatility,
)

__all__ = ["METRIC_LABELS", "summarize"]

METRIC_LABELS: dict[str, str] = {
    "mean_return": "E(R)",
    "volatility": "Std",
    "sharpe": "Sharpe",
    "downside_deviation": "DD",
    "sortino": "Sortino",
    "max_drawdown": "MDD",
    "calmar": "Calmar",
    "cvar_95": "CVaR 95%",
    "positive_share": "% +ve",
    "profit_loss_ratio": "Ave. P / Ave. L",
    "annual_turnover": "Turnover",
    "n_days": "Days",
}
"""Column heading of each :func:`summarize` key, in report order."""


def summarize(
    returns: npt.ArrayLike,
    turnover: npt.ArrayLike | None = None,
    periods_per_year: int = 252,
) -> dict[str, float]:
    """Every reported metric of a series of simple periodic returns.

    ``turnover`` is the per-period traded amount ``sum |dw|`` (see
    :func:`~evofolio.metrics.performance.annual_turnover`); without it ``annual_turnover``
    is nan. Keys, in order: ``mean_return, volatility, sharpe, downside_deviation,
    sortino, max_drawdown, calmar, cvar_95, positive_share, profit_loss_ratio,
    annual_turnover, n_days`` (the number of returns, as a float). Undefined metrics are
    nan, as in the underlying functions.
    """
    r = as_returns(returns)
    p = periods_per_year
    return {
        "mean_return": mean_return(r, p),
        "volatility": volatility(r, p),
        "sharpe": sharpe_ratio(r, p),
        "downside_deviation": downside_deviation(r, p),
        "sortino": sortino_ratio(r, p),
        "max_drawdown": max_drawdown(r),
        "calmar": calmar_ratio(r, p),
        "cvar_95": cvar(r, 0.95),
        "positive_share": positive_share(r),
        "profit_loss_ratio": profit_loss_ratio(r),
        "annual_turnover": float("nan") if turnover is None else annual_turnover(turnover, p),
        "n_days": float(r.size),
    }
