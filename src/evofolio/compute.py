"""The CPU cores this process may really use, and torch's threads in a process that trains.

A process may use the cores of its affinity mask (``os.sched_getaffinity``: ``taskset``, a
container's cpuset), at most as many as its cgroup's CPU quota allows (``docker --cpus 2`` on
a 64-core host: affinity 64, quota 2). ``os.cpu_count()`` sees neither, and torch's default
(one thread per core it finds) sees no quota. Nor does either see the other programs that keep
those cores busy: with more torch threads than the cores left free, OpenMP's threads wait on
each other at every parallel region, and the small networks of a search gain little from a
second thread on an idle machine. Measured on 2 cores kept busy by other programs (load
average 2-3, ``benchmarks/bench_threads.py``): a Model 2 trial (3 layers of 15 units) took
34 s with two torch threads against 2.5 s with one; its median epoch 0.26 s against 0.037 s,
its longest 5.5 s, 150x the one-thread median (issue 21's "30x in-search slowdown").

:func:`threads_per_process` gives each of ``jobs`` processes its share of the cores that are
usable and not already busy (the usable cores less the 1-minute load average, at least one
thread each); :func:`limit_threads` applies it where a training process starts (the command
line's process, the search's worker processes and its in-process evaluator, the seed
ensemble's workers).
``training.threads``, when set, still overrides it inside each fit.

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
    "load_average",
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


def load_average() -> float:
    """The 1-minute load average (runnable processes, this one's included; 0 where the
    platform has none)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return 0.0


def threads_per_process(jobs: int, cores: int | None = None, load: float | None = None) -> int:
    """Torch threads for each of ``jobs`` processes sharing ``cores`` (default
    :func:`usable_cores`) of which ``load`` (default :func:`load_average`) are busy: the free
    cores ``cores - round(load)`` divided among the jobs, at least 1 each.

    The load is read once, as the processes start: on a machine that others keep busy each
    trains with fewer threads (one, on 2 busy cores), on an idle one with all its share.
    """
    if cores is None:
        cores = usable_cores()
    if load is None:
        load = load_average()
    free = min(cores, max(1, cores - round(max(0.0, load))))
    return max(1, free // max(1, jobs))


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
