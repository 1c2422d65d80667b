"""evofolio.memory: the guard releases the C heap's free pages while the process is above its
bound, never below it, and once more on leaving; the search's workers and the seed ensemble's
member fits run under it."""

from __future__ import annotations

import platform
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from evofolio.memory import MemoryGuard, release_memory, resident_bytes


class Recorder:
    def __init__(self) -> None:
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self) -> bool:
        with self.lock:
            self.calls += 1
        return True


def test_the_guard_releases_above_its_bound_only() -> None:
    above, below = Recorder(), Recorder()
    with MemoryGuard(100, 0.01, resident=lambda: 101, release=above) as high:
        time.sleep(0.2)
    with MemoryGuard(100, 0.01, resident=lambda: 99, release=below) as low:
        time.sleep(0.2)
    assert high.releases >= 3 and above.calls == high.releases + 1  # + once on leaving
    assert low.releases == 0 and below.calls == 1
    unknown = Recorder()
    with MemoryGuard(100, 0.01, resident=lambda: None, release=unknown) as blind:
        time.sleep(0.1)
    assert blind.releases == 0 and unknown.calls == 1


def test_the_guard_stops_its_thread_on_leaving() -> None:
    before = set(threading.enumerate())
    with MemoryGuard(0, 0.01, release=Recorder()):
        assert len(set(threading.enumerate()) - before) == 1
    assert set(threading.enumerate()) - before == set()
    with pytest.raises(ValueError, match="every"):
        MemoryGuard(every=0)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_release_and_resident_size_on_glibc() -> None:
    size = resident_bytes()
    assert size is not None and size > 10 * 2**20  # this interpreter, numpy and pytest
    assert release_memory() is True


def test_search_workers_run_under_the_guard_and_release_after_each_trial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import optuna

    from evofolio.search.engine import run_search, workers

    sys_path = str(Path(__file__).parent / "search" / "engine")
    monkeypatch.syspath_prepend(sys_path)
    from test_engine_generic import Parabola, stub_plan

    events: list[str] = []

    class Guard:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pass

        def __enter__(self) -> Guard:
            events.append("enter")
            return self

        def __exit__(self, *args: object) -> None:
            events.append("exit")

    monkeypatch.setattr(workers, "MemoryGuard", Guard)
    monkeypatch.setattr(workers, "release_memory", lambda: events.append("release") or True)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    result = run_search(stub_plan(tmp_path / "run", population=2, generations=2), Parabola)
    assert result.counts.complete == 4
    assert events[0] == "enter" and events[-1] == "exit"
    assert events.count("release") == 4  # one per trial, inside the guard
