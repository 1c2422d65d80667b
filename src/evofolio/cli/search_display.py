"""The live display of a search: a progress line and one summary line per generation."""

from __future__ import annotations

import time
from types import TracebackType
from typing import TYPE_CHECKING

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from evofolio.cli.common import clock, console, err_console
from evofolio.heartbeat import LOG_EVERY_S

if TYPE_CHECKING:
    from evofolio.search.engine import SearchEvent
    from evofolio.search.engine.trial_record import RunningTrial

_clock = clock

HEARTBEAT_S = LOG_EVERY_S
"""Off a terminal, the status line is printed when a trial ends and at least this often."""


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _running(trial: RunningTrial) -> str:
    """``#12 fold 1/2, epoch 7 (max 30), 0:41``: a running trial, its note and its time."""
    parts = [f"#{trial.number}"]
    if trial.note:
        parts.append(f" {trial.note}")
    if trial.seconds is not None:
        parts.append(f", {_clock(trial.seconds)}")
    return "".join(parts)


class SearchDisplay:
    """Receives :class:`SearchEvent` s; shows generation, trials done / failed / running,
    best and median fitness, elapsed and remaining time, and prints a line per generation.

    The status names each running trial with its own note (fold, epoch) and its time so far.
    On a terminal it is a live line; otherwise (``2>log``, CI, a notebook's captured stderr)
    the same status is printed as a plain line each time a trial ends and at least every
    :data:`HEARTBEAT_S` seconds, so a log of a long search shows it moving, trial by trial.
    """

    def __init__(self) -> None:
        self.plain = not err_console.is_terminal
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            console=err_console,
            transient=True,
            disable=self.plain,  # plain lines instead; a transient display leaves an empty line
        )
        self.task = self.progress.add_task("gen -", total=None, status="starting")
        self.generation = -1
        self.last: SearchEvent | None = None
        self.closed = False
        self.ended = -1
        self.printed = -float("inf")

    def __enter__(self) -> SearchDisplay:
        self.progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close(summary=kind is None)

    def close(self, summary: bool = True) -> None:
        """Stop the live line; print the last generation's summary once."""
        if self.closed:
            return
        self.closed = True
        self.progress.stop()
        if summary and self.last is not None:
            self._summary(self.last)

    def __call__(self, event: SearchEvent) -> None:
        if self.closed:
            return
        counts = event.counts
        if self.last is not None and event.generation > self.generation >= 0:
            self._summary(self.last)
        self.generation = event.generation
        self.last = event
        status = (
            f"complete {counts.complete} · failed {counts.failed} · pruned {counts.pruned} · "
            f"running {counts.running} · best {_num(event.best)} · median {_num(event.median)}"
            f" · {_clock(event.elapsed_s)} elapsed · ~{_clock(event.eta_s)} left"
        )
        if event.islands:
            status += " · " + ", ".join(f"{n} {min(c, t)}/{t}" for n, c, t in event.islands)
        if event.waiting_for is not None:
            status += f" · waiting for generation {event.waiting_for + 1}"
        if event.running:
            status += " · " + "; ".join(_running(trial) for trial in event.running)
        ended = counts.complete + counts.failed + counts.pruned
        now = time.monotonic()
        due = ended != self.ended or now - self.printed >= HEARTBEAT_S
        if self.plain and due and not event.finished:
            self.ended, self.printed = ended, now
            err_console.print(
                f"gen {event.generation + 1}/{event.generations}: "
                f"{min(counts.spent, event.target)}/{event.target} evaluated · {status}",
                highlight=False,
                soft_wrap=True,
            )
        self.progress.update(
            self.task,
            total=event.target,
            completed=min(counts.spent, event.target),
            description=f"gen {event.generation + 1}/{event.generations}",
            status=status,
        )
        if event.finished:
            self.close()

    def _summary(self, event: SearchEvent) -> None:
        counts = event.counts
        console.print(
            f"generation {self.generation + 1}/{event.generations}: {counts.complete} complete, "
            f"{counts.failed} failed, {counts.pruned} pruned; best fitness {_num(event.best)}, "
            f"median {_num(event.median)}; {_clock(event.elapsed_s)} elapsed"
        )
