"""Choosing the champion from the trials table, whose Pareto front comes from Optuna."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from optuna.trial import TrialState

from evofolio.search.engine.records import champion_source, trials_frame
from evofolio.search.evaluation.champion import NoChampionError, pick_champion
from evofolio.search.plan import MULTI_OBJECTIVES, SINGLE_OBJECTIVE
from hand_study import MULTI, Hand, hand_study

FAIL = TrialState.FAIL


def test_single_objective_takes_the_best_completed_fitness() -> None:
    study = hand_study(
        [
            Hand(0, [0.4]),
            Hand(0, None, FAIL, error="ValueError: diverged"),
            Hand(0, [0.7]),
            Hand(1, None, TrialState.PRUNED),  # a pruned trial never counts
        ]
    )
    trials = trials_frame(study, [SINGLE_OBJECTIVE])
    assert trials["fitness"].tolist()[0] == 0.4 and np.isnan(trials["fitness"][3])
    assert trials["pareto"].tolist() == [False, False, True, False]  # the best trial
    assert pick_champion(trials, multi_objective=False) == 2


def test_the_pareto_column_is_optunas_front_and_the_picks_read_it() -> None:
    # (sharpe up, drawdown down, turnover down), by hand: trial 3 (0.9, 0.25, 2.5) is
    # dominated by trial 0 (1.0, 0.20, 2.0); 0, 1 and 2 each win on one objective.
    study = hand_study(
        [
            Hand(0, [1.0, 0.20, 2.0]),
            Hand(0, [1.2, 0.30, 3.0]),
            Hand(1, [0.6, 0.10, 4.0]),
            Hand(1, [0.9, 0.25, 2.5]),
            Hand(1, None, FAIL, error="RuntimeError: boom"),
        ],
        MULTI,
    )
    trials = trials_frame(study, MULTI_OBJECTIVES)
    assert trials["pareto"].tolist() == [True, True, True, False, False]
    assert trials[["sharpe", "max_drawdown", "turnover"]].iloc[3].tolist() == [0.9, 0.25, 2.5]
    assert pick_champion(trials, True, "sharpe") == 1
    assert pick_champion(trials, True, "drawdown") == 2
    assert pick_champion(trials, True, "turnover") == 0


def test_a_dominated_trial_is_never_picked_even_when_best_on_the_pick() -> None:
    # trial 1 (0.5, 0.4, 1.0) ties trial 0 (0.6, 0.3, 1.0) on turnover and is worse on the
    # rest: dominated, so the "turnover" pick must take 0, and takes what the column says.
    study = hand_study([Hand(0, [0.6, 0.3, 1.0]), Hand(0, [0.5, 0.4, 1.0])], MULTI)
    trials = trials_frame(study, MULTI_OBJECTIVES)
    assert trials["pareto"].tolist() == [True, False]
    flipped = trials.assign(pareto=[False, True])  # if the column said otherwise
    assert pick_champion(trials, True, "turnover") == 0
    assert pick_champion(flipped, True, "turnover") == 1


def test_no_completed_trial_is_a_clear_error() -> None:
    trials = trials_frame(hand_study([Hand(0, None, FAIL, error="x")]), [SINGLE_OBJECTIVE])
    assert not trials["pareto"].any()
    with pytest.raises(NoChampionError, match="no completed trial"):
        pick_champion(trials, multi_objective=False)


def test_champion_source_follows_a_clone() -> None:
    trials = pd.DataFrame({"number": [0, 1, 2], "duplicate_of": pd.array([None, 0, None], "Int64")})
    assert [champion_source(trials, n) for n in (0, 1, 2, 7)] == [0, 0, 2, 7]
