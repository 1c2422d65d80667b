"""Write a command's output directory all at once, or not at all.

Files are written into a temporary sibling directory; only when everything succeeded are they
moved into the destination (created if needed). On error the temporary directory is removed,
so a failed command never leaves a half-written output directory, and files already in the
destination that the command does not write are never touched.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from evofolio.errors import UsageError


@contextmanager
def staged_output(destination: str | Path) -> Iterator[Path]:
    """Yield a temporary directory; on success move its contents into ``destination``."""
    destination = Path(destination)
    if destination.exists() and not destination.is_dir():
        raise UsageError(f"output path exists and is not a directory: {destination}")
    parent = destination.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=parent))
    except OSError as error:
        raise UsageError(f"cannot write output directory {destination}: {error}") from None
    try:
        yield staging
        destination.mkdir(parents=True, exist_ok=True)
        for item in sorted(staging.iterdir()):
            target = destination / item.name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            item.replace(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
