"""The cores a process may use (affinity mask, cgroup CPU quota) and torch's threads in each
of the processes that train."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

import evofolio.compute as compute
from evofolio.compute import cgroup_cpu_limit, limit_threads, threads_per_process, usable_cores


@pytest.fixture
def affinity(monkeypatch: pytest.MonkeyPatch) -> list[set[int]]:
    """Set ``affinity[0]`` to fake this process's affinity mask."""
    mask = [set(range(8))]
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: mask[0], raising=False)
    return mask


def v2(root: Path, text: str) -> Path:
    (root / "cpu.max").write_text(text + "\n")
    return root


def v1(root: Path, quota: str, period: str = "100000") -> Path:
    (root / "cpu").mkdir(parents=True)
    (root / "cpu" / "cpu.cfs_quota_us").write_text(quota + "\n")
    (root / "cpu" / "cpu.cfs_period_us").write_text(period + "\n")
    return root


def test_the_cgroup_quota_in_cores_rounded_up(tmp_path: Path) -> None:
    assert cgroup_cpu_limit(tmp_path) is None  # no cgroup files: no quota
    assert cgroup_cpu_limit(v2(tmp_path, "150000 100000")) == 2
    assert cgroup_cpu_limit(v2(tmp_path, "max 100000")) is None
    assert cgroup_cpu_limit(v2(tmp_path, "50000 100000")) == 1  # half a core: one thread
    assert cgroup_cpu_limit(v2(tmp_path, "garbage")) is None


def test_the_cgroup_v1_quota(tmp_path: Path) -> None:
    assert cgroup_cpu_limit(v1(tmp_path / "a", "-1")) is None  # -1: no quota
    assert cgroup_cpu_limit(v1(tmp_path / "b", "400000")) == 4


def test_usable_cores_are_the_affinity_mask_capped_by_the_quota(
    tmp_path: Path, affinity: list[set[int]]
) -> None:
    assert usable_cores(tmp_path) == 8  # no quota
    affinity[0] = {2, 5, 7}
    assert usable_cores(tmp_path) == 3  # taskset / a cpuset: fewer cores than the machine's
    affinity[0] = set(range(64))
    assert usable_cores(v2(tmp_path, "200000 100000")) == 2  # docker --cpus 2 on 64 cores
    affinity[0] = {0}
    assert usable_cores(tmp_path) == 1  # the quota never raises it


@pytest.mark.parametrize(
    ("jobs", "cores", "threads"),
    [
        (1, 2, 1),  # 2 cores: one thread, one core left (the module's figures)
        (2, 2, 1),
        (1, 1, 1),
        (1, 16, 15),
        (2, 16, 7),
        (3, 16, 5),
        (4, 8, 1),
        (20, 8, 1),  # more jobs than cores: still one thread each
        (0, 3, 2),  # jobs below 1 count as one
    ],
)
def test_one_core_is_left_and_the_rest_divided_among_the_jobs(
    jobs: int, cores: int, threads: int
) -> None:
    assert threads_per_process(jobs, cores) == threads


def test_the_default_cores_are_the_usable_ones(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, affinity: list[set[int]]
) -> None:
    monkeypatch.setattr(compute.usable_cores, "__defaults__", (tmp_path,))  # no quota
    affinity[0] = set(range(7))
    assert threads_per_process(2) == 3
    affinity[0] = set(range(64))
    assert threads_per_process(1, usable_cores(v2(tmp_path, "400000 100000"))) == 3
    affinity[0] = {0}
    assert threads_per_process(2) == 1


def test_limit_threads_sets_torch_and_the_pools_of_processes_started_later(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = torch.get_num_threads()
    for variable in compute.THREAD_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    try:
        limit_threads(1)
        assert torch.get_num_threads() == 1
        assert all(os.environ[v] == "1" for v in compute.THREAD_VARIABLES)
    finally:
        torch.set_num_threads(before)


def test_a_training_process_of_the_search_takes_its_share(
    monkeypatch: pytest.MonkeyPatch, affinity: list[set[int]], tmp_path: Path
) -> None:
    """The search's evaluator is built in each process that trains (the workers, or this
    process with one job): it gives torch the process's share of the usable cores; the
    pool's workers get the same share."""
    import evofolio.search.engine.pool as pool
    import evofolio.search.fitness as fitness
    from evofolio.config import parse_config

    monkeypatch.setattr(compute.usable_cores, "__defaults__", (tmp_path,))
    applied: list[int] = []
    monkeypatch.setattr(fitness, "limit_threads", applied.append)
    affinity[0] = set(range(7))
    fitness.make_evaluator(None, parse_config({"search": {"jobs": 2}}))  # type: ignore[arg-type]
    fitness.make_evaluator(None, parse_config({"search": {"jobs": 1}}))  # type: ignore[arg-type]
    assert applied == [3, 6]
    assert pool.available_cores() == 7
    affinity[0] = {0, 1}
    assert pool.available_cores() == 2


def test_the_command_line_process_takes_the_cores_it_may_use(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Every command may train in its own process (``train``, ``run``, a one-job search)."""
    from typer.testing import CliRunner

    import evofolio.cli as cli

    applied: list[int] = []
    monkeypatch.setattr(cli, "limit_threads", applied.append)
    monkeypatch.setattr(cli, "threads_per_process", lambda jobs: 7 if jobs == 1 else -1)
    result = CliRunner().invoke(cli.app, ["data", "--data", str(tmp_path / "none.csv")])
    assert result.exit_code == 2  # the missing file: the command ran after the set-up
    assert applied == [7]
