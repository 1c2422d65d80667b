"""The engine's trial record: what a trial of the study says about itself, in one place.

The user attributes the engine writes on a trial (``failure``, ``error``, ``worker``,
``duplicate_of``, ``progress``) and the generation key Optuna's NSGA-II writes, how a
trial's generation and running state are read back, how the study's trials are counted, and
which generation processes wait for when generations are synchronised.

A trial is *evaluated* when it is complete, pruned, or failed because its evaluation raised
(``failure == "error"``). A trial failed because its worker died (no heartbeat) or was
interrupted is not: its genome is re-queued and evaluated again as a new trial.

The budget (``population`` x ``generations``, an island's target) counts the trials that
*spent* it: complete and pruned ones (:data:`SPENT_STATES`). A pruned genome was evaluated
on its first folds, the deflated Sharpe ratio's N counts it, and on small data pruning is
what takes the time; a generation is ``population`` such genomes. A failed one is not: its
genome is broken, not scored, and the search goes on until the budget is spent (up to its
cap of evaluated trials).
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import optuna
from optuna.trial import FrozenTrial, TrialState

from evofolio.search.engine.optuna_private import GENERATION_KEY

__all__ = [
    "DUPLICATE_ATTR",
    "ERROR_ATTR",
    "FAILURE_ATTR",
    "GENERATION_KEY",
    "PROGRESS_ATTR",
    "PROGRESS_EVERY_S",
    "SPENT_STATES",
    "WORKER_ATTR",
    "ProgressNote",
    "RunningTrial",
    "TrialCounts",
    "count_trials",
    "generation_barrier",
    "generation_of",
    "open_generation",
    "running_trials",
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

    @property
    def spent(self) -> int:
        """The trials that count toward the budget: complete and pruned."""
        return self.complete + self.pruned


SPENT_STATES = (TrialState.COMPLETE, TrialState.PRUNED)
"""The states of the trials that count toward the budget and fill a generation."""


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


# Generations that stay generations when many processes share one NSGA-II study.
# Optuna's NSGA-II puts a new trial in generation *g* while *g* has fewer than ``population``
# completed trials, and in *g + 1* once it has them; evofolio tags the generation itself first,
# counting pruned trials too (SPENT_STATES; the samplers in samplers.py). With W processes asking at
# once, *g* collects up to ``population - 1 + W`` trials and the parents of *g + 1* are whichever
# finished first. With ``search.sync_generations`` a process asks for a new trial only while the
# open generation's spent plus running trials stay below the population; otherwise it waits (failing
# the trials of dead workers meanwhile) until the generation is complete, or one of its trials fails
# and leaves room, or a re-queued genome is waiting to be taken.


def open_generation(trials: Sequence[FrozenTrial], population: int) -> int:
    """The generation the next new trial joins (NSGA-II's ``get_trial_generation`` rule, with
    pruned trials counted as :func:`~evofolio.search.engine.optuna_private.tag_generation`
    counts them): the highest generation of a spent (complete or pruned) trial, or the one
    after it once it holds ``population`` spent trials."""
    done = [generation_of(t) for t in trials if t.state in SPENT_STATES]
    numbers = [g for g in done if g is not None]
    if not numbers:
        return 0
    top = max(numbers)
    return top + 1 if numbers.count(top) >= population else top


def generation_barrier(trials: Sequence[FrozenTrial], population: int) -> int | None:
    """The generation a process must wait for before asking a new trial, or None to go on.

    None when a queued genome waits (a re-queued trial keeps its generation) or when the open
    generation's spent (complete or pruned) + running trials are fewer than ``population``.
    Running trials not yet sampled (no generation yet) count towards the open generation.
    """
    if any(t.state == TrialState.WAITING for t in trials):
        return None
    current = open_generation(trials, population)
    taken = sum(
        1
        for t in trials
        if (t.state in SPENT_STATES and generation_of(t) == current)
        or (t.state == TrialState.RUNNING and generation_of(t) in (current, None))
    )
    return current if taken >= population else None
