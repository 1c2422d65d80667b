"""The ask/tell loop that every search process runs against the shared storage.

One loop per process (the ``jobs = 1`` caller itself, each spawned worker, each machine
running the same command): fail the trials of dead workers (their genomes are re-queued,
see :mod:`evofolio.search.engine.recovery`), stop when the target of spent trials (complete or
pruned) is reached,
otherwise ``ask`` a trial (a re-queued genome first), evaluate it under a heartbeat and
``tell`` the result. A genome identical to a completed trial's (a GA clone) is not evaluated
again: the trial reuses that outcome and records ``duplicate_of``.

With an artifact store (``search.artifacts``, see :mod:`evofolio.search.engine.artifacts`) a
trial's files are uploaded before the trial is told complete, so every completed trial's
files are readable from every machine. With ``plan.sync`` a process asks no trial of the
next generation before the open one is complete (:mod:`evofolio.search.engine.trial_record`).

No trial is lost or duplicated by processes racing near the end: a trial is evaluated
only while the spent trials plus the running trials numbered before it stay below the
target; otherwise it waits (heartbeat on) until one of those fails (then it runs) or the
target is reached (then it is told failed with ``failure = "released"``, never evaluated).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import RDBStorage
from optuna.trial import FrozenTrial, TrialState

from evofolio.config import SearchConfig
from evofolio.memory import MemoryGuard, release_memory
from evofolio.run_layout import trial_dir
from evofolio.search.engine.admission import admitted, admitted_in_generation
from evofolio.search.engine.artifacts import ArtifactStore, open_store, upload_trial_files
from evofolio.search.engine.evaluator import (
    Direction,
    Evaluator,
    Suggest,
    TrialContext,
    TrialOutcome,
)
from evofolio.search.engine.islands import (
    Island,
    IslandSampler,
    island_of,
    island_trials,
    islands_done,
    open_island,
)
from evofolio.search.engine.optuna_private import trial_id
from evofolio.search.engine.outcome import (
    RELEASED,
    RELEASED_GENERATION,
    failure_message,
    finish_trial,
)
from evofolio.search.engine.recovery import Heartbeat, fail_stale, requeue
from evofolio.search.engine.storage import open_study, quiet_optuna, storage_failure
from evofolio.search.engine.trial_record import (
    DUPLICATE_ATTR,
    ERROR_ATTR,
    FAILURE_ATTR,
    PROGRESS_ATTR,
    WORKER_ATTR,
    ProgressNote,
    count_trials,
    generation_barrier,
    generation_of,
)

__all__ = ["SearchPlan", "run_trial", "trial_directory", "work", "worker_name"]

logger = logging.getLogger(__name__)

_NOT_COPIED = {WORKER_ATTR, ERROR_ATTR, FAILURE_ATTR, PROGRESS_ATTR}


@dataclass(frozen=True)
class SearchPlan:
    """What every process of one search shares (picklable, sent to spawned workers).

    The domain builds it: ``suggest`` asks a trial for its genes and returns the genome the
    evaluator receives; ``objectives`` names the values the evaluator returns and
    ``directions`` says which way each is better. ``search`` gives the engine's settings
    (population, NSGA-II operators, heartbeats, retries, pruning); the engine reads no other
    field of it. ``seed`` seeds the sampler (per trial number, see
    :class:`~evofolio.search.engine.samplers.TrialSeededNSGAIISampler`). ``sync``: keep
    generations whole (see :mod:`evofolio.search.engine.trial_record`); the engine sets it
    from ``search.sync_generations``.
    """

    search: SearchConfig
    run_dir: Path
    suggest: Suggest
    objectives: tuple[str, ...]
    directions: tuple[Direction, ...]
    seed: int
    target: int
    max_trials: int
    poll_seconds: float = 1.0
    orphan_seconds: float = 600.0
    sync: bool = False
    islands: tuple[Island, ...] = ()
    island_param: str = ""

    def __post_init__(self) -> None:
        if len(self.objectives) != len(self.directions) or not self.objectives:
            raise ValueError(
                f"search plan: {len(self.objectives)} objectives for "
                f"{len(self.directions)} directions"
            )
        if self.islands and sum(island.target for island in self.islands) != self.target:
            raise ValueError("search plan: the islands' targets do not add up to the target")

    def scope(self, trials: Sequence[FrozenTrial], island: str | None) -> list[FrozenTrial]:
        """The trials that compete with a trial of ``island`` for places: its island's, or
        every trial without islands."""
        if not self.islands or island is None:
            return list(trials)
        return island_trials(trials, island, self.island_param)

    def target_of(self, island: str | None) -> int:
        """The spent (complete or pruned) trials ``island`` needs (the whole target without
        islands)."""
        for candidate in self.islands:
            if candidate.name == island:
                return candidate.target
        return self.target

    @property
    def can_prune(self) -> bool:
        return self.search.prune and len(self.directions) == 1

    def open(self, storage: RDBStorage, study_name: str) -> optuna.Study:
        """Create or load study ``study_name`` in ``storage`` with this plan's sampler."""
        return open_study(
            self.search,
            storage,
            study_name,
            seed=self.seed,
            directions=self.directions,
            islands=self.islands,
            island_param=self.island_param,
            sync=self.sync,
        )

    def fail_stale(self, study: optuna.Study, storage: RDBStorage) -> None:
        fail_stale(
            study,
            storage,
            max_retry=self.search.max_retry,
            orphan_seconds=self.orphan_seconds,
        )


def worker_name() -> str:
    """``host:pid``, stored with each trial."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _island(study: optuna.Study, storage: RDBStorage, number: int, plan: SearchPlan) -> str | None:
    if not plan.islands:
        return None
    trial = next((t for t in study.get_trials(deepcopy=False) if t.number == number), None)
    return None if trial is None else island_of(trial, plan.island_param)


def trial_directory(run_dir: Path, trial: FrozenTrial) -> Path:
    """``run_dir/trials/{number:05d}``: a trial's files (its twin's, for a duplicate)."""
    number = trial.user_attrs.get(DUPLICATE_ATTR, trial.number)
    return Path(run_dir) / trial_dir(int(number))


def _twin(study: optuna.Study, params: Mapping[str, Any]) -> TrialOutcome | None:
    """The outcome of a completed trial with the same genes, if any (a GA clone)."""
    for other in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        if other.params == params:
            attrs = {k: v for k, v in other.user_attrs.items() if k not in _NOT_COPIED}
            attrs[DUPLICATE_ATTR] = other.user_attrs.get(DUPLICATE_ATTR, other.number)
            return TrialOutcome(tuple(other.values), attrs)
    return None


def _context(
    storage: RDBStorage, trial: optuna.Trial, plan: SearchPlan, worker: str
) -> TrialContext:
    frozen = storage.get_trial(trial_id(trial))
    trial_dir = trial_directory(plan.run_dir, frozen)
    trial_dir.mkdir(parents=True, exist_ok=True)
    return TrialContext(
        number=trial.number,
        generation=generation_of(frozen) or 0,
        trial_dir=trial_dir,
        objectives=plan.objectives,
        can_prune=plan.can_prune,
        worker=worker,
        retry_of=frozen.system_attrs.get("failed_trial"),
        note=ProgressNote(trial),
    )


def run_trial(
    study: optuna.Study,
    storage: RDBStorage,
    evaluator: Evaluator,
    plan: SearchPlan,
    worker: str,
    store: ArtifactStore | None = None,
) -> FrozenTrial | None:
    """Ask one trial, evaluate it under a heartbeat and tell the result.

    With ``store`` the files the evaluator wrote in the trial's directory are uploaded as
    the trial's artifacts before it is told complete. Returns the finished trial, or
    ``None`` when it was released unevaluated (or another process had already failed it as
    stale).
    """
    with quiet_optuna():
        trial = study.ask()
    with Heartbeat(storage, trial, plan.search.heartbeat_seconds):
        try:
            trial.set_user_attr(WORKER_ATTR, worker)  # before anything slow (see recovery)
            genome = plan.suggest(trial)
            island = _island(study, storage, trial.number, plan)
            if not admitted(study, storage, trial.number, plan, island):
                finish_trial(study, trial, failure="released", error=RELEASED)
                return None
            if plan.sync and not admitted_in_generation(study, storage, trial.number, plan, island):
                finish_trial(study, trial, failure="released", error=RELEASED_GENERATION)
                return None
            twin = _twin(study, trial.params)
            if twin is not None:  # never evaluate the same genome twice
                return finish_trial(study, trial, outcome=twin)
            context = _context(storage, trial, plan, worker)
            outcome = evaluator(trial, genome, context)
            if store is not None:
                upload_trial_files(store, storage, trial, context.trial_dir)
        except optuna.TrialPruned:
            return finish_trial(study, trial, state=TrialState.PRUNED)
        except KeyboardInterrupt:
            _interrupted(study, storage, trial, plan, "interrupted by the user")
            raise
        except Exception as error:
            where = Path(plan.run_dir) / trial_dir(trial.number)  # no storage read: it may fail
            failure = storage_failure(error, storage.url, where)
            if failure is not None:  # the disk's fault, not the genome's: stop the search
                _interrupted(study, storage, trial, plan, f"stopped: {failure}")
                raise failure from None
            logger.warning("trial %d failed: %s", trial.number, failure_message(error))
            logger.debug("trial %d: %s", trial.number, "".join(traceback.format_exception(error)))
            return finish_trial(study, trial, failure="error", error=failure_message(error))
        return finish_trial(study, trial, outcome=outcome)


def _interrupted(
    study: optuna.Study, storage: RDBStorage, trial: optuna.Trial, plan: SearchPlan, why: str
) -> None:
    """Fail ``trial`` as interrupted (not evaluated: it does not count) and re-queue its
    genome. If the storage cannot take it (a full disk) the trial stays running without
    heartbeats: the next search fails it as stale and re-queues it all the same."""
    try:
        finish_trial(study, trial, failure="interrupted", error=why)
        requeue(study, storage.get_trial(trial_id(trial)), plan.search.max_retry)
    except Exception as error:
        logger.debug("trial %d left running (re-queued on resume): %s", trial.number, error)


def work(
    study: optuna.Study,
    storage: RDBStorage,
    evaluator: Evaluator,
    plan: SearchPlan,
    on_trial: Callable[[FrozenTrial | None], None] | None = None,
    on_wait: Callable[[int], None] | None = None,
) -> None:
    """Run trials until the study holds ``plan.target`` spent (complete or pruned) trials (or
    the cap).

    ``on_wait(g)`` is called at each poll while this process waits for generation ``g`` to
    complete (``plan.sync``).

    Raises:
        ConfigError: the artifact store cannot be opened.
        OutputError: a trial's files or the storage cannot be written (full disk, read-only
            directory, I/O error): the search stops; the trial is failed as interrupted and
            its genome re-queued (or, if the storage cannot take even that, left running
            for the next search to re-queue), never counted as a failed genome.
    """
    try:
        with MemoryGuard():  # a large universe's trials fragment the C heap (evofolio.memory)
            _work(study, storage, evaluator, plan, on_trial, on_wait)
    except Exception as error:
        failure = storage_failure(error, storage.url, plan.run_dir)
        if failure is None:
            raise
        raise failure from None


def _work(
    study: optuna.Study,
    storage: RDBStorage,
    evaluator: Evaluator,
    plan: SearchPlan,
    on_trial: Callable[[FrozenTrial | None], None] | None = None,
    on_wait: Callable[[int], None] | None = None,
) -> None:
    worker = worker_name()
    store = open_store(plan.search.artifacts)
    while True:
        plan.fail_stale(study, storage)
        trials = study.get_trials(deepcopy=False)
        counts = count_trials(trials)
        if counts.evaluated >= plan.max_trials:
            return
        if plan.islands:
            if islands_done(trials, plan.islands, plan.island_param):
                return
            waiting = any(t.state == TrialState.WAITING for t in trials)
            island = open_island(
                trials,
                plan.islands,
                plan.island_param,
                population=plan.search.population,
                sync=plan.sync,
            )
            if island is None and not waiting:
                # every island's last trials run elsewhere (one may fail) or its generation
                # is full: wait for them
                blocked = [
                    generation_barrier(
                        island_trials(trials, i.name, plan.island_param), plan.search.population
                    )
                    for i in plan.islands
                ]
                waiting_for = min((g for g in blocked if g is not None), default=None)
                if on_wait is not None and plan.sync and waiting_for is not None:
                    on_wait(waiting_for)
                time.sleep(plan.poll_seconds)
                continue
            sampler = study.sampler
            if isinstance(sampler, IslandSampler):
                sampler.place_next(island)
        else:
            if counts.spent >= plan.target:
                return
            if counts.spent + counts.running >= plan.target:
                time.sleep(plan.poll_seconds)  # the last trials run elsewhere; one may fail
                continue
            if plan.sync:
                waiting_for = generation_barrier(trials, plan.search.population)
                if waiting_for is not None:
                    logger.debug("%s: waiting for generation %d", worker, waiting_for)
                    if on_wait is not None:
                        on_wait(waiting_for)
                    time.sleep(plan.poll_seconds)
                    continue
        frozen = run_trial(study, storage, evaluator, plan, worker, store)
        release_memory()  # the trial's freed memory, kept by malloc, back before the next
        if on_trial is not None:
            on_trial(frozen)
