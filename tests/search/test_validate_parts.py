"""The pieces of `evofolio validate` on hand-made inputs: outer periods, the data cut, the
warm-start genomes, stitching, the procedure's verdict, the subsets."""

from __future__ import annotations

import optuna
import pandas as pd
import pytest

from evofolio.backtesting import BacktestResult
from evofolio.config import parse_config
from evofolio.data import MarketData
from evofolio.errors import ConfigError, InsufficientHistoryError
from evofolio.search.evaluation.stitched import procedure_verdict, stitch, subsets_summary
from evofolio.search.jobs.nested import (
    best_genomes,
    check_first_history,
    development_data,
    draw_subsets,
    outer_config,
    outer_periods,
    warm_start_count,
)
from synthetic import random_prices

T = pd.Timestamp


def test_outer_periods_every_k_years_and_a_short_tail_joins_the_last() -> None:
    dates = pd.bdate_range("1990-01-02", "2017-12-29")
    periods = outer_periods(dates, T("2018-01-01"), 3, 2005)
    bounds = [(p.start, p.end) for p in periods]
    # 2005, 2008, 2011, 2014, 2017: [2017, 2018) is one year < 1.5, so it joins 2014's
    assert bounds == [
        (T("2005-01-01"), T("2008-01-01")),
        (T("2008-01-01"), T("2011-01-01")),
        (T("2011-01-01"), T("2014-01-01")),
        (T("2014-01-01"), T("2018-01-01")),
    ]
    assert [p.name for p in periods] == ["outer-2005", "outer-2008", "outer-2011", "outer-2014"]
    # 2 years: 2005, ..., 2017 ends at 2018 exactly: nothing to merge
    assert outer_periods(dates, T("2018-01-01"), 2, 2005)[-1].start == T("2017-01-01")
    assert len(outer_periods(dates, T("2018-01-01"), 2, 2005)) == 7


def test_the_default_first_test_is_the_year_after_the_middle_date() -> None:
    dates = pd.bdate_range("1990-01-02", "2017-12-29")
    assert dates[len(dates) // 2].year == 2004
    assert outer_periods(dates, T("2018-01-01"), 3)[0].start == T("2005-01-01")


@pytest.mark.parametrize("year", [1989, 1990, 2018])
def test_a_first_test_outside_the_development_period_is_refused(year: int) -> None:
    dates = pd.bdate_range("1990-01-02", "2017-12-29")
    with pytest.raises(ConfigError, match=f"validate.first_test {year}"):
        outer_periods(dates, T("2018-01-01"), 3, year)


def test_the_data_is_cut_before_the_holdout_and_each_step_holds_out_its_period() -> None:
    prices = random_prices(n_days=600, n_assets=2, start="2000-01-03")
    market = prices.mean(axis=1).rename("market")
    data = MarketData(prices, market, "frame", "mean", report=None)  # type: ignore[arg-type]
    config = parse_config({"data": {"holdout_start": "2002-01-01"}, "validate": {}})
    cut, periods = development_data(config, data)
    assert cut.prices.index.max() < T("2002-01-01") <= periods.holdout_start
    assert cut.market.index.equals(cut.prices.index)
    step = outer_config(config, outer_periods(cut.prices.index, T("2002-01-01"), 1, 2001)[0])
    assert step.data.holdout_start == T("2001-01-01").date()
    assert step.search.generations == config.search.generations  # the first step's budget


def test_later_steps_use_generations_after_first() -> None:
    config = parse_config(
        {"search": {"generations": 7}, "validate": {"generations_after_first": 2}}
    )
    dates = pd.bdate_range("1995-01-02", "2004-12-31")
    first, second = outer_periods(dates, T("2005-01-01"), 2, 2001)[:2]
    assert outer_config(config, first).search.generations == 7
    assert outer_config(config, second).search.generations == 2


def test_best_genomes_are_the_top_completed_distinct_genomes() -> None:
    study = optuna.create_study(direction="maximize")
    dist = optuna.distributions.FloatDistribution(0.0, 1.0)
    for x, value, state in [
        (0.1, 0.5, "COMPLETE"),
        (0.2, 0.9, "COMPLETE"),
        (0.3, 2.0, "FAIL"),
        (0.2, 0.9, "COMPLETE"),  # a clone
        (0.4, 0.7, "COMPLETE"),
    ]:
        complete = state == "COMPLETE"
        study.add_trial(
            optuna.trial.create_trial(
                params={"x": x},
                distributions={"x": dist},
                value=value if complete else None,
                state=optuna.trial.TrialState[state],
            )
        )
    assert best_genomes(study, 2) == [{"x": 0.2}, {"x": 0.4}]
    assert best_genomes(study, 10) == [{"x": 0.2}, {"x": 0.4}, {"x": 0.1}]


@pytest.mark.parametrize("population,count", [(1, 1), (2, 1), (3, 1), (4, 2), (9, 4), (20, 10)])
def test_warm_start_leaves_at_least_half_the_population_new(population: int, count: int) -> None:
    # half the population rounded down, at least one: a later search always explores
    assert warm_start_count(population) == count


def _result(dates: pd.DatetimeIndex, values: list[float]) -> BacktestResult:
    series = pd.Series(values, index=dates)
    frame = pd.DataFrame({"A": [1.0] * len(dates)}, index=dates)
    return BacktestResult(frame, frame, series, series, series * 0, series * 0)


def test_stitching_concatenates_each_portfolio_and_the_chosen_rule() -> None:
    one = pd.bdate_range("2005-01-03", periods=3)
    two = pd.bdate_range("2006-01-02", periods=2)
    parts = [
        {
            "champion": _result(one, [1, 2, 3]),
            "a": _result(one, [4, 5, 6]),
            "b": _result(one, [7, 8, 9]),
        },
        {
            "champion": _result(two, [10, 11]),
            "a": _result(two, [12, 13]),
            "b": _result(two, [14, 15]),
        },
    ]
    out = stitch(parts, chosen=["b", "a"])
    assert out["champion"].net.tolist() == [1, 2, 3, 10, 11]
    assert out["a"].net.tolist() == [4, 5, 6, 12, 13]
    assert out["best_classic"].net.tolist() == [7, 8, 9, 12, 13]
    assert list(out["champion"].net.index) == [*one, *two]
    with pytest.raises(ValueError, match="overlap"):
        stitch([parts[1], parts[0]])


def _tests(difference: float, p_holm: float) -> dict[str, object]:
    row = {
        "baseline": "equal_weight",
        "sharpe_champion": 1.0,
        "sharpe_baseline": 1.0 - difference,
        "difference": difference,
        "ci_low": difference - 0.1,
        "ci_high": difference + 0.1,
        "p_holm": p_holm,
    }
    return {"benchmark": "equal_weight", "confidence": 0.9, "differences": [row]}


@pytest.mark.parametrize(
    ("difference", "p", "outcome"),
    [
        (0.5, 0.01, "beats"),
        (-0.5, 0.01, "trails"),
        (0.5, 0.2, "no_evidence"),
        (-0.5, 0.05, "no_evidence"),
    ],
)
def test_the_procedure_verdict(difference: float, p: float, outcome: str) -> None:
    verdict = procedure_verdict(_tests(difference, p), 0.05)
    assert verdict["outcome"] == outcome
    assert f"difference {difference:+.2f}" in verdict["text"]


def test_subsets_are_seeded_and_summarised() -> None:
    assets = [f"A{i}" for i in range(10)]
    first = draw_subsets(assets, 4, 3, seed=7)
    assert first == draw_subsets(assets, 4, 3, seed=7)
    assert all(len(s) == 3 == len(set(s)) and s == sorted(s, key=assets.index) for s in first)
    assert first != draw_subsets(assets, 4, 3, seed=8)
    with pytest.raises(ConfigError, match="subset_size 10"):
        draw_subsets(assets, 2, 10, seed=0)
    tracks = [
        {
            "assets": ["A0"],
            "metrics": {
                "champion": {"sharpe": s},
                "equal_weight": {"sharpe": b},
                "min_variance": {"sharpe": m},
            },
        }
        for s, b, m in [(1.0, 0.5, 1.2), (0.2, 0.6, 0.1), (0.9, 0.4, 0.8), (0.0, 0.1, 0.3)]
    ]
    summary = subsets_summary(tracks, "equal_weight")
    assert summary["vs_benchmark"]["share_beating"] == 0.5  # +0.5, -0.4, +0.5, -0.1
    assert summary["vs_min_variance"]["share_beating"] == 0.5  # -0.2, +0.1, +0.1, -0.3
    assert summary["vs_benchmark"]["median"] == pytest.approx(0.2)
    assert summary["vs_min_variance"]["min"] == pytest.approx(-0.3)


def test_too_little_history_for_the_first_search_advises_a_later_first_test() -> None:
    # 300 dates before 2001: fewer than two years to train plus the inner folds
    dates = pd.bdate_range("1999-11-01", "2005-12-30")
    config = parse_config({"search": {"folds": 2, "min_test_days": 63}})
    first = outer_periods(dates, T("2006-01-01"), 2, 2001)[0]
    with pytest.raises(InsufficientHistoryError) as caught:
        check_first_history(config, dates, first)
    text = str(caught.value)
    assert text.startswith("outer-2001: the search needs") and "later --first-test" in text
    assert "holdout_start" not in text
    later = outer_periods(dates, T("2006-01-01"), 2, 2004)[0]  # ~1100 dates: enough
    check_first_history(config, dates, later)
