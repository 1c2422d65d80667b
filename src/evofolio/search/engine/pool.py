"""``--jobs N``: N spawned worker processes running the same ask/tell loop on one storage.

Each worker opens the study itself (random draws are seeded per trial number), builds its
evaluator once from the picklable factory, uses ``cores // N`` torch threads and runs
:func:`~evofolio.search.engine.workers.work` until the target is reached. The parent only polls the
storage for progress. Ctrl-C in the parent is passed on to the workers, which mark their
trials interrupted (genomes re-queued) and exit.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.queues
import os
import pickle
import queue
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess

import optuna

from evofolio.compute import limit_threads, threads_per_process, usable_cores
from evofolio.errors import EvofolioError, OutputError
from evofolio.search.engine.evaluator import EvaluatorFactory
from evofolio.search.engine.outcome import failure_message
from evofolio.search.engine.storage import make_storage
from evofolio.search.engine.workers import SearchPlan, work

__all__ = ["WorkerSpec", "available_cores", "limit_threads", "run_pool", "worker_main"]

logger = logging.getLogger(__name__)

STOP_TIMEOUT_S = 30.0
PARENT_POLL_S = 1.0


def available_cores() -> int:
    """CPU cores this process may use (its affinity mask and cgroup CPU quota)."""
    return usable_cores()


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a spawned worker needs (picklable)."""

    plan: SearchPlan
    storage_url: str
    study_name: str
    factory: EvaluatorFactory
    index: int
    threads: int
    optuna_verbosity: int


def _picklable(error: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(failure_message(error))
    return error


def _interrupt_once(signum: int, frame: object) -> None:
    # Ctrl-C reaches a worker twice (from the terminal and from the parent): the second
    # must not interrupt the first's cleanup (marking its trial, re-queueing its genome).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def _watch_parent(parent: int, every: float) -> None:
    """Interrupt this worker (as Ctrl-C would) once its parent process is gone: a search
    whose command was killed must not leave workers computing behind its back."""
    while os.getppid() == parent:
        time.sleep(every)
    logger.warning("the search's parent process %d is gone: stopping this worker", parent)
    os.kill(os.getpid(), signal.SIGINT)


def worker_main(spec: WorkerSpec, errors: multiprocessing.queues.Queue[BaseException]) -> None:
    """The body of one worker process; an error is sent to the parent through ``errors``."""
    optuna.logging.set_verbosity(spec.optuna_verbosity)
    signal.signal(signal.SIGINT, _interrupt_once)
    threading.Thread(target=_watch_parent, args=(os.getppid(), PARENT_POLL_S), daemon=True).start()
    try:
        limit_threads(spec.threads)
        storage = make_storage(spec.storage_url, spec.plan.search)
        study = spec.plan.open(storage, spec.study_name)
        evaluator = spec.factory()
        limit_threads(spec.threads)  # the factory may have imported torch
        work(study, storage, evaluator, spec.plan)
    except KeyboardInterrupt:
        logger.info("worker %d interrupted", spec.index)
    except EvofolioError as error:  # e.g. a full disk: one line in the parent, no traceback
        errors.put(_picklable(error))
        raise SystemExit(1) from None
    except BaseException as error:
        logger.exception("worker %d failed", spec.index)
        errors.put(_picklable(error))
        raise SystemExit(1) from None


def _stop(processes: list[BaseProcess]) -> None:
    for process in processes:
        if process.is_alive() and process.pid is not None:
            os.kill(process.pid, signal.SIGINT)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for process in processes:
        process.join(max(deadline - time.monotonic(), 0.1))
        if process.is_alive():
            process.terminate()
            process.join()


def run_pool(
    plan: SearchPlan,
    storage_url: str,
    study_name: str,
    factory: EvaluatorFactory,
    jobs: int,
    on_poll: Callable[[], None],
) -> list[BaseException]:
    """Run ``jobs`` workers to the end; return the errors that stopped any of them."""
    context = multiprocessing.get_context("spawn")
    errors: multiprocessing.queues.Queue[BaseException] = context.Queue()
    threads = threads_per_process(jobs)
    verbosity = optuna.logging.get_verbosity()
    processes: list[BaseProcess] = []
    for index in range(jobs):
        spec = WorkerSpec(plan, storage_url, study_name, factory, index, threads, verbosity)
        process: BaseProcess = context.Process(
            target=worker_main, args=(spec, errors), name=f"evofolio-worker-{index}"
        )
        process.start()
        processes.append(process)
    found: list[BaseException] = []
    previous = _terminate_as_interrupt()
    try:
        while any(process.is_alive() for process in processes):
            on_poll()
            time.sleep(plan.poll_seconds)
            found.extend(_drain(errors))
            if any(isinstance(error, OutputError) for error in found):
                _stop(processes)  # the disk is full for all: their trials are re-queued
                break
    except BaseException:
        _stop(processes)
        raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    for process in processes:
        process.join()
    return found + _drain(errors)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _terminate_as_interrupt() -> signal.Handlers | Callable[..., object] | int | None:
    """Treat SIGTERM like Ctrl-C while the workers run (they are stopped and their trials
    re-queued); returns the previous handler, or None off the main thread."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_interrupt)


def _drain(errors: multiprocessing.queues.Queue[BaseException]) -> list[BaseException]:
    found: list[BaseException] = []
    while True:
        try:
            found.append(errors.get_nowait())
        except queue.Empty:
            return found
