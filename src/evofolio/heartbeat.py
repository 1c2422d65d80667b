"""Log lines that show a long step is alive while its work runs elsewhere (worker processes)."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator

logger = logging.getLogger(__name__)

LOG_EVERY_S = 5.0
"""How often a long step shows it is alive: :func:`heartbeat`'s beat, the classic rules'
progress lines and, off a terminal, the search's status line (one cadence for all)."""


@contextlib.contextmanager
def heartbeat(log: Callable[[], None], every: float | None = None) -> Iterator[None]:
    """Within the block, a daemon thread calls ``log()`` every ``every`` seconds (default
    :data:`LOG_EVERY_S`), so a step whose units of work take long (a seed's whole training in
    a worker process, a trial training in this very thread) still shows it is moving; the
    caller also calls ``log()`` as each unit ends. A failing ``log`` is reported once at
    debug level and stops the beat, never the work."""
    interval = LOG_EVERY_S if every is None else every
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(interval):
            try:
                log()
            except Exception as error:  # a progress line must never break the work
                logger.debug("heartbeat stopped: %s", error)
                return

    thread = threading.Thread(target=beat, name="evofolio-heartbeat-log", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
