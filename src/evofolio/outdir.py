"""The one way evofolio writes files: atomically, a file or a whole directory, or not at all.

* :func:`atomic_file` yields a temporary path beside the target; the caller writes it, and
  only when that succeeded is it renamed onto the target (``os.replace``), so readers see the
  old file or the new one, never half of one.
* :func:`staged_output` yields a temporary sibling directory; only when everything in it was
  written are its contents moved into the destination (created if needed; a destination
  that does not exist yet is renamed into place in one step). On error the temporary
  directory is removed, so a failed command never leaves a half-written output directory,
  and files already in the destination that the command does not write are never touched.
* :func:`plain` is the one JSON cleaner and :func:`write_json` the one JSON writer;
  :func:`write_parquet` the one parquet writer.

A write that fails for want of storage (a full disk, a read-only directory, an I/O error,
a quota, a file-size limit) raises :class:`~evofolio.errors.OutputError` naming the final
path and the cause in words (:func:`output_error`); :func:`storage_errno` recognises such a
failure however a library reports it (an ``OSError``, PyTorch's ``file write failed``,
SQLite's ``database or disk is full`` wrapped by SQLAlchemy and Optuna).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno as errno_codes
import json
import math
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from evofolio.errors import OutputError, UsageError

__all__ = [
    "STORAGE_ERRNOS",
    "atomic_file",
    "output_error",
    "plain",
    "staged_output",
    "storage_errno",
    "write_json",
    "write_parquet",
]

STORAGE_ERRNOS = frozenset(
    {
        errno_codes.ENOSPC,
        errno_codes.EDQUOT,
        errno_codes.EROFS,
        errno_codes.EIO,
        errno_codes.EFBIG,
        errno_codes.EACCES,
    }
)
"""The OS errors that say the storage, not the data, is at fault."""

_TEXT_CAUSES = (
    ("database or disk is full", errno_codes.ENOSPC),
    ("no space left on device", errno_codes.ENOSPC),
    ("disk quota exceeded", errno_codes.EDQUOT),
    ("readonly database", errno_codes.EROFS),
    ("read-only file system", errno_codes.EROFS),
    ("disk i/o error", errno_codes.EIO),
    ("input/output error", errno_codes.EIO),
    ("file too large", errno_codes.EFBIG),
)
_ERRNO_TEXT = re.compile(r"errno[\s:=]*(\d+)", re.IGNORECASE)


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _probe(path: Path) -> int | None:
    """ENOSPC or EROFS if the file system holding ``path`` is full or read-only now."""
    for folder in (path, *path.parents):
        try:
            stats = os.statvfs(folder)
        except OSError:
            continue
        if stats.f_flag & os.ST_RDONLY:
            return errno_codes.EROFS
        if stats.f_bavail * stats.f_frsize < 64 * 1024:
            return errno_codes.ENOSPC
        return None
    return None


def storage_errno(error: BaseException, path: str | Path | None = None) -> int | None:
    """The storage failure behind ``error`` (one of :data:`STORAGE_ERRNOS`), or None.

    Looks through the chain of causes for an ``OSError`` with such an ``errno``, then for
    the words drivers use (SQLite's ``database or disk is full``, ``[Errno 28]``...). With
    ``path`` (the file being written), a writer's error that gives no cause (PyTorch's
    ``unexpected pos 704 vs 598``) is put down to the file system of ``path`` when that is
    full or read-only now.
    """
    for item in _chain(error):
        if isinstance(item, OSError) and item.errno in STORAGE_ERRNOS:
            return item.errno
    for item in _chain(error):
        text = str(item).lower()
        for words, number in _TEXT_CAUSES:
            if words in text:
                return number
        for match in _ERRNO_TEXT.finditer(text):
            if int(match.group(1)) in STORAGE_ERRNOS:
                return int(match.group(1))
    if path is not None and not isinstance(error, OSError):
        return _probe(Path(path))
    return None


def output_error(error: BaseException, path: str | Path) -> OutputError:
    """``error`` (raised while writing ``path``) as one :class:`OutputError` line:
    ``cannot write PATH: no space left on device``."""
    if isinstance(error, OutputError):
        return error
    number = storage_errno(error, path)
    if number is None and isinstance(error, OSError):
        number = error.errno
    if number is not None:
        reason = os.strerror(number).lower()
    elif isinstance(error, OSError) and error.strerror:
        reason = error.strerror.lower()
    else:
        lines = str(error).strip().splitlines()
        reason = lines[0] if lines else type(error).__name__
    return OutputError(f"cannot write {path}: {reason}", str(path), reason, number)


@contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (parents created); on success flush it to the
    disk (``fsync``) and rename it onto ``path``, on error remove it and leave ``path`` as it
    was.

    Raises:
        OutputError: the caller's writing, the flush or the rename failed for want of
            storage (full disk, read-only directory, I/O error...), or any ``OSError``,
            naming ``path`` and the cause; the temporary file is removed.
    """
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        yield temporary
        _fsync(temporary)
        os.replace(temporary, target)
    except OutputError:
        raise
    except OSError as error:
        raise output_error(error, target) from None
    except Exception as error:  # a library's own words for a failed write (torch.save)
        if storage_errno(error, target.parent) is None:
            raise
        raise output_error(error, target) from None
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def staged_output(destination: str | Path) -> Iterator[Path]:
    """Yield a temporary directory; on success move its contents into ``destination``.

    Raises:
        UsageError: ``destination`` is a file.
        OutputError: its parent, or any file written in the temporary directory, cannot be
            written (full disk, read-only directory, I/O error...), naming the file as it
            would have been under ``destination`` and the cause; nothing of it is left.
    """
    destination = Path(destination)
    if destination.exists() and not destination.is_dir():
        raise UsageError(f"output path exists and is not a directory: {destination}")
    parent = destination.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=parent))
    except OSError as error:
        raise output_error(error, destination) from None
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
    except OutputError as error:
        raise _renamed(error, staging, destination) from None
    except OSError as error:
        where = error.filename if isinstance(error.filename, str) else staging
        raise _renamed(output_error(error, where), staging, destination) from None
    except Exception as error:  # a library's own words for a failed write (torch.save)
        if storage_errno(error, staging) is None:
            raise
        raise _renamed(output_error(error, staging), staging, destination) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _renamed(error: OutputError, staging: Path, destination: Path) -> OutputError:
    """``error`` naming the file under ``destination`` rather than the temporary directory."""
    if error.path is None:
        return error
    path = error.path
    for form in (str(staging), str(staging.resolve())):
        if path.startswith(form):
            path = str(destination) + path[len(form) :]
            break
    path = re.sub(r"/\.([^/]+)\.\d+\.[0-9a-f]{8}\.tmp$", r"/\1", path)  # atomic_file's
    return OutputError(f"cannot write {path}: {error.reason}", path, error.reason, error.errno)


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
    """Write ``payload`` as indented, strictly valid JSON (see :func:`plain`), atomically.

    Raises:
        OutputError: as :func:`atomic_file`.
    """
    text = json.dumps(plain(payload), indent=2, allow_nan=False)
    with atomic_file(path) as temporary:
        temporary.write_text(text + "\n", encoding="utf-8")


def write_parquet(path: str | Path, frame: Any, **options: Any) -> None:
    """Write the DataFrame ``frame`` as parquet (``options``: ``to_parquet``'s), atomically.

    Raises:
        OutputError: as :func:`atomic_file`.
    """
    with atomic_file(path) as temporary:
        frame.to_parquet(temporary, **options)
