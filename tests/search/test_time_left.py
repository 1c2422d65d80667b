"""The time-left estimate: measured trial durations per island (model family), the trials
each still needs, the running ones' head start, shared by the jobs (issue 23: "~2:21 left"
at 2:21 and the search ended at 7:19, a search-wide rate while families differ tenfold)."""

from __future__ import annotations

import datetime

import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import FrozenTrial, TrialState

from evofolio.search.engine.islands import ISLAND_KEY, Island
from evofolio.search.engine.progress import ProgressTracker, time_left
from evofolio.search.engine.trial_record import FAILURE_ATTR

NOW = datetime.datetime(2026, 12, 6, 12, 0, 0)


def recorded(
    number: int,
    island: str,
    state: TrialState,
    seconds: float,
    *,
    failure: str | None = None,
) -> FrozenTrial:
    """A trial as the study records it: started ``seconds`` before its end (or, running,
    before NOW)."""
    values = [1.0] if state == TrialState.COMPLETE else None
    trial = optuna.trial.create_trial(
        state=state if state != TrialState.RUNNING else TrialState.COMPLETE,
        values=values if state != TrialState.RUNNING else [0.0],
        params={"x": 0.5},
        distributions={"x": FloatDistribution(0.0, 1.0)},
        system_attrs={ISLAND_KEY: island},
        user_attrs={} if failure is None else {FAILURE_ATTR: failure},
    )
    trial.number = number
    if state == TrialState.RUNNING:
        trial.state, trial.values = TrialState.RUNNING, None
        trial.datetime_start = NOW - datetime.timedelta(seconds=seconds)
        trial.datetime_complete = None
    else:
        end = NOW - datetime.timedelta(seconds=100 - number)
        trial.datetime_start = end - datetime.timedelta(seconds=seconds)
        trial.datetime_complete = end
    return trial


ISLANDS = (Island("asset", 4), Island("portfolio", 4), Island("asset_attention", 2))


def study_record() -> list[FrozenTrial]:
    return [
        recorded(0, "asset", TrialState.COMPLETE, 10.0),
        recorded(1, "asset", TrialState.COMPLETE, 30.0),
        recorded(2, "asset", TrialState.RUNNING, 5.0),
        recorded(3, "portfolio", TrialState.COMPLETE, 2.0),
        recorded(4, "portfolio", TrialState.PRUNED, 4.0),
        # a worker that died: its time says nothing about the genome's cost
        recorded(5, "portfolio", TrialState.FAIL, 500.0, failure="interrupted"),
    ]


def test_each_family_is_timed_by_its_own_trials_and_the_jobs_share_the_work() -> None:
    # asset: median 20 s; 4 - 2 spent - 1 running = 1 new trial (20 s) + the running one's
    # 20 - 5 = 15 s. portfolio: median of 2 and 4 s = 3 s x (4 - 2) = 6 s (the interrupted
    # trial neither counts nor times). asset_attention: nothing measured yet, so the median of
    # every family's ended trials (2, 4, 10, 30: 7 s) x 2 = 14 s. Two jobs: 55 / 2.
    eta = time_left(study_record(), ISLANDS, "family", jobs=2, now=NOW)
    assert eta == pytest.approx((20 + 15 + 6 + 14) / 2)


def test_a_failed_evaluation_is_timed_and_a_long_running_trial_adds_nothing_negative() -> None:
    trials = [
        recorded(0, "asset", TrialState.FAIL, 8.0, failure="error"),
        recorded(1, "asset", TrialState.RUNNING, 60.0),  # past the median: 0 s more, not < 0
    ]
    eta = time_left(trials, (Island("asset", 3),), "family", jobs=1, now=NOW)
    # spent 0 (a failure is not spent), running 1: 2 new trials x 8 s + max(8 - 60, 0)
    assert eta == pytest.approx(16.0)


def test_nothing_measured_is_unknown_and_a_spent_budget_is_zero() -> None:
    running = [recorded(0, "asset", TrialState.RUNNING, 3.0)]
    assert time_left(running, (Island("asset", 2),), "family", jobs=1, now=NOW) is None
    done = [recorded(i, "asset", TrialState.COMPLETE, 1.0) for i in range(2)]
    assert time_left(done, (Island("asset", 2),), "family", jobs=1, now=NOW) == 0.0


def test_without_islands_the_whole_study_is_one_group() -> None:
    trials = study_record()
    # 10 targets, 4 spent, 1 running: 5 new x median(10, 30, 2, 4) = 7 s, running 7 - 5 = 2
    eta = time_left(trials, (Island("", 10),), None, jobs=1, now=NOW)
    assert eta == pytest.approx(5 * 7 + 2)


def test_the_tracker_reports_the_estimate_and_the_spent_counts_per_island() -> None:
    tracker = ProgressTracker(10, 2, population=2, jobs=2, islands=ISLANDS, island_param="family")
    event = tracker.event(study_record())
    assert event.eta_s is not None and event.eta_s > 0
    assert event.islands == (("asset", 2, 4), ("portfolio", 2, 4), ("asset_attention", 0, 2))
