"""The seed ensemble: one genome refitted with K seeds, trading the average of their weights.

A neural allocator's result moves with its training seed. The champion that trades the
holdout is therefore not one fit but K (seeds ``seed, seed+1, ..., seed+K-1``): each day the
ensemble holds the average of the K members' weights, which is again long-only and fully
invested. The choice is fixed before the holdout is touched.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Self

import pandas as pd
from joblib import Parallel, delayed

from evofolio.allocators.base import BaseAllocator, clone
from evofolio.allocators.neural import AssetLSTMAllocator
from evofolio.allocators.registry import load_member as registry_load
from evofolio.compute import threads_per_process, usable_cores
from evofolio.data import as_data
from evofolio.errors import DataError, NotFittedError, ParameterError
from evofolio.heartbeat import heartbeat
from evofolio.memory import MemoryGuard
from evofolio.outdir import write_json

logger = logging.getLogger(__name__)

__all__ = [
    "ENSEMBLE_FILE",
    "RecordedAllocator",
    "SeedEnsemble",
    "SeedEnsembleAllocator",
    "seed_list",
]

ENSEMBLE_FILE = "ensemble.json"


def seed_list(seed: int, count: int) -> list[int]:
    """The seeds of a ``count``-member ensemble starting at ``seed``."""
    if count < 1:
        raise ValueError(f"an ensemble needs at least one seed, got {count}")
    return [seed + k for k in range(count)]


class SeedEnsemble(BaseAllocator):
    """One estimator refitted with several seeds, trading the average of their weights.

    Args:
        estimator: an unfitted allocator with a ``seed`` parameter (nested parameters:
            ``estimator__network__hidden``); ``None``: Model 1 with its defaults.
        seeds: one member per seed; member *k* is ``clone(estimator).set_params(seed=seeds[k])``.
        jobs: worker processes that fit the members (each with ``cores // jobs`` torch
            threads, unless the members' ``training.threads`` sets them); seeded, so any
            ``jobs`` gives the same members when they train with the same thread count
            (``training.threads``): BLAS reductions may round otherwise on other counts.

    :meth:`allocate` returns the mean of the members' weights (``dates`` × assets), long-only
    and fully invested, causal because each member's is. Fitted: ``members_``.
    """

    def __init__(
        self,
        estimator: Any = None,
        seeds: Sequence[int] = (0, 1, 2, 3, 4),
        jobs: int = 1,
    ) -> None:
        self.estimator = estimator
        self.seeds = seeds
        self.jobs = jobs

    def check_params(self) -> Self:
        """``estimator`` None or an estimator (``get_params``/``set_params``), ``seeds`` at
        least one distinct integer."""
        if self.estimator is not None and not (
            hasattr(self.estimator, "set_params") and hasattr(self.estimator, "fit")
        ):
            reason = f"an unfitted evofolio allocator, got {self.estimator!r}"
            raise ParameterError(
                f"SeedEnsemble: estimator must be {reason}", key="estimator", reason=reason
            )
        seeds = list(self.seeds)
        if not seeds or len(set(seeds)) != len(seeds):
            reason = f"at least one seed, each once, got {seeds}"
            raise ParameterError(f"SeedEnsemble: seeds: {reason}", key="seeds", reason=reason)
        return self

    def _members(self) -> list[Any]:
        self.check_params()
        estimator = AssetLSTMAllocator() if self.estimator is None else self.estimator
        return [clone(estimator).set_params(seed=int(seed)) for seed in self.seeds]

    def fit(self, X: Any, y: Any = None) -> Self:
        """Fit every member on ``X``: in this process, or in ``jobs`` worker processes."""
        members = self._members()
        data = as_data(X)
        jobs = min(self.jobs, len(members))
        if jobs <= 1:
            fitted: Iterable[Any] = (member.fit(data) for member in members)
        else:
            threads = threads_per_process(jobs)
            fitted = Parallel(n_jobs=jobs, backend="loky", return_as="generator")(
                delayed(_fit_member)(member, data, threads) for member in members
            )
        started = time.perf_counter()
        self.members_: list[Any] = []

        def log() -> None:
            logger.info(
                "seed ensemble: %d of %d members fitted, %.0f s elapsed",
                len(self.members_),
                len(members),
                time.perf_counter() - started,
            )

        # the fits run here (jobs 1) or in the workers, each under its own guard (_fit_member)
        guard = MemoryGuard() if jobs <= 1 else contextlib.nullcontext()
        try:
            with heartbeat(log), guard:
                for member in fitted:  # in seed order
                    self.members_.append(member)
                    log()
        finally:
            if jobs > 1:  # loky keeps idle workers 300 s, each with a fit's memory: stop them
                from joblib.externals.loky import get_reusable_executor

                get_reusable_executor().shutdown(wait=True)
        return self

    def allocate(self, X: Any, dates: pd.DatetimeIndex) -> pd.DataFrame:
        if not hasattr(self, "members_"):
            raise NotFittedError("SeedEnsemble is not fitted yet: call fit(X) first")
        data = as_data(X)
        first = self.members_[0]
        if hasattr(first, "model_inputs") and all(
            type(m) is type(first) and list(m.features) == list(first.features)
            for m in self.members_
        ):  # the same features of the same prices: computed once for every member
            inputs = first.model_inputs(data)
            with ThreadPoolExecutor(self._predicting_threads()) as pool:  # in member order
                frames = list(pool.map(lambda m: m.allocate(data, dates, inputs), self.members_))
        else:
            frames = [member.allocate(data, dates) for member in self.members_]
        self.member_weights_ = frames  # each member's own decisions, for its solo backtest
        return sum(frames[1:], frames[0]) / len(frames)

    def _predicting_threads(self) -> int:
        """Members predicting at once in :meth:`allocate`: up to ``jobs``, as many as the
        usable cores hold with torch's threads each (torch's kernels release the GIL; with one
        torch thread a process on 2 cores, two members predict in parallel)."""
        import torch  # layer 5: the members are torch models

        room = usable_cores() // max(1, torch.get_num_threads())
        return max(1, min(int(self.jobs), len(self.members_), room))

    def save(self, directory: str | os.PathLike[str], extra: dict[str, Any] | None = None) -> Path:
        """Write each member to ``directory/seed-<seed>.pt`` and the list to ``ensemble.json``
        (a directory, not one file: ``load`` takes the directory or that ``ensemble.json``)."""
        if not hasattr(self, "members_"):
            raise NotFittedError("SeedEnsemble is not fitted yet: call fit(X) first")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        files = []
        for seed, member in zip(self.seeds, self.members_, strict=True):
            name = f"seed-{seed}.pt"
            member.save(directory / name, {**(extra or {}), "seed": seed})
            files.append({"seed": seed, "file": name})
        path = directory / ENSEMBLE_FILE
        write_json(path, {"members": files})
        return path

    @classmethod
    def load(
        cls, directory: str | os.PathLike[str], load_member: Callable[[Path], Any] | None = None
    ) -> Self:
        """The fitted ensemble saved by :meth:`save` (its directory, or the ``ensemble.json``
        :meth:`save` returned); ``load_member`` reads one member file
        (default: the family class named in each checkpoint, through the registry).
        ``DataError`` naming the file if the list is missing or unreadable."""
        directory = Path(directory)
        if directory.name == ENSEMBLE_FILE:  # the path save() returned
            directory = directory.parent
        path = directory / ENSEMBLE_FILE
        try:
            listed = json.loads(path.read_text(encoding="utf-8"))["members"]
            seeds = [int(item["seed"]) for item in listed]
            files = [Path(directory) / str(item["file"]) for item in listed]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise DataError(f"{path}: cannot read the seed ensemble ({error})") from None
        members = [(load_member or registry_load)(file) for file in files]
        ensemble = cls(clone(members[0]), seeds)
        ensemble.members_ = members
        return ensemble


SeedEnsembleAllocator = SeedEnsemble
"""The earlier name of :class:`SeedEnsemble`."""


def _fit_member(member: Any, data: Any, threads: int) -> Any:
    import torch  # layer 5: torch is allowed here; imported in the worker process

    torch.set_num_threads(threads)
    with MemoryGuard():  # a large universe's fit fragments the C heap (evofolio.memory)
        return member.fit(data)


class RecordedAllocator(BaseAllocator):
    """Decisions already made (``weights``: dates × assets), given back for the dates asked:
    to backtest one member of an ensemble on the very dates and data the ensemble traded
    (:attr:`SeedEnsemble.member_weights_`) without running its network again. A date it did
    not decide is a ``DataError``, never a guess."""

    def __init__(self, weights: pd.DataFrame | None = None) -> None:
        self.weights = weights

    def fit(self, X: Any, y: Any = None) -> Self:
        return self

    def allocate(self, X: Any, dates: pd.DatetimeIndex) -> pd.DataFrame:
        assert self.weights is not None
        missing = pd.DatetimeIndex(dates).difference(pd.DatetimeIndex(self.weights.index))
        if len(missing):
            raise DataError(
                f"no recorded decision for {missing[0]:%Y-%m-%d} (recorded: "
                f"{len(self.weights)} dates from {self.weights.index[0]:%Y-%m-%d})"
            )
        return self.weights.loc[dates]
