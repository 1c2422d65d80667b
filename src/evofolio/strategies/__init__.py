"""Classic allocation rules (baselines and Model 2's inputs), thin wrappers over skfolio."""

from evofolio.strategies.registry import STRATEGIES, Strategy
from evofolio.strategies.weights import (
    ZERO_STD,
    name_assets,
    resolve_strategies,
    strategy_weights,
    zero_variance_mask,
)

__all__ = [
    "STRATEGIES",
    "ZERO_STD",
    "Strategy",
    "name_assets",
    "resolve_strategies",
    "strategy_weights",
    "zero_variance_mask",
]
