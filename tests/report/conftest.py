"""Fixtures of the report tests: run directories written by the real pipeline.

Each kind of run is made once per session by :func:`evofolio.search.jobs.run.run_pipeline`
on tiny synthetic prices (3 assets, 2 generations × 4 genomes, 1 epoch, 1 champion seed,
3 classic rules), so the report is tested on exactly the files ``evofolio run`` writes.
Tests get a fresh copy (``run_dir``) that they may damage.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from real_run import distinct_prices, real_run


@pytest.fixture(scope="session")
def multi_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Multi-objective, both families: the run every report test reads (do not modify)."""
    return real_run(
        tmp_path_factory.mktemp("runs"),
        "multi",
        multi_objective=True,
        families=["asset", "portfolio"],
    )


@pytest.fixture(scope="session")
def single_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Single-objective, asset family only (do not modify)."""
    return real_run(
        tmp_path_factory.mktemp("runs"), "single", multi_objective=False, families=["asset"]
    )


@pytest.fixture(scope="session")
def mix_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Model 2 alone (single-objective), on three clearly different assets over ten years
    with a five-year holdout, tested at 0.1 with 400 resamples against min_variance: a
    champion with a strategy mix, significantly ahead of some classic rules (equal weight)
    and behind others (do not modify)."""
    return real_run(
        tmp_path_factory.mktemp("runs"),
        "mix",
        prices=distinct_prices(2600),
        multi_objective=False,
        families=["portfolio"],
        evaluation={"n_boot": 400, "significance": 0.1, "benchmark": "min_variance"},
        holdout_start="2015-01-01",
    )


@pytest.fixture
def run_dir(multi_run: Path, tmp_path: Path) -> Path:
    """A private copy of :func:`multi_run` that the test may change."""
    return Path(shutil.copytree(multi_run, tmp_path / "run"))
