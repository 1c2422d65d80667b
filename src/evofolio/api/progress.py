"""The progress a notebook or a script sees by default while :func:`evofolio.run`,
:func:`evofolio.evolve` and :func:`evofolio.validate` work (``progress=False`` silences it).

A `tqdm <https://tqdm.github.io>`_ bar per search (``tqdm.auto``: a widget in Jupyter when
ipywidgets is installed, a text bar on stderr otherwise) counts the evaluated genomes against
the budget (pruned ones included, as the budget counts them) and shows the generation, the
best and median fitness, each model family's count and the time left; each stage of the job
(the classic rules, the champion's refits, the holdout) is one line above it. Optuna's own
INFO lines ("A new study created ...") are quieted to warnings while the job runs.

The same events reach your own callbacks instead when you pass them: ``on_event`` receives
each :class:`~evofolio.search.engine.progress.SearchEvent` (counts, best, median, time left,
running trials, per-family counts) and ``on_stage`` each stage's sentence.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from typing import Any

from evofolio.logs import warnings_once
from evofolio.search.engine.progress import SearchEvent

__all__ = ["NotebookProgress", "progress_callbacks", "quiet_optuna_info"]


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class NotebookProgress:
    """``on_event`` and ``on_stage`` callbacks drawing a tqdm bar per search.

    ``file``: where a text bar goes (default stderr). A new bar starts when a search starts
    after the previous one finished (``validate`` runs one search per outer period)."""

    def __init__(self, file: Any = None) -> None:
        self.file = file if file is not None else sys.stderr
        self.bar: Any = None
        self.searches = 0

    def on_event(self, event: SearchEvent) -> None:
        if self.bar is None:
            from tqdm.auto import tqdm  # type: ignore[import-untyped]

            self.searches += 1
            self.bar = tqdm(
                total=event.target,
                desc=f"search {self.searches}" if self.searches > 1 else "search",
                unit="genome",
                file=self.file,
                dynamic_ncols=True,
                leave=True,
            )
        counts = event.counts
        done = min(counts.spent, event.target)
        self.bar.total = event.target
        self.bar.n = done
        parts = [
            f"gen {event.generation + 1}/{event.generations}",
            f"best {event.best:.3f}" if event.best is not None else "best -",
            f"median {event.median:.3f}" if event.median is not None else "median -",
            f"pruned {counts.pruned}",
        ]
        if counts.failed:
            parts.append(f"failed {counts.failed}")
        if event.islands:
            parts.append(", ".join(f"{name} {min(c, t)}/{t}" for name, c, t in event.islands))
        parts.append(f"~{_clock(event.eta_s)} left")
        self.bar.set_postfix_str(" · ".join(parts), refresh=False)
        self.bar.refresh()
        if event.finished:
            self.bar.close()
            self.bar = None

    def on_stage(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=self.file)
        else:
            print(text, file=self.file, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


@contextlib.contextmanager
def quiet_optuna_info() -> Iterator[None]:
    """Optuna's own logger at WARNING within the block (its level restored after)."""
    import optuna

    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(max(before, logging.WARNING))
    try:
        yield
    finally:
        optuna.logging.set_verbosity(before)


@contextlib.contextmanager
def progress_callbacks(
    progress: bool,
    on_event: Callable[[SearchEvent], None] | None,
    on_stage: Callable[[str], None] | None,
) -> Iterator[tuple[Callable[[SearchEvent], None] | None, Callable[[str], None] | None]]:
    """The callbacks a job uses: the caller's own where given, else (``progress=True``) a
    :class:`NotebookProgress`'s, else none; Optuna's INFO lines quieted meanwhile."""
    display = NotebookProgress() if progress and (on_event is None or on_stage is None) else None
    event = on_event or (display.on_event if display is not None else None)
    stage = on_stage or (display.on_stage if display is not None else None)
    with quiet_optuna_info(), warnings_once():
        try:
            yield event, stage
        finally:
            if display is not None:
                display.close()
