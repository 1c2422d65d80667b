"""The genetic search engine: Optuna NSGA-II driven by ask/tell, resumable and parallel.

:func:`run_search` creates or loads the study (so running the same command again resumes
it), then evaluates genomes until the study holds ``plan.target`` spent trials, complete or
pruned (the
portfolio search asks for ``population x generations``): in this process (``jobs = 1``) or
in ``jobs`` spawned workers, and on as many machines as run the same command against one
database URL. What a trial computes is the
domain's business: the :class:`~evofolio.search.engine.workers.SearchPlan` brings the suggest
callable and the objectives, the factory the evaluator (:mod:`evofolio.search.engine.evaluator`);
this package imports nothing of the portfolio domain (an import-linter contract).

Resume and crashes: completed trials live in the storage and are never evaluated again. A
process killed at any moment (even SIGKILL) leaves its running trial without heartbeats;
after ``2 x heartbeat_seconds`` the next worker that looks fails it and queues a copy of its
genome, which is evaluated as a new trial. Ctrl-C marks the running trial failed
(``failure = "interrupted"``), re-queues its genome and propagates. Genomes whose
evaluation raises are failed trials with the message kept; they count towards the cap
``max_trials`` (default 3 x target) that ends a search in which too many genomes fail.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import optuna

from evofolio.config import SearchConfig
from evofolio.errors import ConfigError, OutputError
from evofolio.heartbeat import heartbeat
from evofolio.run_layout import SEARCH_LOCK, TRIALS_TABLE, WORKERS_LOCK
from evofolio.search.engine.evaluator import EvaluatorFactory
from evofolio.search.engine.pool import run_pool
from evofolio.search.engine.progress import ProgressTracker, SearchEvent
from evofolio.search.engine.records import write_trials
from evofolio.search.engine.recovery import recover_running
from evofolio.search.engine.storage import (
    default_storage_url,
    make_storage,
    masked_url,
    storage_failure,
)
from evofolio.search.engine.trial_record import TrialCounts, count_trials
from evofolio.search.engine.workers import SearchPlan, work

__all__ = [
    "SearchResult",
    "enqueue_genomes",
    "run_search",
    "storage_of",
    "sync_generations",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchResult:
    """The finished (or already complete) search."""

    study: optuna.Study
    counts: TrialCounts
    target: int
    trials_path: Path
    storage_url: str
    study_name: str

    @property
    def reached_target(self) -> bool:
        return self.counts.spent >= self.target


def storage_of(
    search: SearchConfig, run_dir: Path, storage_url: str | None, study_name: str | None
) -> tuple[str, str]:
    """The storage URL and study name: the arguments, else ``search``'s, else the default
    (``run_dir/search.db``)."""
    url = storage_url or search.storage or default_storage_url(run_dir)
    return url, study_name or search.study_name


def sync_generations(search: SearchConfig, url: str, jobs: int, *, shared: bool = False) -> bool:
    """Whether to keep NSGA-II's generations whole: ``search.sync_generations`` if set, else
    on when more than one process may share the study (``jobs > 1``, a server database URL,
    or ``shared``: e.g. a worker-only process)."""
    if search.sync_generations is not None:
        return search.sync_generations
    return jobs > 1 or shared or not url.startswith("sqlite")


def run_search(
    plan: SearchPlan,
    evaluator_factory: EvaluatorFactory,
    *,
    storage_url: str | None = None,
    study_name: str | None = None,
    jobs: int | None = None,
    on_event: Callable[[SearchEvent], None] | None = None,
    on_open: Callable[[optuna.Study], None] | None = None,
    shared: bool = False,
    exclusive: bool = False,
) -> SearchResult:
    """Run (or resume) the search of ``plan`` and write ``plan.run_dir/trials.parquet``.

    ``storage_url``, ``study_name`` and ``jobs`` override ``plan.search``'s values.
    ``on_event`` receives a :class:`SearchEvent` at the start, every ``plan.poll_seconds``
    while trials run (with the running trials' own notes, see :class:`TrialContext`), after
    each trial and at the end (``finished=True``); with ``jobs == 1`` a daemon thread of this
    process sends the periodic ones, serialised with the others.
    ``on_open(study)`` runs once the study is open and before any trial: an error it raises
    refuses the start, and a run directory this call created is removed. Errors that stop a
    worker process (e.g. the evaluator factory failing) are re-raised here. ``shared``: other
    processes (machines) work on the same study (see :func:`sync_generations`).
    ``exclusive``: no other process can use this storage (the caller holds the run
    directory's lock and the storage is its own file): trials an earlier process left
    running (killed, or stopped by a full disk) are failed as interrupted and re-queued at
    once, instead of after their heartbeats go stale.

    Raises:
        OutputError: the storage or a trial's files cannot be written (full disk, read-only
            directory, I/O error), naming the file and the cause. The search stops at once
            (every worker); the trial it interrupted is re-queued, not counted as a failed
            genome, and running the search again resumes it.
    """
    run_dir = plan.run_dir
    url, name = storage_of(plan.search, run_dir, storage_url, study_name)
    jobs = jobs or plan.search.jobs
    if jobs < 1:
        raise ConfigError(f"search.jobs must be >= 1, got {jobs}")
    plan = replace(plan, sync=sync_generations(plan.search, url, jobs, shared=shared))
    created = _fresh(run_dir)
    try:  # a refused start leaves no new directory behind
        run_dir.mkdir(parents=True, exist_ok=True)
        storage = make_storage(url, plan.search)
        study = plan.open(storage, name)
        if on_open is not None:
            on_open(study)
        if exclusive:
            recover_running(study, storage, max_retry=plan.search.max_retry)
    except BaseException as problem:
        if created:
            shutil.rmtree(run_dir, ignore_errors=True)
        failure = storage_failure(problem, url, run_dir) if isinstance(problem, Exception) else None
        if failure is not None:  # a full disk or a read-only directory: one line
            raise failure from None
        raise
    population = plan.search.population
    generations = max(
        [-(-island.target // population) for island in plan.islands] or [plan.search.generations]
    )
    tracker = ProgressTracker(
        plan.target,
        generations,
        population=population,
        jobs=jobs,
        sync=plan.sync,
        islands=plan.islands,
        island_param=plan.island_param,
    )
    lock = threading.Lock()  # a single process's ticker thread emits beside its trials

    def emit(finished: bool = False) -> None:
        if on_event is None:
            return
        with lock:
            on_event(tracker.event(study.get_trials(deepcopy=False), finished=finished))

    trials_path = run_dir / TRIALS_TABLE
    logger.info(
        "search %r in %s: target %d evaluated trials (pruned ones included)",
        name,
        masked_url(url),
        plan.target,
    )
    emit()
    try:
        if jobs == 1:
            # the trials run in this thread: a beat keeps the display moving while one trains
            beat = (
                contextlib.nullcontext() if on_event is None else heartbeat(emit, plan.poll_seconds)
            )
            with beat:
                work(
                    study,
                    storage,
                    evaluator_factory(),
                    plan,
                    on_trial=lambda _: emit(),
                    on_wait=lambda _: emit(),
                )
            errors: list[BaseException] = []
        else:
            errors = run_pool(plan, url, name, evaluator_factory, jobs, on_poll=emit)
    except BaseException:
        _write_quietly(study, trials_path, plan.objectives)
        raise
    stopped = next((found for found in errors if isinstance(found, OutputError)), None)
    if stopped is not None:  # a full disk stops the whole search, whatever else was left
        _write_quietly(study, trials_path, plan.objectives)
        raise stopped
    write_trials(study, trials_path, plan.objectives)
    counts = count_trials(study.get_trials(deepcopy=False))
    if errors and counts.spent < plan.target:
        raise errors[0]
    for error in errors:
        logger.warning("a worker stopped early: %s", error)
    emit(finished=True)
    return SearchResult(study, counts, plan.target, trials_path, url, name)


def _fresh(run_dir: Path) -> bool:
    """Whether ``run_dir`` is missing or holds only the lock its search took on it."""
    try:
        return set(os.listdir(run_dir)) <= {SEARCH_LOCK, WORKERS_LOCK}
    except FileNotFoundError:
        return True


def _write_quietly(study: optuna.Study, path: Path, objectives: tuple[str, ...]) -> None:
    try:
        write_trials(study, path, objectives)
    except Exception as error:  # a full disk: said by the error that stops the search
        log = logger.debug if isinstance(error, OutputError) else logger.warning
        log("could not write %s: %s", path, error)


def enqueue_genomes(
    plan: SearchPlan,
    genomes: Iterable[Mapping[str, Any]],
    *,
    storage_url: str | None = None,
    study_name: str | None = None,
) -> int:
    """Queue known genomes (gene name -> value) for evaluation.

    They are evaluated first by the next :func:`run_search` on the same study; genes a
    genome lacks are sampled. Returns the number queued.
    """
    plan.run_dir.mkdir(parents=True, exist_ok=True)
    url, name = storage_of(plan.search, plan.run_dir, storage_url, study_name)
    study = plan.open(make_storage(url, plan.search), name)
    count = 0
    for params in genomes:
        study.enqueue_trial(dict(params))
        count += 1
    return count
