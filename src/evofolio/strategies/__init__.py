"""Classic allocation rules (baselines and Model 2's inputs), thin wrappers over skfolio."""

from evofolio.strategies.registry import STRATEGIES, Strategy
from evofolio.strategies.weights import resolve_strategies, strategy_weights

__all__ = ["STRATEGIES", "Strategy", "resolve_strategies", "strategy_weights"]
