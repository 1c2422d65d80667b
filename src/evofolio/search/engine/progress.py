"""Counting a study's trials and turning the counts into events for a live display.

Only finished work counts towards the search's budget: a trial is *evaluated* when it is
complete, pruned, or failed because its evaluation raised (``failure == "error"``). A trial
failed because its worker died (no heartbeat) or was interrupted is not: its genome is
re-queued and evaluated again as a new trial.
"""

from __future__ import annotations

import datetime
import logging
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import optuna
from optuna.trial import FrozenTrial, TrialState

from evofolio.search.engine.optuna_private import GENERATION_KEY

__all__ = [
    "DUPLICATE_ATTR",
    "ERROR_ATTR",
    "FAILURE_ATTR",
    "GENERATION_KEY",
    "PROGRESS_ATTR",
    "WORKER_ATTR",
    "ProgressNote",
    "ProgressTracker",
    "RunningTrial",
    "SearchEvent",
    "TrialCounts",
    "count_trials",
    "generation_of",
]

FAILURE_ATTR = "failure"  # user attr: "error" | "interrupted" | "released"
ERROR_ATTR = "error"  # user attr: the message of the exception that failed the trial
WORKER_ATTR = "worker"  # user attr: host:pid of the process that ran the trial
DUPLICATE_ATTR = "duplicate_of"  # user attr: the completed trial whose outcome was reused
PROGRESS_ATTR = "progress"  # user attr: a running trial's own note of where it is
PROGRESS_EVERY_S = 2.0
"""A running trial's note is written to the storage at most this often (see ProgressNote)."""

logger = logging.getLogger(__name__)


class ProgressNote:
    """``note(text)``: publish where a running trial is (e.g. ``"fold 1/2, epoch 7 (max 30)"``) as
    its :data:`PROGRESS_ATTR`, which every process watching the study shows beside the trial.

    Writes at most every :data:`PROGRESS_EVERY_S` seconds (``now=True``: at once, e.g. when
    a fold starts) and never the same text twice; a failed write is logged, not raised (the
    note is for display only).
    """

    def __init__(self, trial: optuna.Trial) -> None:
        self.trial = trial
        self.text: str | None = None
        self.written = -float("inf")

    def __call__(self, text: str, *, now: bool = False) -> None:
        moment = time.monotonic()
        if text == self.text or (not now and moment - self.written < PROGRESS_EVERY_S):
            return
        try:
            self.trial.set_user_attr(PROGRESS_ATTR, text)
        except Exception as error:  # the storage's errors surface where the trial is told
            logger.debug("trial %d: progress note not written: %s", self.trial.number, error)
            return
        self.text, self.written = text, moment


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
class RunningTrial:
    """A trial being evaluated: its number, its own note of where it is (None before the
    first) and the seconds since it started."""

    number: int
    note: str | None
    seconds: float | None


def running_trials(trials: Sequence[FrozenTrial]) -> tuple[RunningTrial, ...]:
    """The running trials among ``trials``, by number."""
    now = datetime.datetime.now()
    out = []
    for trial in trials:
        if trial.state != TrialState.RUNNING:
            continue
        start = trial.datetime_start
        seconds = None if start is None else max((now - start).total_seconds(), 0.0)
        note = trial.user_attrs.get(PROGRESS_ATTR)
        out.append(RunningTrial(trial.number, None if note is None else str(note), seconds))
    return tuple(sorted(out, key=lambda running: running.number))


@dataclass(frozen=True)
class SearchEvent:
    """A snapshot of the search for a live display (emitted through ``on_event``).

    ``best`` and ``median`` are over completed trials' first objective (fitness, or Sharpe
    in multi-objective mode); ``eta_s`` extrapolates this session's completion rate.
    ``waiting_for``: with synchronised generations, the generation (0-based) that processes
    wait to see complete before asking more trials (None: nobody needs to wait).
    ``running``: the trials being evaluated, each with its evaluator's latest note.
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
    running: tuple[RunningTrial, ...] = ()


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
            running=() if finished else running_trials(trials),
        )

    def _waiting(
        self, trials: Sequence[FrozenTrial], counts: TrialCounts, finished: bool
    ) -> int | None:
        if not self.sync or finished or counts.complete >= self.target or self.population < 1:
            return None
        from evofolio.search.engine.generations import generation_barrier

        return generation_barrier(trials, self.population)
