"""A running trial's own progress note reaches whoever watches the search, while it runs."""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
import pytest

import evofolio.search.engine.trial_record as progress
from evofolio.config import SearchConfig
from evofolio.search.engine import SearchEvent, SearchPlan, TrialContext, TrialOutcome, run_search
from evofolio.search.engine.trial_record import PROGRESS_ATTR, ProgressNote, running_trials


def suggest_x(trial: optuna.Trial) -> float:
    return trial.suggest_float("x", 0.0, 1.0)


class SlowSteps:
    """Notes ``step k/3`` before each of three steps; each step lasts until a search event
    has shown its note (at most 10 s, so a search that never shows it fails, not hangs);
    scores ``(x - 0.3)**2``."""

    def __init__(self, shown: set[tuple[int, str | None]]) -> None:
        self.shown = shown

    def __call__(self, trial: optuna.Trial, genome: Any, context: TrialContext) -> TrialOutcome:
        for step in range(1, 4):
            context.note(f"step {step}/3", now=True)
            deadline = time.monotonic() + 10.0
            while (trial.number, f"step {step}/3") not in self.shown:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.01)
        return TrialOutcome(((genome - 0.3) ** 2,))


def test_one_process_shows_each_running_trials_note_while_it_runs(tmp_path: Path) -> None:
    """With ``jobs == 1`` the trials run in the calling thread; events still arrive while one
    runs, naming it with its latest note, and the note is not a column of trials.parquet."""
    plan = SearchPlan(
        search=SearchConfig(population=2, generations=1, heartbeat_seconds=1),
        run_dir=tmp_path / "run",
        suggest=suggest_x,
        objectives=("loss",),
        directions=("minimize",),
        seed=5,
        target=2,
        max_trials=6,
        poll_seconds=0.05,
    )
    events: list[SearchEvent] = []
    shown: set[tuple[int, str | None]] = set()

    def on_event(event: SearchEvent) -> None:
        events.append(event)
        shown.update((r.number, r.note) for r in event.running)

    result = run_search(plan, functools.partial(SlowSteps, shown), jobs=1, on_event=on_event)
    assert result.counts.complete == 2
    steps = {(n, f"step {k}/3") for n in (0, 1) for k in (1, 2, 3)}
    assert shown >= steps, shown  # every step of both trials was shown while it ran
    seconds = [r.seconds for event in events for r in event.running]
    assert all(s is not None and 0.0 <= s < 60.0 for s in seconds)
    assert events[-1].finished and events[-1].running == ()
    trials = pd.read_parquet(tmp_path / "run" / "trials.parquet")
    assert f"attr_{PROGRESS_ATTR}" not in trials.columns


def test_a_note_is_written_at_most_every_few_seconds_unless_urgent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress, "PROGRESS_EVERY_S", 3600.0)
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 's.db'}")
    trial = study.ask()
    note = ProgressNote(trial)

    def shown() -> str | None:
        (running,) = running_trials(study.get_trials(deepcopy=False))
        assert running.number == trial.number
        return running.note

    assert shown() is None
    note("fold 1/2, training")  # the first note is never held back
    assert shown() == "fold 1/2, training"
    note("fold 1/2, epoch 1 (max 30)")  # within the interval: held back
    assert shown() == "fold 1/2, training"
    note("fold 2/2, training", now=True)
    assert shown() == "fold 2/2, training"
    study.tell(trial, 1.0)
    assert running_trials(study.get_trials(deepcopy=False)) == ()
