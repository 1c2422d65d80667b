"""The seed ensemble: the average of its members' weights, causal, seeded, saved and loaded."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from evofolio.allocators.ensemble import (
    RecordedAllocator,
    SeedEnsemble,
    SeedEnsembleAllocator,
    seed_list,
)
from evofolio.allocators.neural import AssetLSTMAllocator
from evofolio.allocators.registry import estimator_for
from evofolio.config import parse_config
from evofolio.errors import DataError, ParameterError
from synthetic import random_prices

CONFIG = parse_config(
    {
        "seed": 4,
        "model": {"features": ["ret_1", "ret_5", "vol_21"], "hidden": 8},
        "training": {"epochs": 2, "seq_len": 10, "chunk_len": 20, "device": "cpu", "threads": 1},
    }
)


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    return random_prices(n_days=600, n_assets=4, seed=11)


@pytest.fixture(scope="module")
def ensemble(prices: pd.DataFrame) -> SeedEnsemble:
    members = SeedEnsemble(estimator_for(CONFIG), seed_list(4, 3))
    assert members.fit(prices.iloc[:400]) is members
    return members


def test_seed_list() -> None:
    assert seed_list(4, 3) == [4, 5, 6]
    with pytest.raises(ValueError, match="at least one seed"):
        seed_list(0, 0)
    with pytest.raises(ParameterError, match="at least one seed"):
        SeedEnsemble(estimator_for(CONFIG), []).fit(random_prices(n_days=100))


def test_members_are_clones_of_the_estimator_with_their_seeds() -> None:
    estimator = estimator_for(CONFIG)
    assert isinstance(estimator, AssetLSTMAllocator) and estimator.seed == 4
    ensemble = SeedEnsemble(estimator, seed_list(4, 3), jobs=2)
    assert SeedEnsembleAllocator is SeedEnsemble
    params = ensemble.get_params()
    assert params["estimator__network__hidden"] == 8 and params["jobs"] == 2
    assert params["estimator__features"] == ["ret_1", "ret_5", "vol_21"]
    copy = clone(ensemble)
    assert copy.estimator is not estimator and copy.get_params()["estimator__seed"] == 4
    assert not hasattr(copy, "members_")


def test_weights_are_the_members_average(ensemble: SeedEnsemble, prices: pd.DataFrame) -> None:
    dates = prices.index[420:600:5]
    weights = ensemble.allocate(prices, dates)
    each = [m.allocate(prices, dates).to_numpy() for m in ensemble.members_]
    np.testing.assert_allclose(weights.to_numpy(), np.mean(each, axis=0))
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-6)
    # the members differ (other seeds), so the average is not any one of them
    assert not np.allclose(each[0], each[1])
    # each member was trained with its own seed
    assert [m.seed for m in ensemble.members_] == [4, 5, 6]
    # the estimator given is a prototype: it is not fitted itself
    assert not hasattr(ensemble.estimator, "network_")


def test_ensemble_is_causal(ensemble: SeedEnsemble, prices: pd.DataFrame) -> None:
    dates = prices.index[420:600]
    cut = prices.index[500]
    base = ensemble.allocate(prices, dates)
    perturbed = prices.copy()
    perturbed.loc[perturbed.index > cut] *= 1.3
    other = ensemble.allocate(perturbed, dates)
    pd.testing.assert_frame_equal(base.loc[:cut], other.loc[:cut])


def test_save_and_load_give_the_same_weights(
    ensemble: SeedEnsemble, prices: pd.DataFrame, tmp_path: Path
) -> None:
    ensemble.save(tmp_path / "models")
    dates = prices.index[450:600:10]
    expected = ensemble.allocate(prices, dates)
    # each member file names its family: the registry reads it, no data needed
    loaded = SeedEnsemble.load(tmp_path / "models")
    assert loaded.seeds == [4, 5, 6]
    assert [m.seed for m in loaded.members_] == [4, 5, 6]
    pd.testing.assert_frame_equal(loaded.allocate(prices, dates), expected)
    # or a loader of one's own
    loaded = SeedEnsemble.load(tmp_path / "models", AssetLSTMAllocator.load)
    pd.testing.assert_frame_equal(loaded.allocate(prices, dates), expected)


def test_each_members_decisions_are_recorded_for_its_own_backtest(
    ensemble: SeedEnsemble, prices: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ensemble computes its members' shared inputs once and keeps each member's weights
    of its last allocate; a RecordedAllocator gives them back for those dates (what the member
    alone decides), and refuses a date it did not record."""
    dates = prices.index[450:460]
    computed: list[int] = []
    model_inputs = AssetLSTMAllocator.model_inputs

    def counted(self: AssetLSTMAllocator, X: object) -> object:
        computed.append(1)
        return model_inputs(self, X)

    monkeypatch.setattr(AssetLSTMAllocator, "model_inputs", counted)
    mean = ensemble.allocate(prices, dates)
    assert len(computed) == 1  # three members, one set of inputs
    monkeypatch.undo()
    for member, recorded in zip(ensemble.members_, ensemble.member_weights_, strict=True):
        pd.testing.assert_frame_equal(recorded, member.allocate(prices, dates))
        replay = RecordedAllocator(recorded)
        assert replay.fit(prices.iloc[:100]) is replay  # nothing trained
        pd.testing.assert_frame_equal(replay.allocate(prices, dates[2:5]), recorded.iloc[2:5])
    total = sum(ensemble.member_weights_[1:], ensemble.member_weights_[0])
    pd.testing.assert_frame_equal(mean, total / 3)
    with pytest.raises(DataError, match=f"no recorded decision for {prices.index[460]:%Y-%m-%d}"):
        RecordedAllocator(mean).allocate(prices, prices.index[455:461])


def test_members_fitted_in_worker_processes_are_the_same_models(
    ensemble: SeedEnsemble, prices: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    parallel = SeedEnsemble(estimator_for(CONFIG), seed_list(4, 3), jobs=2)
    with caplog.at_level("INFO", logger="evofolio.allocators.ensemble"):
        parallel.fit(prices.iloc[:400])
    # the worker processes are stopped once the members are in (not left idle for 300 s,
    # each holding a fit's memory, beside what runs next)
    assert _children() == []
    lines = [r.getMessage() for r in caplog.records if "members fitted" in r.getMessage()]
    counts = [int(line.split(" of 3 ")[0].rsplit(" ", 1)[1]) for line in lines]
    assert counts == sorted(counts) and {1, 2, 3} <= set(counts), lines
    assert lines[-1].startswith("seed ensemble: 3 of 3 members fitted")
    dates = prices.index[420:600:5]
    np.testing.assert_allclose(
        parallel.allocate(prices, dates).to_numpy(),
        ensemble.allocate(prices, dates).to_numpy(),
        atol=1e-5,
    )
    # members predicting in parallel threads: each one's own decisions, in seed order
    for member, recorded in zip(parallel.members_, parallel.member_weights_, strict=True):
        pd.testing.assert_frame_equal(recorded, member.allocate(prices, dates))


def test_members_predict_in_parallel_as_far_as_the_cores_hold_their_threads(
    ensemble: SeedEnsemble, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    import evofolio.allocators.ensemble as module

    threads = torch.get_num_threads()
    parallel = clone(ensemble).set_params(jobs=2)
    parallel.members_ = ensemble.members_
    try:
        torch.set_num_threads(1)
        monkeypatch.setattr(module, "usable_cores", lambda: 2)
        assert parallel._predicting_threads() == 2
        assert ensemble._predicting_threads() == 1  # jobs = 1
        torch.set_num_threads(2)  # one member's kernels take both cores
        assert parallel._predicting_threads() == 1
        monkeypatch.setattr(module, "usable_cores", lambda: 16)
        assert parallel._predicting_threads() == 2
    finally:
        torch.set_num_threads(threads)


def _children() -> list[int]:
    """The live child processes of this one but the resource trackers (a few MB each, kept by
    joblib and multiprocessing for the life of the process): Linux, read from /proc."""
    mine = str(os.getpid())
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if fields[1] == mine and fields[0] != "Z" and b"resource_tracker" not in command:
            found.append(int(stat.parent.name))
    return found


def test_members_fitted_in_this_process_run_under_the_memory_guard(
    prices: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    import contextlib

    import evofolio.allocators.ensemble as module

    entered: list[int] = []

    @contextlib.contextmanager
    def guard() -> object:
        entered.append(1)
        yield

    monkeypatch.setattr(module, "MemoryGuard", guard)
    SeedEnsemble(estimator_for(CONFIG), seed_list(4, 2)).fit(prices.iloc[:300])
    assert entered == [1]  # one guard around both fits (jobs 1)
