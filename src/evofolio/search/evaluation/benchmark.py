"""The verdict's benchmark: a classic rule traded over the search's own validation dates.

The question evofolio answers is *better than the classic rules?*, so every trial is also
judged by its **active returns**, its validation net returns minus the benchmark's on the
same dates, traded with the same rules and costs. The benchmark is a registered classic
strategy (``evaluation.benchmark``, default ``equal_weight``) or ``best_classic``: the
classic rule with the highest Sharpe ratio over the validation dates of the development
period, chosen there and never on the holdout.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evofolio.allocators.classic import ClassicAllocator
from evofolio.backtesting import run_folds
from evofolio.config import RunConfig
from evofolio.errors import ConfigError
from evofolio.metrics import sharpe_ratio
from evofolio.search.fitness import SearchContext
from evofolio.strategies import STRATEGIES

__all__ = [
    "BEST_CLASSIC",
    "Benchmark",
    "active_matrix",
    "check_benchmark",
    "classic_validation_returns",
    "resolve_benchmark",
]

logger = logging.getLogger(__name__)

BEST_CLASSIC = "best_classic"


def check_benchmark(config: RunConfig) -> str:
    """The configured benchmark name, or a :class:`ConfigError` naming the key."""
    name = config.evaluation.benchmark
    if name != BEST_CLASSIC and name not in STRATEGIES:
        choices = ", ".join([BEST_CLASSIC, *STRATEGIES])
        raise ConfigError(f"evaluation.benchmark: unknown strategy '{name}'; choose from {choices}")
    return name


@dataclass(frozen=True)
class Benchmark:
    """The resolved benchmark and its net returns over the validation dates.

    ``name`` is a registered strategy; ``requested`` the configured value (``best_classic``
    or the same name); ``validation_sharpes`` the annualised validation Sharpe ratio of every
    rule that was traded to choose it (only the benchmark itself for a fixed name).
    """

    name: str
    requested: str
    validation: pd.Series = field(repr=False)
    validation_sharpes: Mapping[str, float]


def classic_validation_returns(
    context: SearchContext, names: list[str], window: int, covariance: str = "auto"
) -> dict[str, pd.Series]:
    """Net daily returns of each classic rule over the search's validation folds.

    The same folds, rebalance dates, costs and volatility targeting as every trial
    (:func:`evofolio.backtesting.run_folds` with ``context.rules``), indexed like a trial's
    validation returns (the realisation dates of the concatenated test folds). Decisions
    already computed for the strategy panel are reused, not refitted.
    """
    out = {}
    for name in names:
        rule = functools.partial(ClassicAllocator, name, window, covariance=covariance)
        out[name] = run_folds(rule, context.data, context.folds, context.rules).net
    return out


def resolve_benchmark(config: RunConfig, context: SearchContext) -> Benchmark:
    """The benchmark of ``config.evaluation.benchmark`` over ``context``'s validation dates."""
    requested = check_benchmark(config)
    names = list(STRATEGIES) if requested == BEST_CLASSIC else [requested]
    strategies = config.strategies
    returns = classic_validation_returns(context, names, strategies.window, strategies.covariance)
    sharpes = {n: sharpe_ratio(r.to_numpy(dtype=np.float64)) for n, r in returns.items()}
    finite = {n: s for n, s in sharpes.items() if np.isfinite(s)}
    name = max(finite, key=finite.__getitem__) if finite else names[0]
    if requested == BEST_CLASSIC:
        logger.info(
            "benchmark: %s, the best classic rule on the validation dates (Sharpe %.2f)",
            name,
            sharpes[name],
        )
    return Benchmark(name, requested, returns[name].rename(name), sharpes)


def active_matrix(trial_returns: Mapping[int, pd.Series], benchmark: pd.Series) -> pd.DataFrame:
    """Active validation returns, trial minus benchmark: dates × trial numbers.

    Only the dates every trial and the benchmark share are kept (a trial's validation dates
    are the search's, so normally all of them). ``ValueError`` if none are shared.
    """
    matrix = pd.DataFrame(dict(trial_returns)).dropna()
    common = matrix.index.intersection(benchmark.dropna().index)
    if len(common) == 0 and len(matrix.columns):
        raise ValueError("the trials' validation returns share no date with the benchmark's")
    return matrix.loc[common].sub(benchmark.loc[common], axis=0)
