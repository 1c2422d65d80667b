"""Each warning once per run, with a count (issue 23: one data warning was printed 3-5 times
in a run, because the data is read by several steps: the search, the classic rules, the
refits, the holdout).

:func:`warnings_once` installs a :class:`OnceFilter` on the handlers of the ``evofolio``
logger for the duration of a job (the command line's handler holds one for the whole
command): the first record of each warning text passes, the later identical ones
are counted and dropped, and when the job ends one line names each repeated warning and how
many times it occurred in all. Nested uses (a CLI command calling :func:`evofolio.run`) share
the outer filter.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Iterator

__all__ = ["OnceFilter", "report_repeats", "warnings_once"]

LOGGER = "evofolio"


class OnceFilter(logging.Filter):
    """Passes the first record of each (level, text) at WARNING and above; counts the rest."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: Counter[tuple[int, str]] = Counter()
        self._last: tuple[logging.LogRecord | None, bool] = (None, True)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        last, verdict = self._last
        if record is last:  # the same record on the next handler: counted already
            return verdict
        key = (record.levelno, record.getMessage())
        self.seen[key] += 1
        verdict = self.seen[key] == 1
        self._last = (record, verdict)
        return verdict

    def repeated(self) -> list[tuple[str, int]]:
        """The warnings seen more than once, with their counts, in order of first sight."""
        return [(text, n) for (_, text), n in self.seen.items() if n > 1]


@contextlib.contextmanager
def warnings_once(logger_name: str = LOGGER) -> Iterator[OnceFilter]:
    """Within the block, each warning that ``logger_name`` (and its children, and any logger
    sharing its handlers) sends to its handlers is emitted once; at the end, one INFO line
    per repeated warning gives its count. A handler that already holds a
    :class:`OnceFilter` (the command line's, or an outer job's) keeps counting in it."""
    logger = logging.getLogger(logger_name)
    handlers = [
        h for h in _handlers(logger) if not any(isinstance(f, OnceFilter) for f in h.filters)
    ]
    once = OnceFilter()
    for handler in handlers:  # a handler that already counts keeps its own filter
        handler.addFilter(once)
    try:
        yield once
    finally:
        for handler in handlers:
            handler.removeFilter(once)
        report_repeats(once, logger)


def report_repeats(once: OnceFilter, logger: logging.Logger) -> None:
    """One INFO line on ``logger`` per warning ``once`` saw more than once."""
    for text, count in once.repeated():
        short = text if len(text) <= 120 else text[:117] + "..."
        logger.info("the warning '%s' occurred %d times in this run (shown once)", short, count)


def _handlers(logger: logging.Logger) -> list[logging.Handler]:
    """The handlers the records of ``logger`` reach (``logging.lastResort`` when none)."""
    out: list[logging.Handler] = []
    current: logging.Logger | None = logger
    while current is not None:
        out.extend(current.handlers)
        current = current.parent if current.propagate else None
    if not out and logging.lastResort is not None:
        out.append(logging.lastResort)
    return out
