"""The CPU cores this process may really use, and torch's threads in a process that trains.

A process may use the cores of its affinity mask (``os.sched_getaffinity``: ``taskset``, a
container's cpuset), at most as many as its cgroup's CPU quota allows (``docker --cpus 2`` on
a 64-core host: affinity 64, quota 2). ``os.cpu_count()`` sees neither, and torch's default
(one thread per core it finds) sees no quota. Nor does either leave room for anything else:
the search's own parent process and storage, the operating system, other programs. With as
many torch threads as cores, any of those preempts one of OpenMP's threads and the others
wait for it at every parallel region. Measured on 2 cores kept busy by other programs (load
average 2-3, ``benchmarks/bench_threads.py``): a Model 2 trial (3 layers of 15 units) took
34 s with two torch threads against 2.5 s with one; its median epoch 0.26 s against 0.037 s,
its longest 5.5 s, 150x the one-thread median (issue 21's "30x in-search slowdown"); a
one-job ``evolve`` of 4 Model 2 genomes took 124 s with torch's default against 25 s.

:func:`threads_per_process` leaves one usable core for the rest and divides the others among
``jobs`` processes, at least one thread each (2 cores: one thread, whatever ``jobs``; 16 cores
and one job: 15). It depends on the machine only, not on its load at the time, so a seeded
run repeats on one machine (the thread count changes float rounding, hence trained weights).
:func:`limit_threads` applies it where a training process starts (the command line's
process, the search's worker processes and its in-process evaluator, the seed ensemble's
workers). ``training.threads``, when set, still overrides it inside each fit.

No torch import here: the search engine's workers import this before they know whether
their evaluator needs torch.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

__all__ = [
    "cgroup_cpu_limit",
    "limit_threads",
    "threads_per_process",
    "usable_cores",
]

CGROUP_ROOT = Path("/sys/fs/cgroup")
"""Where the cgroup CPU quota is read: ``cpu.max`` (cgroup v2) or ``cpu/cpu.cfs_quota_us``
and ``cpu/cpu.cfs_period_us`` (cgroup v1)."""

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def cgroup_cpu_limit(root: Path = CGROUP_ROOT) -> int | None:
    """The cores the cgroup's CPU quota amounts to (rounded up), or ``None`` without one.

    cgroup v2 ``cpu.max`` holds ``"<quota> <period>"`` or ``"max <period>"``; cgroup v1
    ``cpu.cfs_quota_us`` holds ``-1`` when there is no quota. Unreadable or malformed files
    count as no quota.
    """
    text = _read(root / "cpu.max")
    if text is not None:
        parts = text.split()
        if len(parts) == 2 and parts[0] != "max":
            return _cores(parts[0], parts[1])
        return None
    quota, period = (
        _read(root / "cpu" / "cpu.cfs_quota_us"),
        _read(root / "cpu" / "cpu.cfs_period_us"),
    )
    if quota is None or period is None:
        return None
    return _cores(quota, period)


def _cores(quota: str, period: str) -> int | None:
    try:
        q, p = int(quota), int(period)
    except ValueError:
        return None
    if q <= 0 or p <= 0:
        return None
    return max(1, math.ceil(q / p))


def usable_cores(root: Path = CGROUP_ROOT) -> int:
    """The cores this process may use: its affinity mask, capped by its cgroup's CPU quota
    (at least 1)."""
    if hasattr(os, "sched_getaffinity"):
        cores = len(os.sched_getaffinity(0))
    else:  # macOS, Windows: no affinity mask
        cores = os.cpu_count() or 1
    limit = cgroup_cpu_limit(root)
    if limit is not None:
        cores = min(cores, limit)
    return max(1, cores)


def threads_per_process(jobs: int, cores: int | None = None) -> int:
    """Torch threads for each of ``jobs`` processes on ``cores`` usable cores (default
    :func:`usable_cores`): one core left for the rest, the others divided among the jobs,
    at least 1 each."""
    if cores is None:
        cores = usable_cores()
    return max(1, (cores - 1) // max(1, jobs))


def limit_threads(threads: int) -> None:
    """Give torch (and the BLAS/OpenMP pools) ``threads`` threads in this process.

    The environment variables reach torch if it is imported later; torch is not imported
    here, so a process that never needs it does not pay for it.
    """
    for variable in THREAD_VARIABLES:
        os.environ[variable] = str(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)
