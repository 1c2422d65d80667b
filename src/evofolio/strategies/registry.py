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
from typing import Any

from skfolio import RiskMeasure
from skfolio.optimization import (
    EqualWeighted,
    HierarchicalRiskParity,
    InverseVolatility,
    MaximumDiversification,
    MeanRisk,
    ObjectiveFunction,
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


def _min_variance() -> MeanRisk:
    return MeanRisk(
        objective_function=ObjectiveFunction.MINIMIZE_RISK, risk_measure=RiskMeasure.VARIANCE
    )


def _max_sharpe() -> MeanRisk:
    return MeanRisk(
        objective_function=ObjectiveFunction.MAXIMIZE_RATIO, risk_measure=RiskMeasure.VARIANCE
    )


def _risk_parity() -> RiskBudgeting:
    return RiskBudgeting(risk_measure=RiskMeasure.VARIANCE)


def _hrp() -> HierarchicalRiskParity:
    return HierarchicalRiskParity(risk_measure=RiskMeasure.VARIANCE)


STRATEGIES: dict[str, Strategy] = {
    s.name: s
    for s in (
        Strategy("equal_weight", "1/N in every asset", EqualWeighted, uses_risk=False),
        Strategy("inverse_vol", "weights proportional to 1 / volatility", InverseVolatility),
        Strategy("min_variance", "minimum variance (mean-variance, long-only)", _min_variance),
        Strategy("max_sharpe", "maximum Sharpe ratio (mean-variance, long-only)", _max_sharpe),
        Strategy(
            "risk_parity", "equal risk contributions (risk budgeting on variance)", _risk_parity
        ),
        Strategy("hrp", "hierarchical risk parity (variance)", _hrp),
        Strategy("max_diversification", "maximum diversification ratio", MaximumDiversification),
    )
}
