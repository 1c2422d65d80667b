"""The seed ensemble: one genome refitted with K seeds, trading the average of their weights.

A neural allocator's result moves with its training seed. The champion that trades the
holdout is therefore not one fit but K (seeds ``seed, seed+1, ..., seed+K-1``): each day the
ensemble holds the average of the K members' weights, which is again long-only and fully
invested. The choice is fixed before the holdout is touched.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Self

import pandas as pd
from joblib import Parallel, delayed

from evofolio.allocators.factory import NeuralAllocator, neural_factory
from evofolio.allocators.strategy_panel import StrategyPanel
from evofolio.config import RunConfig
from evofolio.errors import DataError
from evofolio.heartbeat import heartbeat
from evofolio.outdir import write_json

logger = logging.getLogger(__name__)

__all__ = ["ENSEMBLE_FILE", "FittedAllocator", "SeedEnsembleAllocator", "seed_list"]

ENSEMBLE_FILE = "ensemble.json"


def seed_list(seed: int, count: int) -> list[int]:
    """The seeds of a ``count``-member ensemble starting at ``seed``."""
    if count < 1:
        raise ValueError(f"an ensemble needs at least one seed, got {count}")
    return [seed + k for k in range(count)]


class SeedEnsembleAllocator:
    """Average of the weights of several allocators of one genome trained with other seeds.

    ``members`` are fresh, unfitted allocators (one per seed); :meth:`fit` fits each on the
    same prices. :meth:`allocate` returns the mean of the members' weights (``dates`` ×
    assets), causal because each member's is. ``seeds`` labels the members.
    """

    def __init__(
        self, members: Sequence[NeuralAllocator], seeds: Sequence[int], jobs: int = 1
    ) -> None:
        if len(members) != len(seeds) or not members:
            raise ValueError("give one seed per member, and at least one member")
        self.members = list(members)
        self.seeds = list(seeds)
        self.jobs = jobs

    @classmethod
    def from_config(
        cls,
        config: RunConfig,
        seeds: Sequence[int],
        *,
        market: pd.Series | None = None,
        panel: StrategyPanel | None = None,
        jobs: int = 1,
    ) -> SeedEnsembleAllocator:
        """Unfitted members of ``config``'s family, one per seed; ``jobs`` processes fit them."""
        members = []
        for seed in seeds:
            make = neural_factory(
                config.model_copy(update={"seed": seed}), market=market, panel=panel
            )
            members.append(make())
        return cls(members, seeds, jobs)

    def fit(self, prices: pd.DataFrame) -> Self:
        """Fit every member on ``prices``: in this process, or in ``jobs`` worker processes
        (each with ``cores // jobs`` torch threads); seeded, so both give the same models."""
        jobs = min(self.jobs, len(self.members))
        if jobs <= 1:
            fitted: Iterable[NeuralAllocator] = (member.fit(prices) for member in self.members)
        else:
            threads = max(1, (os.cpu_count() or 1) // jobs)
            fitted = Parallel(n_jobs=jobs, backend="loky", return_as="generator")(
                delayed(_fit_member)(member, prices, threads) for member in self.members
            )
        started = time.perf_counter()
        self.members_: list[NeuralAllocator] = []

        def log() -> None:
            logger.info(
                "seed ensemble: %d of %d members fitted, %.0f s elapsed",
                len(self.members_),
                len(self.members),
                time.perf_counter() - started,
            )

        with heartbeat(log):
            for member in fitted:  # in seed order
                self.members_.append(member)
                log()
        return self

    def allocate(self, prices: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
        frames = [member.allocate(prices, dates) for member in self.members_]
        return sum(frames[1:], frames[0]) / len(frames)

    def save(self, directory: str | Path, extra: dict[str, Any] | None = None) -> Path:
        """Write each member to ``directory/seed-<seed>.pt`` and the list to ``ensemble.json``."""
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
        cls, directory: str | Path, load_member: Callable[[Path], NeuralAllocator]
    ) -> SeedEnsembleAllocator:
        """The fitted ensemble saved by :meth:`save`; ``load_member`` reads one member file
        (e.g. ``AssetLSTMAllocator.load`` with the market series). ``DataError`` naming the
        file if the list is missing or unreadable."""
        path = Path(directory) / ENSEMBLE_FILE
        try:
            listed = json.loads(path.read_text(encoding="utf-8"))["members"]
            seeds = [int(item["seed"]) for item in listed]
            files = [Path(directory) / str(item["file"]) for item in listed]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise DataError(f"{path}: cannot read the seed ensemble ({error})") from None
        ensemble = cls([load_member(file) for file in files], seeds)
        ensemble.members_ = ensemble.members
        return ensemble


def _fit_member(member: NeuralAllocator, prices: pd.DataFrame, threads: int) -> NeuralAllocator:
    import torch  # layer 5: torch is allowed here; imported in the worker process

    torch.set_num_threads(threads)
    return member.fit(prices)


class FittedAllocator:
    """An already fitted allocator whose :meth:`fit` does nothing: to backtest one member of
    a fitted ensemble on the dates the ensemble traded, without training it again."""

    def __init__(self, fitted: NeuralAllocator) -> None:
        self.fitted = fitted

    def fit(self, prices: pd.DataFrame) -> Self:
        return self

    def allocate(self, prices: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
        return self.fitted.allocate(prices, dates)
