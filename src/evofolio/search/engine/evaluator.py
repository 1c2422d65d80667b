"""What the search engine asks of a domain: a suggest callable and an evaluator.

The engine (:mod:`evofolio.search.engine.study`) knows nothing about models, portfolios or
backtests. For every trial it calls the plan's :data:`Suggest` callable (which asks Optuna for
every gene and returns the domain's genome, of any type), builds a :class:`TrialContext` and
calls an :class:`Evaluator` with both, which returns a :class:`TrialOutcome`. Any exception the
suggest callable or the evaluator raises makes the trial a failed trial with the message kept
(``optuna.TrialPruned`` makes it pruned); the search goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import optuna

__all__ = [
    "Direction",
    "Evaluator",
    "EvaluatorFactory",
    "Suggest",
    "TrialContext",
    "TrialOutcome",
]

Direction = Literal["maximize", "minimize"]

Suggest = Callable[[optuna.Trial], Any]
"""Asks ``trial`` for every gene (a fixed-length genome: NSGA-II evolves only the parameters
present in every trial) and returns the domain's genome; must be picklable for ``jobs > 1``
(a module-level function or a ``functools.partial`` of one)."""


class Note(Protocol):
    """Publishes a running trial's progress text (see :attr:`TrialContext.note`)."""

    def __call__(self, text: str, *, now: bool = False) -> None: ...


def _no_note(text: str, *, now: bool = False) -> None:
    """The note of a trial nobody watches."""


@dataclass(frozen=True)
class TrialContext:
    """Everything an evaluator needs besides the genome.

    Attributes:
        number: the trial's number in the study (unique, also across machines).
        generation: the NSGA-II generation the trial belongs to (0-based).
        trial_dir: ``run_dir/trials/{number:05d}/`` (created), for the trial's files.
        objectives: the names of the values the evaluator returns, in order (the study's
            directions follow them).
        can_prune: whether ``trial.report`` / ``trial.should_prune`` may be used.
        worker: ``host:pid`` of the process evaluating the trial.
        retry_of: the number of the trial whose genome this one re-runs (its worker died).
        note: ``note(text, now=False)`` publishes where the evaluation is (e.g.
            ``"fold 1/2, epoch 7 (max 30)"``) for the search's display, throttled by the engine
            (:class:`~evofolio.search.engine.progress.ProgressNote`); a no-op by default.
    """

    number: int
    generation: int
    trial_dir: Path
    objectives: tuple[str, ...]
    can_prune: bool
    worker: str
    retry_of: int | None = None
    note: Note = field(default=_no_note, compare=False, repr=False)

    @property
    def multi_objective(self) -> bool:
        """Whether the evaluator returns several values (a Pareto search)."""
        return len(self.objectives) > 1


@dataclass(frozen=True)
class TrialOutcome:
    """An evaluated genome: its objective values and the attributes to store with it.

    ``attrs`` must be JSON-serialisable once numpy scalars and arrays are turned into
    Python numbers and lists (the engine does that), e.g. ``{"fold_sharpe": [0.4, 0.7]}``.
    """

    values: tuple[float, ...]
    attrs: Mapping[str, Any] = field(default_factory=dict)


class Evaluator(Protocol):
    """Judge one genome (what :data:`Suggest` returned); may call ``trial.report`` when
    ``context.can_prune``."""

    def __call__(self, trial: optuna.Trial, genome: Any, context: TrialContext) -> TrialOutcome: ...


EvaluatorFactory = Callable[[], Evaluator]
"""Builds an evaluator once per worker process; must be picklable for ``jobs > 1``
(a module-level function or a ``functools.partial`` of one)."""
