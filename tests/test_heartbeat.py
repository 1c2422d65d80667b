"""A long step's heartbeat logs while its block runs, and stops with it."""

from __future__ import annotations

import time

from evofolio.heartbeat import heartbeat


def test_heartbeat_calls_the_log_while_the_block_runs_and_stops_after() -> None:
    calls: list[float] = []
    deadline = time.monotonic() + 10.0
    with heartbeat(lambda: calls.append(time.monotonic()), every=0.02):
        while len(calls) < 3 and time.monotonic() < deadline:  # a busy machine may be slow
            time.sleep(0.01)
    during = len(calls)
    time.sleep(0.1)
    assert during >= 3 and len(calls) == during


def test_a_failing_log_never_breaks_the_work() -> None:
    def broken() -> None:
        raise RuntimeError("the console went away")

    with heartbeat(broken, every=0.01):
        time.sleep(0.05)
    assert True  # the block ran to its end; the thread stopped quietly
