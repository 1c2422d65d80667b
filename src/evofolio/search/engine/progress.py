"""A study's trial counts turned into events for a live display (the counts and the trial
record: :mod:`evofolio.search.engine.trial_record`)."""

from __future__ import annotations

import datetime
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from optuna.trial import FrozenTrial, TrialState

from evofolio.search.engine.islands import Island, island_trials, open_island
from evofolio.search.engine.trial_record import (
    FAILURE_ATTR,
    RunningTrial,
    TrialCounts,
    count_trials,
    generation_barrier,
    generation_of,
    running_trials,
)

__all__ = ["ProgressTracker", "SearchEvent", "time_left", "trial_seconds"]


@dataclass(frozen=True)
class SearchEvent:
    """A snapshot of the search for a live display (emitted through ``on_event``).

    ``best`` and ``median`` are over completed trials' first objective (fitness, or Sharpe
    in multi-objective mode); ``eta_s`` is :func:`time_left`'s estimate (None before any
    trial of the study has ended), 0 once the target is spent.
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
    islands: tuple[tuple[str, int, int], ...] = ()
    """With islands: (island, spent trials (complete or pruned), target) for each."""


@dataclass
class ProgressTracker:
    """Turns the study's trials into :class:`SearchEvent` s; remembers the session's start."""

    target: int
    generations: int
    started: float = field(default_factory=time.monotonic)
    population: int = 0
    jobs: int = 1
    sync: bool = False
    islands: tuple[Island, ...] = ()
    island_param: str = ""

    def event(self, trials: Sequence[FrozenTrial], *, finished: bool = False) -> SearchEvent:
        counts = count_trials(trials)
        values = [t.values[0] for t in trials if t.state == TrialState.COMPLETE and t.values]
        generations = [g for g in map(generation_of, trials) if g is not None]
        elapsed = time.monotonic() - self.started
        remaining = max(self.target - counts.spent, 0)
        eta = time_left(
            trials,
            self.islands or (Island("", self.target),),
            self.island_param if self.islands else None,
            jobs=self.jobs,
        )
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
            islands=tuple(
                (
                    island.name,
                    count_trials(island_trials(trials, island.name, self.island_param)).spent,
                    island.target,
                )
                for island in self.islands
            ),
        )

    def _waiting(
        self, trials: Sequence[FrozenTrial], counts: TrialCounts, finished: bool
    ) -> int | None:
        if not self.sync or finished or counts.spent >= self.target or self.population < 1:
            return None
        if not self.islands:
            return generation_barrier(trials, self.population)
        if open_island(
            trials, self.islands, self.island_param, population=self.population, sync=True
        ):
            return None  # some island can take a trial
        blocked = [
            generation_barrier(island_trials(trials, i.name, self.island_param), self.population)
            for i in self.islands
        ]
        return min((g for g in blocked if g is not None), default=None)


def trial_seconds(trial: FrozenTrial) -> float | None:
    """How long an ended trial ran (Optuna's start and completion times), in seconds."""
    start, end = trial.datetime_start, trial.datetime_complete
    if start is None or end is None:
        return None
    return max((end - start).total_seconds(), 0.0)


def time_left(
    trials: Sequence[FrozenTrial],
    islands: Sequence[Island],
    island_param: str | None,
    *,
    jobs: int,
    now: datetime.datetime | None = None,
) -> float | None:
    """Seconds until the budget is spent, from the trials' measured durations, per island.

    Each island (model family; one island of the whole target without islands, when
    ``island_param`` is None) has a median duration: that of its trials that ended (complete,
    pruned or failed with an error), else the median over every island's. Its work left is
    that median times the trials it still needs (target less spent and running ones), plus,
    for each running trial, the median less the time it has run (at least 0). The islands'
    work is summed and shared by the ``jobs`` processes of this search (another machine
    working on the same study makes the true time shorter). Trials run at different speeds
    per family (an LSTM of Model 1 and a Model 2 blend differ by an order of magnitude), so a
    search-wide rate misleads while the families' shares of the trials done change.

    Returns None before any trial has ended (nothing measured yet), 0.0 once every island's
    target is spent. ``now``: the current time (Optuna's clock, local naive), for tests.
    """
    now = now or datetime.datetime.now()
    ended_states = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)

    def durations(group: Sequence[FrozenTrial]) -> list[float]:
        out = []
        for trial in group:
            if trial.state in ended_states and (
                trial.state != TrialState.FAIL or trial.user_attrs.get(FAILURE_ATTR) == "error"
            ):
                seconds = trial_seconds(trial)
                if seconds is not None:
                    out.append(seconds)
        return out

    groups = {
        island.name: (
            list(trials)
            if island_param is None
            else island_trials(trials, island.name, island_param)
        )
        for island in islands
    }
    everyone = durations(trials)
    work = 0.0
    for island in islands:
        group = groups[island.name]
        counts = count_trials(group)
        needed = max(island.target - counts.spent - counts.running, 0)
        if island.target - counts.spent <= 0:
            continue
        own = durations(group)
        if not own and not everyone:
            return None
        typical = statistics.median(own or everyone)
        work += needed * typical
        for trial in group:
            if trial.state == TrialState.RUNNING and trial.datetime_start is not None:
                ran = (now - trial.datetime_start).total_seconds()
                work += max(typical - ran, 0.0)
    return work / max(jobs, 1)
