"""A small, real file system for the full-disk tests: a tmpfs mounted for the test (root
only: the tests that need one are skipped otherwise), read-only on request."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


@contextmanager
def small_volume(path: Path, size: str) -> Iterator[Path]:
    """``path`` as a tmpfs of ``size`` (e.g. ``"200k"``) within the block, unmounted after."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    path.mkdir(parents=True, exist_ok=True)
    done = _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path))
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def remount(path: Path, options: str) -> None:
    """Change a mounted volume's options: ``"size=50m"``, ``"ro"``, ``"rw"``."""
    done = _mount("-o", f"remount,{options}", str(path))
    assert done.returncode == 0, done.stderr


def fill(path: Path) -> None:
    """Fill the volume holding ``path`` to the last byte (a file named ``filler``)."""
    descriptor = os.open(path / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    os.write(descriptor, b"\0" * size)
            except OSError:
                continue
    finally:
        os.close(descriptor)
