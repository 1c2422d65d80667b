"""The classic allocation rules: thin wrappers over skfolio estimators, in one registry.

Each rule maps a trailing window of daily returns (rows × assets) to long-only weights that
sum to 1. Adding a rule is one entry in :data:`STRATEGIES`; the contract tests pick it up.

A rule that ``uses_risk`` (needs each asset's volatility or the covariance matrix) is fitted on
the assets that have variance in its window only: see
:func:`evofolio.strategies.weights.strategy_weights`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # skfolio is imported when a rule is built: see _optimization
    from skfolio.optimization import (
        EqualWeighted,
        HierarchicalRiskParity,
        InverseVolatility,
        MaximumDiversification,
        MeanRisk,
        RiskBudgeting,
    )


@dataclass(frozen=True)
class Strategy:
    """A named classic rule; ``make`` builds a fresh, unfitted skfolio estimator.

    ``uses_risk``: the rule needs every asset's variance (inverse volatility, the covariance
    matrix), so an asset with zero variance in the window cannot enter it.
    """

    name: str
    description: str
    make: Callable[[], Any]
    uses_risk: bool = True


def _optimization() -> Any:
    """skfolio's optimisation module, imported at the first rule built: the search's worker
    processes, which train networks on a panel computed before, never load skfolio (nor
    cvxpy, scikit-learn and plotly with it: about 0.1 GB a process)."""
    import skfolio.optimization

    return skfolio.optimization


def _variance() -> Any:
    from skfolio import RiskMeasure

    return RiskMeasure.VARIANCE


def _equal_weight() -> EqualWeighted:
    return _optimization().EqualWeighted()


def _inverse_vol() -> InverseVolatility:
    return _optimization().InverseVolatility()


def _min_variance() -> MeanRisk:
    skf = _optimization()
    return skf.MeanRisk(
        objective_function=skf.ObjectiveFunction.MINIMIZE_RISK, risk_measure=_variance()
    )


def _max_sharpe() -> MeanRisk:
    skf = _optimization()
    return skf.MeanRisk(
        objective_function=skf.ObjectiveFunction.MAXIMIZE_RATIO, risk_measure=_variance()
    )


def _risk_parity() -> RiskBudgeting:
    return _optimization().RiskBudgeting(risk_measure=_variance())


def _hrp() -> HierarchicalRiskParity:
    return _optimization().HierarchicalRiskParity(risk_measure=_variance())


def _max_diversification() -> MaximumDiversification:
    return _optimization().MaximumDiversification()


STRATEGIES: dict[str, Strategy] = {
    s.name: s
    for s in (
        Strategy("equal_weight", "1/N in every asset", _equal_weight, uses_risk=False),
        Strategy("inverse_vol", "weights proportional to 1 / volatility", _inverse_vol),
        Strategy("min_variance", "minimum variance (mean-variance, long-only)", _min_variance),
        Strategy("max_sharpe", "maximum Sharpe ratio (mean-variance, long-only)", _max_sharpe),
        Strategy(
            "risk_parity", "equal risk contributions (risk budgeting on variance)", _risk_parity
        ),
        Strategy("hrp", "hierarchical risk parity (variance)", _hrp),
        Strategy("max_diversification", "maximum diversification ratio", _max_diversification),
    )
}
