"""The families compared: each family's champion by hand, the overall one among them, the
pairwise Sharpe tests on constructed series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evofolio.config import EvaluationConfig
from evofolio.search.evaluation.families import (
    distance_from_equal_weight,
    family_champions,
    overall_champion,
    pairwise_sharpe_tests,
    pareto_mask,
)

EVALUATION = EvaluationConfig(n_boot=400)


def _returns(seed: int, n: int = 1000) -> pd.Series:
    index = pd.bdate_range("2010-01-01", periods=n)
    return pd.Series(np.random.default_rng(seed).normal(3e-4, 0.01, n), index=index)


def test_identical_series_differ_by_zero_with_p_one() -> None:
    series = _returns(0)
    (pair,) = pairwise_sharpe_tests({"a": series, "b": series.copy()}, EVALUATION)
    assert pair["difference"] == 0.0 and pair["p_value"] == 1.0 and pair["p_holm"] == 1.0


def test_a_constant_edge_is_found_and_holm_adjusts_over_the_pairs() -> None:
    base = _returns(1)
    edge = base + 4e-4  # the same risk, 10 % a year more return: about +0.6 of Sharpe
    pairs = pairwise_sharpe_tests({"a": edge, "b": base, "c": base.copy()}, EVALUATION)
    by_pair = {(p["first"], p["second"]): p for p in pairs}
    ab = by_pair[("a", "b")]
    scale = np.sqrt(252) / base.std(ddof=1)
    assert ab["difference"] == pytest.approx(4e-4 * scale, rel=0.02)  # first minus second
    assert ab["ci_low"] > 0.0 and ab["p_value"] < 0.01
    assert by_pair[("b", "c")]["p_value"] == 1.0
    # Holm over 3 pairs: the smallest raw p-value is multiplied by 3, the next by 2
    ordered = sorted(pairs, key=lambda p: p["p_value"])
    assert ordered[0]["p_holm"] == pytest.approx(min(1.0, 3 * ordered[0]["p_value"]))
    assert ordered[1]["p_holm"] == pytest.approx(
        max(ordered[0]["p_holm"], min(1.0, 2 * ordered[1]["p_value"]))
    )


def _trials() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "number": [0, 1, 2, 3, 4, 5, 6],
            "state": ["COMPLETE"] * 5 + ["PRUNED", "COMPLETE"],
            "params_family": ["asset", "asset", "portfolio", "portfolio", "gru", "gru", "gru"],
            "fitness": [0.5, 0.7, 0.9, 0.2, np.nan, 5.0, 0.1],
            "sharpe": [0.5, 0.7, 0.9, 0.2, 0.3, 5.0, 0.1],
            "max_drawdown": [0.1, 0.3, 0.2, 0.05, 0.2, 0.0, 0.01],
            "turnover": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        }
    )


def test_each_family_has_its_best_completed_trial_and_the_overall_is_the_best_of_them() -> None:
    trials = _trials()
    numbers = family_champions(trials, ["asset", "portfolio", "gru", "tcn"], False)
    # gru's pruned trial 5 (fitness 5.0) never counts; tcn ran nothing
    assert numbers == {"asset": 1, "portfolio": 2, "gru": 6, "tcn": None}
    assert overall_champion(trials, numbers, False) == 2


def test_multi_objective_family_champions_come_from_each_familys_own_front() -> None:
    trials = _trials()
    # asset: 0 (0.5, 0.1) and 1 (0.7, 0.3) are both on asset's front; best Sharpe: 1
    # portfolio: 2 (0.9, 0.2) and 3 (0.2, 0.05): both on the front; least drawdown: 3
    assert family_champions(trials, ["asset", "portfolio"], True, "sharpe") == {
        "asset": 1,
        "portfolio": 2,
    }
    picks = family_champions(trials, ["asset", "portfolio"], True, "drawdown")
    assert picks == {"asset": 0, "portfolio": 3}
    assert overall_champion(trials, picks, True, "drawdown") == 3


def test_pareto_mask_by_hand() -> None:
    values = np.array([[1.0, 0.1], [0.5, 0.2], [1.0, 0.1], [2.0, 0.5]])
    # row 1 is dominated by row 0 (lower Sharpe, higher drawdown); equal rows both stay
    assert pareto_mask(values, [True, False]).tolist() == [True, False, True, True]


def test_distance_from_equal_weight_by_hand() -> None:
    weights = pd.DataFrame([[0.5, 0.5], [1.0, 0.0], [0.25, 0.75]], columns=["A", "B"])
    # half L1 distances from (0.5, 0.5): 0, 0.5, 0.25 -> mean 0.25
    assert distance_from_equal_weight(weights) == pytest.approx(0.25)
    assert distance_from_equal_weight(weights.iloc[:0]) is None
