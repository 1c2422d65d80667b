"""Who is using a run directory: the search's lock, its workers' lock, and the readers' check.

A run directory is written by one search at a time and read (``report``, ``allocate``,
:func:`evofolio.load_champion`) only when no search runs in it. Two lock files in the run
directory, held with ``flock(2)`` (the kernel releases them when the holding process ends,
however it ends: a lock left by a crash, a SIGKILL or a power cut never blocks anyone):

* ``search.lock``: held exclusively by the process that runs the search and writes the
  champion (``evofolio run`` / ``evolve``, :func:`evofolio.run`); it holds who holds it
  (pid, host, start time, command) for the messages. A second one is refused at once.
* ``workers.lock``: held shared by every ``evolve --worker-only`` process whose ``--out``
  this is (workers join a running search; they never refuse each other or the coordinator).

A reader that finds either lock held refuses with :class:`~evofolio.errors.SearchRunningError`
(one line naming the directory and the holder). Over NFS (v4) ``flock`` locks are seen by
every client; a crashed client's lock is released when its lease expires (about 90 s).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from evofolio.errors import SearchRunningError
from evofolio.run_layout import SEARCH_LOCK, WORKERS_LOCK

try:
    import fcntl
except ImportError:  # pragma: no cover - not a POSIX system: no locking
    fcntl = None  # type: ignore[assignment]

__all__ = ["Holder", "check_not_running", "holder_of", "search_lock", "worker_lock"]

LOCK_FILES = frozenset({SEARCH_LOCK, WORKERS_LOCK})
RETRY_S = 1.0
"""How long a search retries its lock: a reader's check holds it for an instant."""

_held: dict[Path, int] = {}
"""Run directories this process holds a lock on (its own reads are not refused)."""


@dataclass(frozen=True)
class Holder:
    """Who holds a run directory: ``role`` (``"search"`` or ``"worker"``) and, for the
    search, what its lock file says (None where it could not be read)."""

    role: str
    pid: int | None = None
    host: str | None = None
    started: str | None = None
    command: str | None = None

    def describe(self) -> str:
        """``a search (pid 12, host h, started ...)``, as much as is known."""
        what = "a search" if self.role == "search" else "a search worker (--worker-only)"
        parts = [
            f"pid {self.pid}" if self.pid is not None else "",
            f"host {self.host}" if self.host else "",
            f"started {self.started}" if self.started else "",
        ]
        known = ", ".join(part for part in parts if part)
        return f"{what} ({known})" if known else what


def _key(run_dir: Path) -> Path:
    return Path(os.path.abspath(run_dir))


def _open(path: Path, *, create: bool) -> int | None:
    flags = os.O_RDWR | (os.O_CREAT if create else 0)
    try:
        return os.open(path, flags, 0o644)
    except FileNotFoundError:
        return None
    except OSError:
        if create:
            raise
        try:  # a directory we may only read: a shared lock needs no write access
            return os.open(path, os.O_RDONLY)
        except OSError:
            return None


def _try_lock(fd: int, operation: int) -> bool:
    try:
        fcntl.flock(fd, operation | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _read_holder(fd: int, role: str) -> Holder:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        info = json.loads(os.read(fd, 65536).decode("utf-8"))
        return Holder(
            role,
            int(info["pid"]),
            str(info["host"]),
            str(info["started"]),
            str(info.get("command", "")) or None,
        )
    except (OSError, ValueError, KeyError, TypeError):  # being written, or not ours
        return Holder(role)


def holder_of(run_dir: str | Path) -> Holder | None:
    """Who holds ``run_dir`` now (its search first, else a worker), or None: nobody does,
    this process itself does, or the system has no ``flock``."""
    run_dir = _key(Path(run_dir))
    if fcntl is None or run_dir in _held:
        return None
    for name, role in ((SEARCH_LOCK, "search"), (WORKERS_LOCK, "worker")):
        fd = _open(run_dir / name, create=False)
        if fd is None:
            continue
        try:
            if _try_lock(fd, fcntl.LOCK_EX):
                fcntl.flock(fd, fcntl.LOCK_UN)
                continue
            return _read_holder(fd, role) if role == "search" else Holder(role)
        finally:
            os.close(fd)
    return None


def check_not_running(run_dir: str | Path, what: str) -> None:
    """Refuse to read ``run_dir`` as a finished run while a search runs in it.

    ``what``: what the caller would do (``"report"``, ``"allocate"``...), for the message.

    Raises:
        SearchRunningError: a search (or a worker) holds the directory's lock.
    """
    holder = holder_of(run_dir)
    if holder is not None:
        raise SearchRunningError(
            f"{run_dir}: {holder.describe()} is running in this run directory, whose "
            f"files describe no finished run yet ({what} would read a stale or half-replaced "
            "state): wait until it ends"
        )


@contextlib.contextmanager
def search_lock(run_dir: str | Path, command: str | None = None) -> Iterator[None]:
    """Hold ``run_dir``'s search lock within the block (the directory is created; if the
    block fails and left nothing but the lock files in a directory it created, the
    directory is removed).

    Raises:
        SearchRunningError: another process runs a search in ``run_dir`` (naming it).
        OutputError: the directory or its lock file cannot be created.
    """
    run_dir = _key(Path(run_dir))
    if fcntl is None or run_dir in _held:
        yield
        return
    created = _make_dir(run_dir)
    try:
        fd = _lock_file(run_dir / SEARCH_LOCK)
    except BaseException:
        _remove_if_empty(run_dir, created)
        raise
    try:
        if not _acquire(fd, fcntl.LOCK_EX):
            holder = _read_holder(fd, "search")
            raise SearchRunningError(
                f"run directory {run_dir} is in use: {holder.describe()} is running there; "
                "wait for it to end, or give another --out"
            )
        _write_holder(fd, command)
        _held[run_dir] = fd
        try:
            yield
        finally:
            _held.pop(run_dir, None)
    except BaseException:
        _remove_if_empty(run_dir, created)
        raise
    finally:
        os.close(fd)  # releases the lock


@contextlib.contextmanager
def worker_lock(run_dir: str | Path) -> Iterator[None]:
    """Hold ``run_dir``'s workers' lock (shared: any number of workers, beside a search)
    within the block, so readers of the directory know a search is running.

    Raises:
        OutputError: the directory or its lock file cannot be created.
    """
    run_dir = _key(Path(run_dir))
    if fcntl is None or run_dir in _held:
        yield
        return
    created = _make_dir(run_dir)
    fd = _lock_file(run_dir / WORKERS_LOCK)
    try:
        _acquire(fd, fcntl.LOCK_SH)  # only a reader's instant check can hold it against us
        _held[run_dir] = fd
        try:
            yield
        finally:
            _held.pop(run_dir, None)
    except BaseException:
        _remove_if_empty(run_dir, created)
        raise
    finally:
        os.close(fd)


def _acquire(fd: int, operation: int) -> bool:
    deadline = time.monotonic() + RETRY_S
    while not _try_lock(fd, operation):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _make_dir(run_dir: Path) -> bool:
    from evofolio.outdir import output_error

    created = not run_dir.exists()
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise output_error(error, run_dir) from None
    return created


def _lock_file(path: Path) -> int:
    from evofolio.outdir import output_error

    try:
        fd = _open(path, create=True)
    except OSError as error:
        raise output_error(error, path) from None
    assert fd is not None
    return fd


def _write_holder(fd: int, command: str | None) -> None:
    """Who holds the lock, for the messages of those refused (best effort: a full disk
    must not stop the search from taking its lock)."""
    info = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": command or " ".join(sys.argv),
    }
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode("utf-8"), 0)
        os.fsync(fd)


def _remove_if_empty(run_dir: Path, created: bool) -> None:
    """Remove a directory this process created if it holds only lock files."""
    if not created:
        return
    with contextlib.suppress(OSError):
        if set(os.listdir(run_dir)) <= LOCK_FILES:
            shutil.rmtree(run_dir, ignore_errors=True)
