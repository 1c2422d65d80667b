"""Give memory that the C allocator keeps back to the operating system.

PyTorch's CPU tensors and NumPy's arrays come from the C library's ``malloc``. glibc serves a
block under its *mmap threshold* from its heap, and that threshold rises (up to 32 MiB) each
time a larger mmapped block is freed. Training on a large universe allocates and frees blocks
of many sizes up to that bound at every step (each chunk's activations, each group of
sequences), so the heap fragments: freed blocks stay mapped, and the process's resident memory
climbs far above what it holds. Measured on the 1,018-asset ragged benchmark universe
(``benchmarks/bench_ragged.py``; one ``asset_attention`` trial, 2 layers of 4 heads × 16,
116 + 228 rows, in a spawned process like a search worker): 3.1 GiB peak PSS where the arrays
alive never reached half of it, 2.9 GiB still resident after the trial had returned.

``malloc_trim(0)`` hands every whole free page back (``madvise``), wherever it lies in the
heap. :func:`release_memory` calls it once; :class:`MemoryGuard` calls it every ``every``
seconds while the process is above ``above`` bytes resident, so a small universe (whose
processes stay under the bound) never pays for it. A released page is faulted in again when
reused, hence the interval: on that trial, every 2 s gave 1.95 GiB peak and 48 s instead of
44 s; every 0.5 s, 1.6 GiB and 54 s (2-core AMD EPYC, idle, 2026-12-06).

Elsewhere than glibc (macOS, musl) both do nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
from collections.abc import Callable

from evofolio.heartbeat import heartbeat

__all__ = ["GUARD_ABOVE", "GUARD_EVERY", "MemoryGuard", "release_memory", "resident_bytes"]

GUARD_ABOVE = 2**30
""":class:`MemoryGuard`'s default bound: 1 GiB resident. A search worker on sp500's 20 assets
stays below it; on 500 assets it is above it for most of a trial."""

GUARD_EVERY = 2.0
""":class:`MemoryGuard`'s default interval in seconds (see the module's figures)."""


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_memory() -> bool:
    """Return the C allocator's free pages to the operating system (glibc's
    ``malloc_trim(0)``); False where there is no such call (not glibc)."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


def resident_bytes() -> int | None:
    """This process's resident memory in bytes (``/proc/self/statm``), None where unknown."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


class MemoryGuard(contextlib.ExitStack):
    """While active (``with MemoryGuard():``), a daemon thread
    (:func:`evofolio.heartbeat.heartbeat`) checks the resident memory every ``every`` seconds
    and calls ``release`` (:func:`release_memory`) when it is at least ``above`` bytes; on
    leaving, the thread stops and it releases once more.

    ``resident`` and ``release`` are the functions it calls (the tests give their own).
    """

    def __init__(
        self,
        above: int = GUARD_ABOVE,
        every: float = GUARD_EVERY,
        *,
        resident: Callable[[], int | None] = resident_bytes,
        release: Callable[[], bool] = release_memory,
    ) -> None:
        if every <= 0:
            raise ValueError(f"every must be positive, got {every}")
        super().__init__()
        self.above = above
        self.every = every
        self._resident = resident
        self._release = release
        self.releases = 0
        """How many times the thread released memory (the bound was reached)."""

    def _check(self) -> None:
        size = self._resident()
        if size is not None and size >= self.above and self._release():
            self.releases += 1

    def __enter__(self) -> MemoryGuard:
        super().__enter__()
        self.callback(self._release)  # last, once the thread has stopped (exits run LIFO)
        self.enter_context(heartbeat(self._check, self.every))
        return self
