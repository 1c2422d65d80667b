"""Synchronised generations with several worker processes (stub evaluators, SQLite)."""

from __future__ import annotations

import functools
import threading
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.trial import TrialState
from search_helpers import StubEvaluator, evaluations, search_config

from evofolio.search.engine.admission import admitted_in_generation
from evofolio.search.engine.progress import ProgressTracker, SearchEvent
from evofolio.search.engine.storage import make_storage
from evofolio.search.engine.trial_record import GENERATION_KEY
from evofolio.search.engine.workers import trial_directory
from evofolio.search.plan import run_search, search_plan


def test_three_workers_keep_each_generation_to_its_population(tmp_path: Path) -> None:
    config = search_config(population=2, generations=3)  # jobs > 1: synchronised by default
    events: list[SearchEvent] = []
    factory = functools.partial(StubEvaluator, 0.4)
    result = run_search(config, tmp_path, factory, jobs=3, poll_seconds=0.1, on_event=events.append)
    trials = result.study.get_trials(deepcopy=False)
    assert result.counts.complete == 6
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert Counter(t.system_attrs[GENERATION_KEY] for t in complete) == {0: 2, 1: 2, 2: 2}
    # a third trial that slipped into a generation of two (two processes asking at the
    # same instant) was released unevaluated; none was trained
    for trial in trials:
        if trial.state != TrialState.COMPLETE:
            assert trial.user_attrs["failure"] == "released", trial.number
            assert evaluations(trial_directory(tmp_path, trial)) == (0, 0)
    assert len(trials) - 6 <= 2
    assert result.counts.evaluated == 6
    # the display was told of the waits (each a generation of this search; which ones a
    # 0.1-s poll catches depends on the machine's load: the rule itself is pinned below)
    waits = {e.waiting_for for e in events} - {None}
    assert waits and waits <= {0, 1, 2}
    assert events[-1].waiting_for is None


def _study_with(
    tmp_path: Path, states: list[TrialState], generations: list[int | None] | None = None
) -> tuple[Any, Any, Any]:
    """A study of population 2 whose trials are in ``states``, of ``generations`` (default
    all 0; None: not yet sampled)."""
    plan = search_plan(search_config(population=2, generations=2), tmp_path, poll_seconds=0.05)
    storage = make_storage(f"sqlite:///{tmp_path / 's.db'}", plan.search)
    study = optuna.create_study(storage=storage, study_name="s")
    for state, generation in zip(states, generations or [0] * len(states), strict=True):
        trial = study.ask()
        if generation is not None:
            storage.set_trial_system_attr(trial._trial_id, GENERATION_KEY, generation)
        if state != TrialState.RUNNING:
            study.tell(trial, 1.0 if state == TrialState.COMPLETE else None, state=state)
    return plan, storage, study


C, R = TrialState.COMPLETE, TrialState.RUNNING


@pytest.mark.parametrize(
    ("states", "generations", "waiting_for"),
    [
        ([R, R], [0, 0], 0),  # generation 0 taken by two running trials: a third waits
        ([C, R], [0, None], 0),  # a trial not yet sampled counts towards the open one
        ([C, R], [0, 0], 0),
        ([C, C, R, R], [0, 0, 1, 1], 1),
        ([C, C, C, R], [0, 0, 1, 1], 1),
        ([C, R], [0, 1], None),  # generation 0 has room: nobody waits
        ([C, C, R], [0, 0, 1], None),
        ([C, C, C, C], [0, 0, 1, 1], None),  # the target is reached
    ],
)
def test_the_display_names_the_generation_processes_wait_for(
    tmp_path: Path, states: list[TrialState], generations: list[int | None], waiting_for: int | None
) -> None:
    _, _, study = _study_with(tmp_path, states, generations)
    tracker = ProgressTracker(target=4, generations=2, population=2, sync=True)
    assert tracker.event(study.get_trials(deepcopy=False)).waiting_for == waiting_for
    unsynchronised = ProgressTracker(target=4, generations=2, population=2, sync=False)
    assert unsynchronised.event(study.get_trials(deepcopy=False)).waiting_for is None


@pytest.mark.parametrize(
    ("ahead", "admitted"),
    [
        ([TrialState.COMPLETE, TrialState.COMPLETE], False),  # generation full: released
        ([TrialState.COMPLETE, TrialState.FAIL], True),  # a failure left room: it runs
        ([TrialState.FAIL, TrialState.FAIL], True),
    ],
)
def test_a_third_trial_of_a_generation_of_two_runs_only_if_needed(
    tmp_path: Path, ahead: list[TrialState], admitted: bool
) -> None:
    plan, storage, study = _study_with(tmp_path, [*ahead, TrialState.RUNNING])
    assert admitted_in_generation(study, storage, 2, replace(plan, sync=True), None) is admitted


def test_a_third_trial_waits_while_two_run_ahead_of_it(tmp_path: Path) -> None:
    states = [TrialState.RUNNING, TrialState.RUNNING, TrialState.RUNNING]
    plan, storage, study = _study_with(tmp_path, states)
    timer = threading.Timer(0.5, lambda: study.tell(0, state=TrialState.FAIL))
    started = time.monotonic()
    timer.start()
    assert admitted_in_generation(study, storage, 2, replace(plan, sync=True), None)
    assert time.monotonic() - started >= 0.5  # it waited for trial 0 to fail
