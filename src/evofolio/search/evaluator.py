"""What the search engine asks of a trial: the evaluator contract.

The engine (:mod:`evofolio.search.study`) knows nothing about models or backtests. For every
trial it suggests a :class:`~evofolio.search.space.Genome`, builds a :class:`TrialContext`
and calls an :class:`Evaluator`, which returns a :class:`TrialOutcome`. Any exception the
evaluator raises makes the trial a failed trial with the message kept (``optuna.TrialPruned``
makes it pruned); the search goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import optuna

from evofolio.config import RunConfig
from evofolio.search.space import Genome

__all__ = [
    "MULTI_DIRECTIONS",
    "MULTI_OBJECTIVES",
    "SINGLE_OBJECTIVE",
    "Evaluator",
    "EvaluatorFactory",
    "TrialContext",
    "TrialOutcome",
    "objective_names",
]

Direction = Literal["maximize", "minimize"]

SINGLE_OBJECTIVE = "fitness"
MULTI_OBJECTIVES = ("sharpe", "max_drawdown", "turnover")
MULTI_DIRECTIONS: tuple[Direction, ...] = ("maximize", "minimize", "minimize")


def objective_names(multi_objective: bool) -> tuple[str, ...]:
    """The names of a trial's values, in order."""
    return MULTI_OBJECTIVES if multi_objective else (SINGLE_OBJECTIVE,)


@dataclass(frozen=True)
class TrialContext:
    """Everything an evaluator needs besides the genome.

    Attributes:
        number: the trial's number in the study (unique, also across machines).
        generation: the NSGA-II generation the trial belongs to (0-based).
        trial_dir: ``run_dir/trials/{number:05d}/`` (created), for model files and returns.
        config: the run config with ``model`` and ``training`` decoded from the genome.
        multi_objective: return ``(sharpe, max_drawdown, turnover)`` instead of
            ``(fitness,)``; max drawdown as a positive fraction (0.25: a 25 % fall).
        can_prune: whether ``trial.report`` / ``trial.should_prune`` may be used.
        worker: ``host:pid`` of the process evaluating the trial.
        retry_of: the number of the trial whose genome this one re-runs (its worker died).
    """

    number: int
    generation: int
    trial_dir: Path
    config: RunConfig
    multi_objective: bool
    can_prune: bool
    worker: str
    retry_of: int | None = None

    @property
    def objectives(self) -> tuple[str, ...]:
        return objective_names(self.multi_objective)


@dataclass(frozen=True)
class TrialOutcome:
    """An evaluated genome: its objective values and the attributes to store with it.

    ``attrs`` must be JSON-serialisable once numpy scalars and arrays are turned into
    Python numbers and lists (the engine does that), e.g. ``{"fold_sharpe": [0.4, 0.7]}``.
    """

    values: tuple[float, ...]
    attrs: Mapping[str, Any] = field(default_factory=dict)


class Evaluator(Protocol):
    """Train and judge one genome; may call ``trial.report`` when ``context.can_prune``."""

    def __call__(
        self, trial: optuna.Trial, genome: Genome, context: TrialContext
    ) -> TrialOutcome: ...


EvaluatorFactory = Callable[[], Evaluator]
"""Builds an evaluator once per worker process; must be picklable for ``jobs > 1``
(a module-level function or a ``functools.partial`` of one)."""
