"""Choosing the champion, and the Pareto front it is chosen from."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evofolio.search.champion import NoChampionError, pareto_mask, pick_champion


def test_single_objective_takes_the_best_completed_fitness() -> None:
    trials = pd.DataFrame(
        {
            "number": [0, 1, 2, 3],
            "state": ["COMPLETE", "FAIL", "COMPLETE", "PRUNED"],
            "fitness": [0.4, np.nan, 0.7, 0.9],  # the pruned trial never counts
        }
    )
    assert pick_champion(trials, multi_objective=False) == 2


def test_pareto_front_and_picks() -> None:
    # (sharpe up, drawdown down, turnover down); trial 3 is dominated by trial 0
    trials = pd.DataFrame(
        {
            "number": [0, 1, 2, 3, 4],
            "state": ["COMPLETE"] * 4 + ["FAIL"],
            "sharpe": [1.0, 1.2, 0.6, 0.9, 5.0],
            "max_drawdown": [0.20, 0.30, 0.10, 0.25, 0.0],
            "turnover": [2.0, 3.0, 4.0, 2.5, 0.0],
        }
    )
    done = trials.iloc[:4][["sharpe", "max_drawdown", "turnover"]].to_numpy()
    assert pareto_mask(done).tolist() == [True, True, True, False]
    assert pick_champion(trials, True, "sharpe") == 1
    assert pick_champion(trials, True, "drawdown") == 2
    assert pick_champion(trials, True, "turnover") == 0


def test_no_completed_trial_is_a_clear_error() -> None:
    trials = pd.DataFrame({"number": [0], "state": ["FAIL"], "fitness": [np.nan]})
    with pytest.raises(NoChampionError, match="no completed trial"):
        pick_champion(trials, multi_objective=False)
