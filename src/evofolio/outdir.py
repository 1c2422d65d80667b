"""The one way evofolio writes files: atomically, a file or a whole directory, or not at all.

* :func:`atomic_file` yields a temporary path beside the target; the caller writes it, and
  only when that succeeded is it renamed onto the target (``os.replace``), so readers see the
  old file or the new one, never half of one.
* :func:`staged_output` yields a temporary sibling directory; only when everything in it was
  written are its contents moved into the destination (created if needed; a destination
  that does not exist yet is renamed into place in one step). On error the temporary
  directory is removed, so a failed command never leaves a half-written output directory,
  and files already in the destination that the command does not write are never touched.
* :func:`plain` is the one JSON cleaner and :func:`write_json` the one JSON writer.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from evofolio.errors import UsageError

__all__ = ["atomic_file", "plain", "staged_output", "write_json"]


@contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (parents created); on success rename it onto
    ``path``, on error remove it and leave ``path`` as it was.

    Raises:
        OSError: from the caller's writing or the rename (the temporary file is removed).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


@contextmanager
def staged_output(destination: str | Path) -> Iterator[Path]:
    """Yield a temporary directory; on success move its contents into ``destination``.

    Raises:
        UsageError: ``destination`` is a file, or its parent cannot be written.
    """
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
        if not destination.exists():
            staging.chmod(0o755)
            staging.replace(destination)  # one rename: the directory appears whole
            return
        for item in sorted(staging.iterdir()):
            target = destination / item.name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            item.replace(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def plain(value: Any) -> Any:
    """``value`` as strict JSON data: NaN and infinities become ``null``, numpy and pandas
    scalars and arrays Python numbers and lists, mappings objects with string keys, tuples
    lists, dates ISO strings, anything else (paths, ...) its ``str``."""
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if hasattr(value, "tolist"):  # numpy scalars and arrays, pandas series
        return plain(value.tolist())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, dt.date):  # pandas Timestamps included
        return value.isoformat()
    return str(value)


def write_json(path: str | Path, payload: Any) -> None:
    """Write ``payload`` as indented, strictly valid JSON (see :func:`plain`), atomically."""
    text = json.dumps(plain(payload), indent=2, allow_nan=False)
    with atomic_file(path) as temporary:
        temporary.write_text(text + "\n", encoding="utf-8")
