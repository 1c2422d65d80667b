"""A study shared by several machines: trial files and the champion through the artifact store.

With ``search.artifacts`` (see :mod:`evofolio.search.engine.artifacts`) every trial's
files (``returns.parquet``, ``metrics.json``, ``model.pt``) are artifacts of the trial. The
machine that finishes the run fetches those of every completed trial into its own run
directory (:func:`fetch_trial_files`), so the champion's choice, the DSR and the PBO, the
holdout and the report count every completed trial whichever machine ran it; it then
publishes the finished run (:func:`publish_champion`: ``run.json``, ``trials.parquet``,
``champion/``, ``holdout/`` and the champion trial's files) so that ``allocate`` and
``report`` work on any machine given only the storage URL and the store
(:func:`fetch_champion`).
"""

from __future__ import annotations

import logging
import tarfile
import tempfile
from pathlib import Path

import optuna
from optuna.trial import TrialState

from evofolio.config import SearchConfig
from evofolio.errors import SearchRunningError, UsageError
from evofolio.outdir import output_error
from evofolio.run_layout import CHAMPION_DIR, HOLDOUT_DIR, RUN_JSON, TRIALS_TABLE, trial_dir
from evofolio.runlock import check_not_running
from evofolio.search.engine.artifacts import (
    download_study_file,
    download_trial_files,
    open_store,
    upload_study_file,
)
from evofolio.search.engine.optuna_private import live_running_trials
from evofolio.search.engine.storage import make_storage
from evofolio.search.engine.trial_record import DUPLICATE_ATTR, WORKER_ATTR

__all__ = ["CHAMPION_ARCHIVE", "fetch_champion", "fetch_trial_files", "publish_champion"]

logger = logging.getLogger(__name__)

CHAMPION_ARCHIVE = "run.tar.gz"
"""The study artifact holding the finished run (everything ``allocate`` and ``report`` read)."""
PUBLISHED_AT_ATTR = "evofolio_champion_complete"
"""Study user attribute: how many completed trials the study held when its champion was
published (a study holding more has been resumed and its champion is not chosen yet)."""


def fetch_trial_files(search: SearchConfig, study: optuna.Study, run_dir: Path) -> int:
    """Download into ``run_dir/trials/NNNNN/`` the files of every completed trial that has
    its own (clones reuse their twin's) and that this directory lacks; returns the number of
    trials fetched. Without ``search.artifacts`` the run directory is the store: nothing to do.
    """
    store = open_store(search.artifacts)
    if store is None:
        return 0
    storage = study._storage
    fetched = 0
    for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        if DUPLICATE_ATTR in trial.user_attrs:
            continue
        names = download_trial_files(store, storage, trial, Path(run_dir) / trial_dir(trial.number))
        fetched += bool(names)
    logger.info("fetched the files of %d trials from %s", fetched, search.artifacts)
    return fetched


def publish_champion(
    search: SearchConfig, study: optuna.Study, run_dir: Path, champion_trial: int | None = None
) -> bool:
    """Upload the finished run as the study's :data:`CHAMPION_ARCHIVE` artifact: ``champion/``
    (config, metrics, seed ensemble), and those of ``run.json``, ``trials.parquet``,
    ``holdout/`` and ``trials/<champion_trial>/`` that exist (what ``report`` reads). False
    without an artifact store.

    Raises:
        OutputError: the archive cannot be written or stored (full disk, I/O error...).
    """
    store = open_store(search.artifacts)
    if store is None:
        return False
    root = Path(run_dir)
    parts = [CHAMPION_DIR, RUN_JSON, TRIALS_TABLE, HOLDOUT_DIR]
    if champion_trial is not None:
        parts.append(str(trial_dir(champion_trial)))
    try:
        with tempfile.TemporaryDirectory() as scratch:
            archive = Path(scratch) / CHAMPION_ARCHIVE
            with tarfile.open(archive, "w:gz") as tar:
                for part in parts:
                    if (root / part).exists():
                        tar.add(root / part, arcname=part)
            upload_study_file(store, study, archive)
    except OSError as error:  # the temporary directory's disk or the store's
        raise output_error(error, f"{search.artifacts}/{CHAMPION_ARCHIVE}") from None
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    study.set_user_attr(PUBLISHED_AT_ATTR, len(complete))
    return True


def fetch_champion(storage_url: str, study_name: str, artifacts: str, run_dir: Path) -> Path:
    """Download the finished run of study ``study_name`` (see :func:`publish_champion`) into
    ``run_dir`` (created); returns ``run_dir``.

    Raises:
        ConfigError: the storage URL or the store cannot be opened (named, password masked).
        UsageError: the study does not exist, or has no published champion yet.
        OutputError: ``run_dir`` cannot be written (full disk, read-only directory...).
        SearchRunningError: a search runs in ``run_dir``, or the study is being searched
            (running trials with live heartbeats on any machine, or more completed trials
            than its published champion was chosen from: resumed, not finished).
    """
    check_not_running(run_dir, "fetching the champion into it")
    search = SearchConfig(artifacts=artifacts)
    storage = make_storage(storage_url, search)
    try:
        study = optuna.load_study(study_name=study_name, storage=storage)
    except KeyError:
        raise UsageError(f"--study {study_name!r}: no such study in --storage") from None
    _check_finished(study)
    store = open_store(artifacts)
    run_dir = Path(run_dir)
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / CHAMPION_ARCHIVE
        if not download_study_file(store, study, CHAMPION_ARCHIVE, archive):
            raise UsageError(
                f"study {study_name!r} has no champion in {artifacts!r} yet: "
                "has the coordinator finished the run?"
            )
        try:
            run_dir.mkdir(parents=True, exist_ok=True)
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(run_dir, filter="data")
        except OSError as error:
            raise output_error(error, run_dir) from None
    return run_dir


def _check_finished(study: optuna.Study) -> None:
    """Refuse a study whose search is running on any machine (live heartbeats) or was
    resumed beyond its published champion."""
    live = live_running_trials(study)
    if live:
        workers = sorted({str(t.user_attrs.get(WORKER_ATTR, "?")) for t in live})
        raise SearchRunningError(
            f"study {study.study_name!r}: a search is running ({len(live)} trials running, "
            f"on {', '.join(workers[:3])}{' ...' if len(workers) > 3 else ''}); its "
            "published champion is not the one it will choose: wait until it ends"
        )
    published = study.user_attrs.get(PUBLISHED_AT_ATTR)
    complete = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
    if published is not None and complete > int(published):
        raise SearchRunningError(
            f"study {study.study_name!r} holds {complete} completed trials but its published "
            f"champion was chosen among {int(published)}: the search was resumed and its "
            "coordinator has not chosen the new champion yet (it is running, or was stopped: "
            "run it again to finish)"
        )
