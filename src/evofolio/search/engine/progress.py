"""A study's trial counts turned into events for a live display (the counts and the trial
record: :mod:`evofolio.search.engine.trial_record`)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from optuna.trial import FrozenTrial, TrialState

from evofolio.search.engine.islands import Island, island_trials, open_island
from evofolio.search.engine.trial_record import (
    RunningTrial,
    TrialCounts,
    count_trials,
    generation_barrier,
    generation_of,
    running_trials,
)

__all__ = ["ProgressTracker", "SearchEvent"]


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
    islands: tuple[tuple[str, int, int], ...] = ()
    """With islands: (island, completed trials, target) for each."""


@dataclass
class ProgressTracker:
    """Turns the study's trials into :class:`SearchEvent` s; remembers the session's start."""

    target: int
    generations: int
    started: float = field(default_factory=time.monotonic)
    complete_at_start: int | None = None
    population: int = 0
    sync: bool = False
    islands: tuple[Island, ...] = ()
    island_param: str = ""

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
            islands=tuple(
                (
                    island.name,
                    count_trials(island_trials(trials, island.name, self.island_param)).complete,
                    island.target,
                )
                for island in self.islands
            ),
        )

    def _waiting(
        self, trials: Sequence[FrozenTrial], counts: TrialCounts, finished: bool
    ) -> int | None:
        if not self.sync or finished or counts.complete >= self.target or self.population < 1:
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
