"""Counting a study's trials and turning the counts into events for a live display.

Only finished work counts towards the search's budget: a trial is *evaluated* when it is
complete, pruned, or failed because its evaluation raised (``failure == "error"``). A trial
failed because its worker died (no heartbeat) or was interrupted is not: its genome is
re-queued and evaluated again as a new trial.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from optuna.trial import FrozenTrial, TrialState

from evofolio.search.engine.optuna_private import GENERATION_KEY

__all__ = [
    "DUPLICATE_ATTR",
    "ERROR_ATTR",
    "FAILURE_ATTR",
    "GENERATION_KEY",
    "WORKER_ATTR",
    "ProgressTracker",
    "SearchEvent",
    "TrialCounts",
    "count_trials",
    "generation_of",
]

FAILURE_ATTR = "failure"  # user attr: "error" | "interrupted" | "released"
ERROR_ATTR = "error"  # user attr: the message of the exception that failed the trial
WORKER_ATTR = "worker"  # user attr: host:pid of the process that ran the trial
DUPLICATE_ATTR = "duplicate_of"  # user attr: the completed trial whose outcome was reused


def generation_of(trial: FrozenTrial) -> int | None:
    """The NSGA-II generation a trial belongs to (``None`` before sampling)."""
    value = trial.system_attrs.get(GENERATION_KEY)
    return None if value is None else int(value)


@dataclass(frozen=True)
class TrialCounts:
    """How many trials of a study are in each state."""

    complete: int = 0
    pruned: int = 0
    failed: int = 0  # evaluation raised: counts as evaluated
    lost: int = 0  # worker died, interrupted or released: not evaluated, genome re-queued
    running: int = 0
    waiting: int = 0

    @property
    def evaluated(self) -> int:
        return self.complete + self.pruned + self.failed


def count_trials(trials: Sequence[FrozenTrial]) -> TrialCounts:
    """Count ``trials`` by state (see the module docstring for what *failed* means)."""
    counts = dict.fromkeys(("complete", "pruned", "failed", "lost", "running", "waiting"), 0)
    for trial in trials:
        if trial.state == TrialState.FAIL:
            kind = "failed" if trial.user_attrs.get(FAILURE_ATTR) == "error" else "lost"
        else:
            kind = {
                TrialState.COMPLETE: "complete",
                TrialState.PRUNED: "pruned",
                TrialState.RUNNING: "running",
                TrialState.WAITING: "waiting",
            }[trial.state]
        counts[kind] += 1
    return TrialCounts(**counts)


@dataclass(frozen=True)
class SearchEvent:
    """A snapshot of the search for a live display (emitted through ``on_event``).

    ``best`` and ``median`` are over completed trials' first objective (fitness, or Sharpe
    in multi-objective mode); ``eta_s`` extrapolates this session's completion rate.
    ``waiting_for``: with synchronised generations, the generation (0-based) that processes
    wait to see complete before asking more trials (None: nobody needs to wait).
    """

    generation: int
    generations: int
    target: int
    counts: TrialCounts
    best: float | None
    median: float | None
    elapsed_s: float
    eta_s: float | None
    finished: bool = False
    waiting_for: int | None = None


@dataclass
class ProgressTracker:
    """Turns the study's trials into :class:`SearchEvent` s; remembers the session's start."""

    target: int
    generations: int
    started: float = field(default_factory=time.monotonic)
    complete_at_start: int | None = None
    population: int = 0
    sync: bool = False

    def event(self, trials: Sequence[FrozenTrial], *, finished: bool = False) -> SearchEvent:
        counts = count_trials(trials)
        if self.complete_at_start is None:
            self.complete_at_start = counts.complete
        values = [t.values[0] for t in trials if t.state == TrialState.COMPLETE and t.values]
        generations = [g for g in map(generation_of, trials) if g is not None]
        elapsed = time.monotonic() - self.started
        done_here = counts.complete - self.complete_at_start
        remaining = max(self.target - counts.complete, 0)
        eta = elapsed / done_here * remaining if done_here > 0 else None
        return SearchEvent(
            generation=max(generations, default=0),
            generations=self.generations,
            target=self.target,
            counts=counts,
            best=max(values) if values else None,
            median=statistics.median(values) if values else None,
            elapsed_s=elapsed,
            eta_s=0.0 if remaining == 0 else eta,
            finished=finished,
            waiting_for=self._waiting(trials, counts, finished),
        )

    def _waiting(
        self, trials: Sequence[FrozenTrial], counts: TrialCounts, finished: bool
    ) -> int | None:
        if not self.sync or finished or counts.complete >= self.target or self.population < 1:
            return None
        from evofolio.search.engine.generations import generation_barrier

        return generation_barrier(trials, self.population)
