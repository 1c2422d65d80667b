"""Every writer on a full disk, a read-only directory, an I/O error or a file-size limit:
one ``OutputError`` naming the file and the cause, and the old file (or nothing) left."""

from __future__ import annotations

import errno
import os
import resource
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest
import sqlalchemy
import torch

from evofolio.errors import OutputError
from evofolio.outdir import atomic_file, staged_output, storage_errno, write_json, write_parquet
from evofolio.search.engine.storage import storage_failure
from small_volume import fill, remount, small_volume

BIG = pd.DataFrame(np.random.default_rng(0).random((20000, 4)), columns=list("abcd"))


def _text(path: Path) -> None:
    with atomic_file(path) as temporary:
        temporary.write_text("x" * 200_000)


def _parquet(path: Path) -> None:
    write_parquet(path, BIG)


def _json(path: Path) -> None:
    write_json(path, {"values": list(range(50_000))})


def _torch(path: Path) -> None:  # PyTorch says "unexpected pos ...", not ENOSPC
    with atomic_file(path) as temporary:
        torch.save({"weights": torch.zeros(100_000)}, temporary)


WRITERS: dict[str, Callable[[Path], None]] = {
    "text": _text,
    "parquet": _parquet,
    "json": _json,
    "torch": _torch,
}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("kind", WRITERS)
def test_a_full_disk_names_the_file_and_keeps_the_old_one(kind: str, tmp_path: Path) -> None:
    with small_volume(tmp_path / "disk", "128k") as disk:
        target = disk / f"out.{kind}"
        target.write_text("old")
        with pytest.raises(OutputError) as raised:
            WRITERS[kind](target)
        assert str(raised.value) == f"cannot write {target}: no space left on device"
        assert raised.value.errno == errno.ENOSPC and raised.value.path == str(target)
        assert target.read_text() == "old" and leftovers(disk) == []


def test_a_read_only_directory_names_the_file(tmp_path: Path) -> None:
    with small_volume(tmp_path / "disk", "1m") as disk:
        target = disk / "metrics.json"
        target.write_text("old")
        remount(disk, "ro")
        expected = f"^cannot write {target}: read-only file system$"
        for writer in WRITERS.values():
            with pytest.raises(OutputError, match=expected):
                writer(target)
        with pytest.raises(OutputError, match="read-only file system$"), staged_output(disk / "bt"):
            pass
        assert target.read_text() == "old"


def test_an_io_error_in_a_staged_directory_names_the_final_file(tmp_path: Path) -> None:
    """An EIO cannot be made on demand: a writer raises it as the kernel would."""
    out = tmp_path / "bt"
    with pytest.raises(OutputError) as raised, staged_output(out) as staging:
        write_json(staging / "metrics.json", {"a": 1})
        with atomic_file(staging / "held.parquet"):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
    assert str(raised.value) == f"cannot write {out}/held.parquet: input/output error"
    assert not out.exists() and leftovers(tmp_path) == []


def test_a_file_size_limit_is_named_too(tmp_path: Path) -> None:
    """RLIMIT_FSIZE (no root needed): the kernel refuses with EFBIG (Python ignores SIGXFSZ)."""
    script = (
        "import sys, resource\n"
        "from evofolio.outdir import write_parquet\n"
        "import pandas as pd, numpy as np\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))\n"
        "write_parquet(sys.argv[1], pd.DataFrame(np.random.default_rng(0).random((20000, 4))))\n"
    )
    target = tmp_path / "big.parquet"
    done = subprocess.run(
        [sys.executable, "-c", script, str(target)], capture_output=True, text=True
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"evofolio.errors.OutputError: cannot write {target}: file too large"
    )
    assert not target.exists() and leftovers(tmp_path) == []
    assert resource.getrlimit(resource.RLIMIT_FSIZE)[0] == resource.RLIM_INFINITY


def test_sqlite_full_through_sqlalchemy_and_optuna_names_the_database() -> None:
    """How a full disk reaches the search: SQLite's words, wrapped twice."""
    try:
        try:
            raise sqlalchemy.exc.OperationalError(
                "INSERT", {}, sqlite3.OperationalError("database or disk is full")
            )
        except sqlalchemy.exc.OperationalError as error:
            raise optuna.exceptions.StorageInternalError(
                "An exception is raised during the commit."
            ) from error
    except optuna.exceptions.StorageInternalError as wrapped:
        failure = storage_failure(wrapped, "sqlite:////runs/r/search.db", Path("/runs/r"))
    assert failure is not None
    assert str(failure) == "cannot write /runs/r/search.db: no space left on device"
    assert storage_errno(ValueError("objective values are not finite")) is None
    assert storage_failure(ValueError("a genome's own failure")) is None


def test_filling_the_disk_is_what_the_tests_think(tmp_path: Path) -> None:
    with small_volume(tmp_path / "disk", "64k") as disk:
        fill(disk)
        assert os.statvfs(disk).f_bavail == 0
