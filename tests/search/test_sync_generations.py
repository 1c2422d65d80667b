"""Synchronised generations with several worker processes (stub evaluators, SQLite)."""

from __future__ import annotations

import functools
from collections import Counter
from pathlib import Path

from optuna.trial import TrialState
from search_helpers import StubEvaluator, evaluations, search_config

from evofolio.search.engine.progress import GENERATION_KEY, SearchEvent
from evofolio.search.engine.workers import trial_directory
from evofolio.search.plan import run_search


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
    # the third worker waited, and the display was told which generation it waited for
    assert {e.waiting_for for e in events} >= {0, 1}
    assert events[-1].waiting_for is None
