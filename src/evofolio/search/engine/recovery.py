"""Surviving dead workers: heartbeats, stale trials and re-queued genomes.

Every running trial records a heartbeat in the storage from a background thread. A running
trial whose heartbeat is older than the grace period (``2 x heartbeat_seconds``) belongs to
a dead process (SIGKILL, power cut, lost machine): :func:`fail_stale` fails it and
:class:`~evofolio.search.engine.storage.RequeueCallback` (Optuna's retry callback) queues a copy
(same genes, same generation, ``retry_of`` set), which the next ``ask`` of any worker
picks up. Ctrl-C does the same at once (``failure = "interrupted"``).

A process killed in the few milliseconds between creating a trial and its first heartbeat
leaves a running trial without any heartbeat, which Optuna never considers stale; such an
*orphan* (no ``worker`` attribute after ``orphan_seconds``) is failed and re-queued too.

A search that alone uses its storage (the run directory's SQLite file, under the
directory's lock) need not wait for any of that: :func:`recover_running` fails every trial
left running at once (``failure = "interrupted"``: not an evaluated genome) and re-queues it.
A trial stopped by a full disk whose storage could not even record that is one of those.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from types import TracebackType

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import RDBStorage, fail_stale_trials
from optuna.trial import FrozenTrial, TrialState

from evofolio.search.engine.optuna_private import trial_id
from evofolio.search.engine.storage import RequeueCallback, quiet_optuna, storage_failure
from evofolio.search.engine.trial_record import ERROR_ATTR, FAILURE_ATTR, WORKER_ATTR

__all__ = ["Heartbeat", "fail_stale", "recover_running", "requeue"]

logger = logging.getLogger(__name__)


class Heartbeat:
    """Record a trial's heartbeat now and then every ``interval`` seconds (a context)."""

    def __init__(self, storage: RDBStorage, trial: optuna.Trial, interval: float) -> None:
        self._storage, self._id, self._interval = storage, trial_id(trial), interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="evofolio-heartbeat", daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._storage.record_heartbeat(self._id)
            except Exception as error:  # a busy database: try again at the next beat
                # a full disk stops the search in its own thread, in one line
                full = storage_failure(error) is not None
                log = logger.debug if full else logger.warning
                log("heartbeat of trial id %d failed: %s", self._id, error)

    def __enter__(self) -> Heartbeat:
        self._storage.record_heartbeat(self._id)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()


def requeue(study: optuna.Study, trial: FrozenTrial, max_retry: int | None) -> None:
    """Queue a copy of ``trial``'s genome (unless it was re-queued ``max_retry`` times)."""
    with quiet_optuna():
        callback = RequeueCallback(max_retry=max_retry)
    callback(study, trial)


def fail_stale(
    study: optuna.Study, storage: RDBStorage, *, max_retry: int | None, orphan_seconds: float
) -> None:
    """Fail the trials of dead workers (stale heartbeat, or orphans) and re-queue them."""
    with quiet_optuna():
        fail_stale_trials(study)
    now = dt.datetime.now()
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        started = trial.datetime_start
        if WORKER_ATTR in trial.user_attrs or started is None:
            continue
        if (now - started).total_seconds() <= orphan_seconds:
            continue
        try:
            if storage.set_trial_state_values(trial_id(trial), TrialState.FAIL):
                logger.warning("trial %d never started (its worker died); re-queued", trial.number)
                requeue(study, storage.get_trial(trial_id(trial)), max_retry)
        except UpdateFinishedTrialError:
            pass  # another process failed it first


def recover_running(study: optuna.Study, storage: RDBStorage, *, max_retry: int | None) -> int:
    """Fail every running trial as interrupted and re-queue its genome; returns how many.
    Only for a storage no other process uses (their trials would be taken from them)."""
    recovered = 0
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        identifier = trial_id(trial)
        storage.set_trial_user_attr(identifier, FAILURE_ATTR, "interrupted")
        storage.set_trial_user_attr(
            identifier, ERROR_ATTR, "its process stopped (found running when the search resumed)"
        )
        try:
            if not storage.set_trial_state_values(identifier, TrialState.FAIL):
                continue
        except UpdateFinishedTrialError:
            continue
        requeue(study, storage.get_trial(identifier), max_retry)
        recovered += 1
    if recovered:
        logger.info("%d trials left running by a stopped search were re-queued", recovered)
    return recovered
