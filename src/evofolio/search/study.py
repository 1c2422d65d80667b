"""The genetic search engine: Optuna NSGA-II driven by ask/tell, resumable and parallel.

:func:`run_search` creates or loads the study (so running the same command again resumes
it), then evaluates genomes until the study holds ``population x generations`` completed
trials: in this process (``jobs = 1``) or in ``jobs`` spawned workers, and on as many
machines as run the same command against one database URL. What a trial computes is the
evaluator's business (:mod:`evofolio.search.evaluator`); this module never trains anything.

Resume and crashes: completed trials live in the storage and are never evaluated again. A
process killed at any moment (even SIGKILL) leaves its running trial without heartbeats;
after ``2 x heartbeat_seconds`` the next worker that looks fails it and queues a copy of its
genome, which is evaluated as a new trial. Ctrl-C marks the running trial failed
(``failure = "interrupted"``), re-queues its genome and propagates. Genomes whose
evaluation raises are failed trials with the message kept; they count towards the cap
``max_trials`` (default 3 x target) that ends a search in which too many genomes fail.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna

from evofolio.config import GeneValue, RunConfig
from evofolio.errors import ConfigError
from evofolio.features import FEATURES
from evofolio.run_layout import SEARCH_DB, TRIALS_TABLE
from evofolio.search.evaluator import (
    Evaluator,
    EvaluatorFactory,
    TrialContext,
    TrialOutcome,
)
from evofolio.search.fingerprint import check_fingerprint, record_fingerprint
from evofolio.search.pool import run_pool
from evofolio.search.progress import ProgressTracker, SearchEvent, TrialCounts, count_trials
from evofolio.search.records import trials_frame, write_trials
from evofolio.search.space import check_space
from evofolio.search.storage import default_storage_url, make_storage, open_study
from evofolio.search.workers import SearchPlan, work
from evofolio.strategies import resolve_strategies

__all__ = [
    "TRIALS_FILE",
    "Evaluator",
    "EvaluatorFactory",
    "SearchEvent",
    "SearchResult",
    "TrialContext",
    "TrialOutcome",
    "enqueue_genomes",
    "load_search_study",
    "run_search",
    "trials_frame",
    "write_trials",
]

logger = logging.getLogger(__name__)

TRIALS_FILE = TRIALS_TABLE


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
        return self.counts.complete >= self.target


def _plan(config: RunConfig, run_dir: Path, poll_seconds: float) -> SearchPlan:
    search = config.search
    features = tuple(FEATURES)
    strategies = tuple(resolve_strategies(config.strategies.names))
    check_space(search, config, features, strategies)
    target = search.population * search.generations
    return SearchPlan(
        base=config,
        run_dir=run_dir,
        feature_names=features,
        strategy_names=strategies,
        target=target,
        max_trials=search.max_trials or 3 * target,
        poll_seconds=poll_seconds,
        orphan_seconds=max(60.0, 20.0 * search.heartbeat_seconds),
    )


def run_search(
    config: RunConfig,
    run_dir: str | Path,
    evaluator_factory: EvaluatorFactory,
    *,
    storage_url: str | None = None,
    study_name: str | None = None,
    jobs: int | None = None,
    on_event: Callable[[SearchEvent], None] | None = None,
    poll_seconds: float = 1.0,
    fingerprint: Mapping[str, Any] | None = None,
) -> SearchResult:
    """Run (or resume) the search of ``config.search`` and write ``run_dir/trials.parquet``.

    ``storage_url``, ``study_name`` and ``jobs`` override ``config.search``'s values.
    ``on_event`` receives a :class:`SearchEvent` at the start, after each trial (polled every
    ``poll_seconds`` when ``jobs > 1``) and at the end (``finished=True``). Errors that stop
    a worker process (e.g. the evaluator factory failing) are re-raised here.

    With ``fingerprint`` (:mod:`evofolio.search.fingerprint`), a run directory or study made
    from other inputs is refused before anything is written, and a new one remembers it.
    """
    run_dir = Path(run_dir)
    if fingerprint is not None:
        check_fingerprint(run_dir, fingerprint)
    search = config.search
    url = storage_url or search.storage or default_storage_url(run_dir)
    name = study_name or search.study_name
    jobs = jobs or search.jobs
    if jobs < 1:
        raise ConfigError(f"search.jobs must be >= 1, got {jobs}")
    created = not run_dir.exists()
    try:  # a refused start leaves no new directory behind
        run_dir.mkdir(parents=True, exist_ok=True)
        plan = _plan(config, run_dir, poll_seconds)
        storage = make_storage(url, search)
        study = open_study(search, storage, name, seed=config.seed)
        if fingerprint is not None:
            check_fingerprint(run_dir, fingerprint, study)
            record_fingerprint(run_dir, fingerprint, study)
    except BaseException:
        if created:
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    tracker = ProgressTracker(plan.target, search.generations)
    last: list[TrialCounts] = []

    def emit(finished: bool = False) -> None:
        if on_event is None:
            return
        event = tracker.event(study.get_trials(deepcopy=False), finished=finished)
        if finished or not last or event.counts != last[-1]:
            last.append(event.counts)
            on_event(event)

    trials_path = run_dir / TRIALS_FILE
    logger.info("search %r in %s: target %d completed trials", name, url, plan.target)
    emit()
    try:
        if jobs == 1:
            work(study, storage, evaluator_factory(), plan, on_trial=lambda _: emit())
            errors: list[BaseException] = []
        else:
            errors = run_pool(plan, url, name, evaluator_factory, jobs, on_poll=emit)
    except BaseException:
        _write_quietly(study, trials_path)
        raise
    write_trials(study, trials_path)
    counts = count_trials(study.get_trials(deepcopy=False))
    if errors and counts.complete < plan.target:
        raise errors[0]
    for error in errors:
        logger.warning("a worker stopped early: %s", error)
    emit(finished=True)
    return SearchResult(study, counts, plan.target, trials_path, url, name)


def _write_quietly(study: optuna.Study, path: Path) -> None:
    try:
        write_trials(study, path)
    except Exception as error:
        logger.warning("could not write %s: %s", path, error)


def enqueue_genomes(
    config: RunConfig,
    run_dir: str | Path,
    genomes: Iterable[Mapping[str, GeneValue]],
    *,
    storage_url: str | None = None,
    study_name: str | None = None,
) -> int:
    """Queue known genomes (e.g. from :func:`~evofolio.search.space.encode`) for evaluation.

    They are evaluated first by the next :func:`run_search` on the same study; genes a
    genome lacks are sampled. Returns the number queued.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    search = config.search
    url = storage_url or search.storage or default_storage_url(run_dir)
    study = open_study(search, make_storage(url, search), study_name or search.study_name, seed=0)
    count = 0
    for params in genomes:
        study.enqueue_trial(dict(params))
        count += 1
    return count


def load_search_study(
    config: RunConfig,
    run_dir: str | Path,
    *,
    storage_url: str | None = None,
    study_name: str | None = None,
) -> optuna.Study:
    """Open an existing search's study for reading (champion, report)."""
    search = config.search
    url = storage_url or search.storage or default_storage_url(Path(run_dir))
    name = study_name or search.study_name
    database = Path(run_dir) / SEARCH_DB
    if url == default_storage_url(Path(run_dir)) and not database.is_file():
        raise ConfigError(f"no search database {database}; run the search first")
    try:
        return optuna.load_study(study_name=name, storage=make_storage(url, search))
    except KeyError:
        raise ConfigError(f"no search study {name!r} in {url}; run the search first") from None
