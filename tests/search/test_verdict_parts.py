"""The verdict's bookkeeping with hand-computed values: folds, fitness, the trials' active
returns, which returns the deflation reads, N, costs and the headline's logic."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from evofolio.backtesting import BacktestResult
from evofolio.config import EvaluationConfig
from evofolio.metrics import expected_max_sharpe, minimum_track_record_length, sharpe_ratio
from evofolio.metrics.deflated_sharpe import sharpe_moments
from evofolio.search.evaluation.benchmark import active_matrix
from evofolio.search.evaluation.champion import search_statistics
from evofolio.search.evaluation.verdict import break_even_cost, holdout_tests, net_at_cost, verdict
from evofolio.search.fitness import fold_fitness, search_folds

DATES = pd.bdate_range("2000-01-03", periods=3000)


@pytest.mark.parametrize("n_folds", [1, 2, 3, 4])
@pytest.mark.parametrize("purge", [0, 1, 5])
def test_search_gives_exactly_the_folds_asked_for(n_folds: int, purge: int) -> None:
    folds = search_folds(DATES, n_folds, min_test_days=252, purge=purge)
    assert len(folds) == n_folds
    size = (len(DATES) // 2) // n_folds
    assert [len(f.test) for f in folds[:-1]] == [size] * (n_folds - 1)
    assert folds[-1].test[-1] == DATES[-1]  # the last fold runs to the end
    assert len(folds[-1].test) < 2 * size  # and only takes the remainder of the division
    for fold in folds:  # the purge gap before every test fold
        gap = DATES.get_loc(fold.test[0]) - DATES.get_loc(fold.train[-1]) - 1
        assert gap == purge


def test_fitness_is_mean_minus_lambda_std() -> None:
    # mean 0.6, population std 0.2
    assert fold_fitness([0.4, 0.8], 0.5) == pytest.approx(0.6 - 0.5 * 0.2)
    assert fold_fitness([0.4, 0.8], 0.0) == pytest.approx(0.6)
    assert fold_fitness([1.0, 1.0, 1.0], 3.0) == pytest.approx(1.0)
    assert math.isnan(fold_fitness([0.3, float("nan")], 0.5))


def _trials(n: int = 4, days: int = 400, seed: int = 0) -> dict[int, pd.Series]:
    rng = np.random.default_rng(seed)
    index = DATES[:days]
    return {k: pd.Series(rng.normal(0.0004 * k, 0.01, days), index=index) for k in range(n)}


def test_active_matrix_is_trial_minus_benchmark_on_shared_dates() -> None:
    trials = _trials(2, 5)
    bench = pd.Series([0.01, 0.0, -0.01, 0.02], index=DATES[1:5], name="equal_weight")
    active = active_matrix(trials, bench)
    assert list(active.index) == list(DATES[1:5])
    assert active.loc[DATES[3], 1] == pytest.approx(trials[1].loc[DATES[3]] + 0.01)
    assert active.loc[DATES[4], 0] == pytest.approx(trials[0].loc[DATES[4]] - 0.02)


def test_deflation_reads_the_champions_returns_and_counts_pruned_trials() -> None:
    trials = _trials()
    bench = pd.Series(np.random.default_rng(9).normal(0.0003, 0.01, 400), index=DATES[:400])
    bench.name = "equal_weight"
    stats = search_statistics(trials, champion=2, n_blocks=4, n_pruned=3, benchmark=bench)
    sharpes = [sharpe_ratio(trials[k].to_numpy(), periods_per_year=1) for k in range(4)]
    # the raw DSR is the champion's (trial 2), not any other trial's
    assert stats.dsr.sr == pytest.approx(sharpes[2])
    assert all(stats.dsr.sr != pytest.approx(sharpes[k]) for k in (0, 1, 3))
    # N counts the 3 pruned trials too; V is the variance of the 4 known Sharpe ratios
    assert stats.n_evaluated == 7 and stats.dsr.n_trials == 7 and stats.n_pruned == 3
    assert stats.dsr.sr_star == pytest.approx(expected_max_sharpe(7, np.var(sharpes, ddof=1)))
    # the active DSR is computed on champion minus benchmark
    active = (trials[2] - bench).to_numpy()
    assert stats.active_dsr is not None
    assert stats.active_dsr.sr == pytest.approx(sharpe_ratio(active, periods_per_year=1))
    active_sharpes = [
        sharpe_ratio((trials[k] - bench).to_numpy(), periods_per_year=1) for k in range(4)
    ]
    expected = expected_max_sharpe(7, np.var(active_sharpes, ddof=1))
    assert stats.active_dsr.sr_star == pytest.approx(expected)
    assert stats.benchmark == "equal_weight"
    assert stats.pbo is not None and stats.active_pbo is not None


def _result(gross: np.ndarray, turnover: float) -> BacktestResult:
    index = DATES[1 : len(gross) + 1]
    g = pd.Series(gross, index=index, name="gross")
    t = pd.Series(turnover, index=index, name="turnover")
    weights = pd.DataFrame({"A": [1.0]}, index=DATES[:1])
    held = pd.DataFrame({"A": 1.0}, index=DATES[: len(gross) + 1])
    return BacktestResult(weights, held, g, g.rename("net"), t, (t * 0.0).rename("cost"))


def test_net_at_cost_and_break_even_have_closed_forms() -> None:
    noise = np.random.default_rng(1).normal(0.0, 0.01, 2000)
    # the champion earns 10 bp a day more than the other but trades its whole book daily:
    # equal Sharpe (same noise) where 10 bp = cost x 1 (turnover) -> 10 bps
    champion = _result(noise + 0.0015, turnover=1.0)
    other = _result(noise + 0.0005, turnover=0.0)
    assert net_at_cost(champion, 20.0).to_numpy() == pytest.approx(noise + 0.0015 - 0.002)
    assert break_even_cost(champion, other) == pytest.approx(10.0, abs=0.02)
    # already behind at zero cost, or still ahead at the limit: no break-even
    assert break_even_cost(other, champion) is None
    assert break_even_cost(_result(noise + 0.02, 0.1), other, max_bps=100.0) is None


class _Stats:
    def __init__(self, dsr: float) -> None:
        self.active_dsr = type("D", (), {"dsr": dsr})()
        self.n_evaluated = 10


def _tests(diff: float, p: float) -> dict[str, object]:
    row = {
        "baseline": "equal_weight",
        "sharpe_champion": 1.0 + diff,
        "sharpe_baseline": 1.0,
        "difference": diff,
        "ci_low": diff - 0.3,
        "ci_high": diff + 0.3,
        "p_value": p,
        "p_holm": p,
    }
    return {"benchmark": "equal_weight", "confidence": 0.9, "differences": [row]}


@pytest.mark.parametrize(
    ("dsr", "diff", "p", "outcome"),
    [
        (0.99, 0.5, 0.01, "beats"),
        (0.80, 0.5, 0.01, "no_evidence"),  # the holdout alone is not enough
        (0.99, 0.5, 0.20, "no_evidence"),  # nor the search alone
        (0.99, -0.5, 0.01, "trails"),
        (0.10, -0.1, 0.60, "no_evidence"),
    ],
)
def test_the_headline_needs_both_the_search_and_the_holdout(
    dsr: float, diff: float, p: float, outcome: str
) -> None:
    level = EvaluationConfig().significance
    result = verdict(_Stats(dsr), _tests(diff, p), level)  # type: ignore[arg-type]
    assert result["outcome"] == outcome
    assert "equal_weight" in result["text"] and f"{dsr:.2f}" in result["text"]


def test_holdout_tests_compare_with_each_baseline_and_the_record_with_the_benchmark() -> None:
    rng = np.random.default_rng(3)
    noise = rng.normal(0.0, 0.01, 1500)
    results = {
        "champion": _result(noise + rng.normal(0.0004, 0.002, 1500), 0.0),
        "equal_weight": _result(noise, 0.0),
        "hrp": _result(noise + 0.0008, 0.0),
    }
    tests = holdout_tests(results, "equal_weight", EvaluationConfig(n_boot=200), seed=1)
    rows = {row["baseline"]: row for row in tests["differences"]}
    assert set(rows) == {"equal_weight", "hrp"}
    assert rows["equal_weight"]["difference"] > 0 > rows["hrp"]["difference"]
    active = results["champion"].net - results["equal_weight"].net
    sr, skew, kurt = sharpe_moments(active.to_numpy())
    expected = minimum_track_record_length(sr, 0.0, skew, kurt, 0.05)
    assert tests["min_track_record"]["observations"] == pytest.approx(expected)
    assert tests["min_track_record"]["available_observations"] == 1500
