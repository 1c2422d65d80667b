"""Real processes that hold a run directory's locks, for the tests of concurrent use."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HOLD = textwrap.dedent(
    """
    import sys
    from evofolio.runlock import search_lock, worker_lock

    hold = search_lock if sys.argv[2] == "search" else worker_lock
    with hold(sys.argv[1]):
        print("held", flush=True)
        sys.stdin.read()  # until the test closes our stdin (or kills us)
    """
)


class Holder:
    """A python process holding ``run_dir``'s search (or worker) lock until released."""

    def __init__(self, run_dir: Path, role: str = "search") -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(run_dir), role],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.strip() == "held", line + (self.process.stderr.read() if line == "" else "")

    @property
    def pid(self) -> int:
        return self.process.pid

    def release(self) -> None:
        """End the holder normally (its lock is released as it exits)."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)

    def crash(self) -> None:
        """SIGKILL the holder: no clean-up runs, its lock file stays behind."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


@contextmanager
def holding(run_dir: Path, role: str = "search") -> Iterator[Holder]:
    holder = Holder(run_dir, role)
    try:
        yield holder
    finally:
        if holder.process.poll() is None:
            holder.release()
