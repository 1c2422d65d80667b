"""Fixtures of the report tests: synthetic run directories (see synthetic_run.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from synthetic_run import MakeRunDir, make_run_dir


@pytest.fixture
def run_dir_factory(tmp_path: Path) -> MakeRunDir:
    """``run_dir_factory(name="run", **options)`` writes a run directory under tmp_path."""

    def make(name: str = "run", **options: Any) -> Path:
        return make_run_dir(tmp_path / name, **options)

    return make


@pytest.fixture
def run_dir(run_dir_factory: MakeRunDir) -> Path:
    return run_dir_factory()
