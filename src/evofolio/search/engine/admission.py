"""When a worker may run the trial it asked for: the study's (or its island's) target and,
with ``search.sync``, its generation's population, counted from the storage while it waits."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import optuna
from optuna.storages import RDBStorage
from optuna.trial import TrialState

from evofolio.search.engine.trial_record import SPENT_STATES, generation_of

if TYPE_CHECKING:
    from evofolio.search.engine.workers import SearchPlan

__all__ = ["admitted", "admitted_in_generation"]


def admitted(
    study: optuna.Study, storage: RDBStorage, number: int, plan: SearchPlan, island: str | None
) -> bool:
    """Wait until trial ``number`` may run (True) or is not needed any more (False): its
    island's spent (complete or pruned) trials plus the running ones numbered before it stay
    below the island's target (the whole study's without islands)."""
    target = plan.target_of(island)
    while True:
        trials = plan.scope(study.get_trials(deepcopy=False), island)
        spent = sum(t.state in SPENT_STATES for t in trials)
        if spent >= target:
            return False
        ahead = sum(t.state == TrialState.RUNNING and t.number < number for t in trials)
        if spent + ahead < target:
            return True
        plan.fail_stale(study, storage)
        time.sleep(plan.poll_seconds)


def admitted_in_generation(
    study: optuna.Study, storage: RDBStorage, number: int, plan: SearchPlan, island: str | None
) -> bool:
    """With ``plan.sync``: wait (heartbeat on) until trial ``number`` is one of its
    generation's population (True), or the generation completed without it (False).
    Generations are counted within the trial's island.

    Two processes may pass :func:`~evofolio.search.engine.trial_record.generation_barrier`
    at the same moment and both ask; the later-numbered trial then waits here, as in
    :func:`admitted`, until a trial ahead of it in its generation fails (it runs) or the
    generation completes (it is released, never evaluated).
    """
    while True:
        trials = plan.scope(study.get_trials(deepcopy=False), island)
        mine = next((t for t in trials if t.number == number), None)
        generation = None if mine is None else generation_of(mine)
        if generation is None:
            return True
        done = sum(t.state in SPENT_STATES and generation_of(t) == generation for t in trials)
        if done >= plan.search.population:
            return False
        ahead = sum(
            t.state == TrialState.RUNNING
            and t.number < number
            and generation_of(t) in (generation, None)
            for t in trials
        )
        if done + ahead < plan.search.population:
            return True
        plan.fail_stale(study, storage)
        time.sleep(plan.poll_seconds)
