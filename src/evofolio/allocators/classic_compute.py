"""Where the classic rules' decisions are computed: in parallel, once, with progress.

A rule's decision at date *t* depends only on the rule, its window, its covariance estimator
and the returns of the window ending at *t*: it is the same whether the prices given stop at
the end of the development period or of the holdout. So every decision is kept in an
in-process memo keyed by a digest of exactly those inputs, and a run asks skfolio for it
once: the strategy panel (Model 2's inputs), the benchmark's validation returns, the
holdout's baselines and their equal blend share the fits wherever rule, window and date
coincide.

Decisions not in the memo are computed in parallel over dates (joblib processes, ``jobs``
of them) and reported through a progress callback. The command line sets both with
:func:`classic_compute`; library code needs no argument and runs serially, logging its
progress at INFO every few seconds.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed

from evofolio.heartbeat import LOG_EVERY_S
from evofolio.strategies import strategy_weights
from evofolio.typing import FloatArray

IntArray = np.ndarray

logger = logging.getLogger(__name__)

TASK_CELLS = 2_000
"""At most this many dates × assets per parallel task, so that progress comes back every few
seconds at any size: 4 dates a task at 500 assets (HRP's 4 decisions take ~4 s); 16 dates,
the usual cap, below 125 assets. The decisions are the same whatever the split."""
MEMO_BYTES = 256 * 2**20
"""Bytes of decided weights the memo keeps (least recently used dropped first)."""


@dataclass(frozen=True)
class RuleProgress:
    """How far one rule is: ``done`` of ``total`` decision dates (cached ones count as done at
    once), seconds ``elapsed`` since it started and the estimated seconds ``remaining``
    (None before the first computed date)."""

    rule: str
    done: int
    total: int
    elapsed: float
    remaining: float | None


ProgressCallback = Callable[[RuleProgress], None]


@dataclass(frozen=True)
class ComputeSettings:
    """``jobs``: processes for the rules' fits (1: in this process); ``on_progress``: called
    after each batch of dates."""

    jobs: int = 1
    on_progress: ProgressCallback | None = None


_SETTINGS: ContextVar[ComputeSettings | None] = ContextVar("classic_compute", default=None)


@contextmanager
def classic_compute(
    jobs: int = 1, on_progress: ProgressCallback | None = None
) -> Iterator[ComputeSettings]:
    """Within the block, classic rules fit with ``jobs`` processes and report to
    ``on_progress``."""
    settings = ComputeSettings(max(1, int(jobs)), on_progress)
    token = _SETTINGS.set(settings)
    try:
        yield settings
    finally:
        _SETTINGS.reset(token)


def release_workers() -> None:
    """Stop joblib's idle worker processes now instead of after loky's 300-s idle timeout.

    Parallel fits (``jobs > 1``) leave loky's reusable pool of worker processes alive, each
    holding its imports and whatever it last computed (0.2 GB after classic decisions, up to
    1.4 GB after fitting a seed ensemble's networks at 300 assets). A step that next starts
    processes of its own (the search's workers) calls this first, so the idle pool does not
    sit in memory beside them; the next parallel fit starts a fresh pool (about a second).
    Nothing to do outside a :func:`classic_compute` block with ``jobs > 1``."""
    settings = _SETTINGS.get()
    if settings is None or settings.jobs <= 1:
        return
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)


Decision = FloatArray | str
"""A rule's weights ``(assets,)`` at one date, or the message of why it could not be applied."""


class _Memo:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.items: OrderedDict[bytes, Decision] = OrderedDict()

    def get(self, key: bytes) -> Decision | None:
        value = self.items.get(key)
        if value is not None:
            self.items.move_to_end(key)
        return value

    def put(self, key: bytes, value: Decision) -> None:
        if key in self.items:
            return
        self.items[key] = value
        self.size += _nbytes(value)
        while self.size > self.max_bytes and len(self.items) > 1:
            _, dropped = self.items.popitem(last=False)
            self.size -= _nbytes(dropped)

    def clear(self) -> None:
        self.items.clear()
        self.size = 0


def _nbytes(value: Decision) -> int:
    return value.nbytes if isinstance(value, np.ndarray) else len(value)


_MEMO = _Memo(MEMO_BYTES)


def clear_memo() -> None:
    """Forget every remembered decision (tests; a long-lived process that changes data)."""
    _MEMO.clear()


def _row_digests(returns: FloatArray) -> list[bytes]:
    return [hashlib.blake2b(row.tobytes(), digest_size=16).digest() for row in returns]


def _fit_chunk(
    name: str,
    rows: FloatArray,
    ends: Sequence[int],
    window: int,
    covariance: str,
    assets: list[str],
    columns: Sequence[IntArray] | None = None,
) -> list[Decision]:
    """Decisions at the window ends ``ends`` (row positions in ``rows``); runs in a worker.
    ``columns``: per end, the assets (column positions) the rule is fitted on."""
    out: list[Decision] = []
    for k, end in enumerate(ends):
        block, names = rows[end - window : end], assets
        if columns is not None:
            block, names = block[:, columns[k]], [assets[c] for c in columns[k]]
        try:
            out.append(strategy_weights(name, block, names, covariance))
        except ValueError as error:
            out.append(str(error))
    return out


def decide(
    name: str,
    returns: FloatArray,
    positions: Sequence[int],
    window: int,
    covariance: str,
    assets: Sequence[str],
    columns: Sequence[IntArray] | None = None,
) -> list[Decision]:
    """Rule ``name``'s decision at each position: fitted on ``returns[pos - window:pos]``
    (``returns``: rows × assets; the caller aligns rows so that this window ends at the
    decision date). ``covariance`` is a resolved estimator name. ``columns`` (a ragged
    universe): per position, the assets the rule is fitted on (column positions; the
    decision then has one weight per such asset).

    Remembered decisions are reused; the others are computed in parallel over dates with the
    jobs of :func:`classic_compute`, reporting progress after each batch.
    """
    settings = _SETTINGS.get() or ComputeSettings()
    names = [str(a) for a in assets]
    keys = _keys(name, returns, positions, window, covariance, names, columns)
    out: list[Decision | None] = [_MEMO.get(key) for key in keys]
    missing = [i for i, value in enumerate(out) if value is None]
    started = time.perf_counter()
    total = len(positions)
    reporter = _Reporter(name, total, total - len(missing), started, settings.on_progress)
    if missing:
        jobs = min(settings.jobs, len(missing))
        size = max(1, min(16, math.ceil(len(missing) / (jobs * 8)), TASK_CELLS // len(names)))
        chunks = [missing[i : i + size] for i in range(0, len(missing), size)]
        tasks = []
        for chunk in chunks:
            first = positions[chunk[0]] - window
            rows = np.ascontiguousarray(returns[first : positions[chunk[-1]]])
            ends = [positions[i] - first for i in chunk]
            subsets = None if columns is None else [columns[i] for i in chunk]
            tasks.append(delayed(_fit_chunk)(name, rows, ends, window, covariance, names, subsets))
        if jobs > 1:
            results = Parallel(n_jobs=jobs, return_as="generator")(tasks)
        else:
            results = (function(*args, **kwargs) for function, args, kwargs in tasks)
        for chunk, decided in zip(chunks, results, strict=True):
            for i, value in zip(chunk, decided, strict=True):
                out[i] = value
                _MEMO.put(keys[i], value)
            reporter.advance(len(chunk))
    reporter.finish()
    return [value for value in out if value is not None]


def _keys(
    name: str,
    returns: FloatArray,
    positions: Sequence[int],
    window: int,
    covariance: str,
    names: list[str],
    columns: Sequence[IntArray] | None = None,
) -> list[bytes]:
    """The memo key of each decision: the rule, window, estimator, assets and the digests of
    the window's rows (so the same window gives the same key whatever rows surround it);
    with ``columns``, also the assets each decision is fitted on."""
    digests = _row_digests(returns)
    head = hashlib.blake2b(repr((name, window, covariance, names)).encode(), digest_size=16)
    keys = []
    for k, pos in enumerate(positions):
        key = head.copy()
        if columns is not None:
            key.update(np.asarray(columns[k], dtype=np.int64).tobytes())
        key.update(b"".join(digests[pos - window : pos]))
        keys.append(key.digest())
    return keys


def remember(
    name: str,
    returns: FloatArray,
    positions: Sequence[int],
    window: int,
    covariance: str,
    assets: Sequence[str],
    decisions: FloatArray,
) -> None:
    """Keep decisions computed earlier (a strategy panel read from the disk cache) as if
    :func:`decide` had just computed them: ``decisions[k]`` is rule ``name``'s weights fitted
    on ``returns[positions[k] - window:positions[k]]``. Only real decisions belong here, never
    a fallback's held weights."""
    names = [str(a) for a in assets]
    keys = _keys(name, returns, positions, window, covariance, names)
    for key, row in zip(keys, np.asarray(decisions, dtype=np.float64), strict=True):
        _MEMO.put(key, row.copy())


class _Reporter:
    def __init__(
        self,
        rule: str,
        total: int,
        cached: int,
        started: float,
        callback: ProgressCallback | None,
    ) -> None:
        self.rule, self.total, self.cached, self.started = rule, total, cached, started
        self.computed = 0
        self.callback = callback
        self.logged = started
        self.emit()

    def advance(self, count: int) -> None:
        self.computed += count
        self.emit()

    def emit(self) -> None:
        now = time.perf_counter()
        elapsed = now - self.started
        left = self.total - self.cached - self.computed
        remaining = elapsed / self.computed * left if self.computed else None
        done = self.cached + self.computed
        if self.callback is not None:
            self.callback(RuleProgress(self.rule, done, self.total, elapsed, remaining))
        elif now - self.logged >= LOG_EVERY_S and left:
            self.logged = now
            logger.info(
                "classic rule %s: %d of %d dates, %.0f s elapsed, about %.0f s left",
                self.rule,
                done,
                self.total,
                elapsed,
                remaining or 0.0,
            )

    def finish(self) -> None:
        if self.callback is None and self.computed and time.perf_counter() - self.started > 1.0:
            logger.info(
                "classic rule %s: %d dates in %.1f s (%d remembered)",
                self.rule,
                self.total,
                time.perf_counter() - self.started,
                self.cached,
            )
