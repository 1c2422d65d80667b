"""Write a command's output directory all at once, or not at all.

Files are written into a temporary sibling directory; only when everything succeeded are they
moved into the destination (created if needed). On error the temporary directory is removed,
so a failed command never leaves a half-written output directory, and files already in the
destination that the command does not write are never touched.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


def plain(value: Any) -> Any:
    """``value`` as strict JSON data: NaN and infinities become ``null``, numpy scalars and
    arrays Python numbers and lists, dates ISO strings, anything else its ``str``."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return plain(value.tolist())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, dt.date):  # pandas Timestamps included
        return value.isoformat()
    return str(value)


def write_json(path: Path, payload: Any) -> None:
    """Write ``payload`` as indented, strictly valid JSON (see :func:`plain`)."""
    text = json.dumps(plain(payload), indent=2, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
