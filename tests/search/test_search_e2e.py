"""The real search (training included) on tiny data: both families, and a blind holdout."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evofolio.config import ChampionConfig, EvaluationConfig, RunConfig, parse_config
from evofolio.data import load_data
from evofolio.metrics import sharpe_ratio
from evofolio.search.engine.records import champion_source
from evofolio.search.evaluation.families import distance_from_equal_weight
from evofolio.search.evaluation.seeds import seed_validation_sharpes
from evofolio.search.fitness import build_context, evaluate, make_evaluator
from evofolio.search.jobs.run import run_pipeline
from evofolio.search.plan import run_search
from synthetic import random_prices

N_DAYS = 1400


def tiny_config(source: Path) -> RunConfig:
    return parse_config(
        {
            "seed": 3,
            "data": {"source": str(source)},
            "strategies": {"window": 60},
            "training": {"epochs": 1, "device": "cpu", "threads": 1},
            "search": {
                "population": 2,
                "generations": 2,
                "folds": 2,
                "min_test_days": 100,
                "prune": False,
            },
        }
    )


def write_prices(path: Path, absurd_holdout: bool = False) -> Path:
    prices = random_prices(n_days=N_DAYS, n_assets=3, seed=21, start="2003-01-01")
    if absurd_holdout:
        start = int(N_DAYS * 0.8)  # the default holdout: the last 20 % of dates
        shocks = np.random.default_rng(0).uniform(0.5, 2.0, prices.iloc[start:].shape)
        shocks[0] = 1000.0  # and a thousandfold jump on the first holdout day
        prices.iloc[start:] = prices.iloc[start:].to_numpy() * np.cumprod(shocks, axis=0)
    prices.to_csv(path)
    return path


def search_trials(tmp_path: Path, name: str, absurd: bool) -> pd.DataFrame:
    source = write_prices(tmp_path / f"{name}.csv", absurd)
    config = tiny_config(source)
    data = load_data(str(source))
    context = build_context(config, data)
    result = run_search(config, tmp_path / name, functools.partial(make_evaluator, context, config))
    return pd.read_parquet(result.trials_path)


def comparable(trials: pd.DataFrame) -> pd.DataFrame:
    columns = ["number", "state", "fitness"] + [c for c in trials if c.startswith("params_")]
    return trials[columns].sort_values("number").reset_index(drop=True)


def test_tiny_search_trains_every_family(tmp_path: Path) -> None:
    trials = search_trials(tmp_path, "plain", absurd=False)
    done = trials[trials["state"] == "COMPLETE"]
    families = set(tiny_config(tmp_path / "plain.csv").search.families)
    # one island per family, each with population x generations completed trials
    assert done["params_family"].value_counts().to_dict() == dict.fromkeys(families, 4)
    run_dir = tmp_path / "plain"
    for number in done["number"]:
        # every completed trial has its files; a clone has those of the trial it copies
        own = champion_source(trials, int(number))
        assert own == int(number) or own in set(done["number"])
        for name in ("returns.parquet", "metrics.json", "model.pt"):
            assert (run_dir / "trials" / f"{own:05d}" / name).is_file(), (number, name)
        returns = pd.read_parquet(run_dir / "trials" / f"{own:05d}" / "returns.parquet")
        metrics = json.loads((run_dir / "trials" / f"{own:05d}" / "metrics.json").read_text())
        assert len(returns) > 0 and np.isfinite(returns["net"]).all()
        assert metrics["fitness"] == done.loc[done["number"] == number, "fitness"].iloc[0]
    # the table's front is Optuna's: single-objective, the best fitness
    best = done.loc[done["fitness"] == done["fitness"].max(), "number"]
    assert set(trials.loc[trials["pareto"], "number"]) == set(best)


def test_the_holdout_never_reaches_the_search(tmp_path: Path) -> None:
    plain = comparable(search_trials(tmp_path, "plain", absurd=False))
    absurd = comparable(search_trials(tmp_path, "absurd", absurd=True))
    pd.testing.assert_frame_equal(plain, absurd)


def test_pipeline_writes_champion_with_dsr_and_pbo(tmp_path: Path) -> None:
    source = write_prices(tmp_path / "p.csv")
    config = tiny_config(source)
    result = run_pipeline(config, load_data(str(source)), tmp_path / "run")
    champion = tmp_path / "run" / "champion"
    for name in ("config.json", "weights.parquet", "returns.parquet", "metrics.json"):
        assert (champion / name).is_file(), name
    members = json.loads((champion / "models" / "ensemble.json").read_text())["members"]
    assert [m["seed"] for m in members] == [3 + k for k in range(config.champion.seeds)]
    assert all((champion / "models" / m["file"]).is_file() for m in members)
    returns = pd.read_parquet(champion / "returns.parquet")
    assert returns["date"].min() > result.periods.development[-1]
    assert 0.0 <= result.statistics.dsr.dsr <= 1.0
    assert result.statistics.pbo is not None and 0.0 <= result.statistics.pbo.pbo <= 1.0
    holdout = pd.read_parquet(tmp_path / "run" / "holdout" / "returns.parquet")
    assert {"champion", "equal_weight", "equal_blend"} <= set(holdout["strategy"])
    dates = holdout.groupby("strategy")["date"].agg(["min", "max", "count"])
    assert dates.nunique().max() == 1


def test_on_pure_noise_the_verdict_finds_no_skill(tmp_path: Path) -> None:
    """Every asset with the same drift and volatility: no allocator can beat equal weight
    but by luck, and the benchmark-relative statistics must say so."""
    rng = np.random.default_rng(4)
    shocks = rng.normal(0.0003, 0.011, (N_DAYS, 4))
    index = pd.bdate_range("2003-01-01", periods=N_DAYS, name="date")
    prices = pd.DataFrame(100 * np.exp(np.cumsum(shocks, axis=0)), index=index)
    source = tmp_path / "noise.csv"
    prices.rename(columns=lambda c: f"N{c}").to_csv(source)
    config = tiny_config(source).model_copy(
        update={"champion": ChampionConfig(seeds=2), "evaluation": EvaluationConfig(n_boot=500)}
    )
    result = run_pipeline(config, load_data(str(source)), tmp_path / "run")
    active = result.statistics.active_dsr
    assert active is not None and active.dsr < 0.8
    against = next(
        row
        for row in result.verdict["holdout_tests"]["differences"]
        if row["baseline"] == "equal_weight"
    )
    # under the null a p-value is uniform (and a 90 % interval misses zero one time in ten):
    # the contract is "not significant once the baselines are accounted for", not a level
    assert against["p_holm"] > config.evaluation.significance
    assert result.verdict["verdict"]["outcome"] == "no_evidence"


def test_seed_validation_in_worker_processes_matches_one_process(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = write_prices(tmp_path / "p.csv")
    config = tiny_config(source)
    context = build_context(config, load_data(str(source)))
    searched = evaluate(config, context).returns  # what the search computed for seed 3
    seeds = [3, 4, 5]
    one = seed_validation_sharpes(config, context, seeds, searched, jobs=1)
    with caplog.at_level("INFO", logger="evofolio.search.evaluation.seeds"):
        two = seed_validation_sharpes(config, context, seeds, searched, jobs=2)
    lines = [r.getMessage() for r in caplog.records if "walked forward" in r.getMessage()]
    assert lines[-1].startswith(
        f"champion seeds walked forward over the validation folds: 2 of 2 "
        f"(seed 4: Sharpe {two[4]:.2f}; seed 5: Sharpe {two[5]:.2f})"
    ), lines
    assert list(one) == seeds and one == pytest.approx(two, abs=1e-6)
    assert one[3] == pytest.approx(sharpe_ratio(searched.to_numpy()))  # reused, not refitted
    assert len(set(np.round(list(one.values()), 8))) == 3  # the seeds give other models


def test_every_family_champion_trades_the_holdout_chosen_on_validation_only(
    tmp_path: Path,
) -> None:
    """Each family's best trial is refitted and traded; which family wins is decided before
    the holdout is read: absurd holdout prices change the holdout figures, not the choice."""
    runs = {}
    for name, absurd in (("plain", False), ("absurd", True)):
        source = write_prices(tmp_path / f"{name}.csv", absurd)
        config = tiny_config(source).model_copy(update={"champion": ChampionConfig(seeds=2)})
        runs[name] = run_pipeline(config, load_data(str(source)), tmp_path / name)
    plain, absurd = runs["plain"], runs["absurd"]
    comparison = plain.verdict["families"]
    families = [row["family"] for row in comparison["families"]]
    assert families == ["asset", "portfolio", "asset_attention"]
    trials = pd.read_parquet(tmp_path / "plain" / "trials.parquet")
    done = trials[trials["state"] == "COMPLETE"]
    for row in comparison["families"]:
        mine = done[done["params_family"] == row["family"]]
        assert row["trial"] == int(mine.loc[mine["fitness"].idxmax(), "number"])  # by hand
        assert row["validation"]["champion"] == pytest.approx(mine["fitness"].max())
        assert row["trials"]["completed"] == len(mine)
        assert (tmp_path / "plain" / "families" / row["family"] / "models").is_dir()
        assert set(row["seeds"]) == {"3", "4"}
    best = max(comparison["families"], key=lambda row: row["validation"]["champion"])
    assert best["overall_champion"] and plain.champion_number == best["trial"]
    assert [row["overall_champion"] for row in comparison["families"]].count(True) == 1
    # how far each champion is from 1/N, and the overall one's by hand from its weights
    n_assets = len(plain.holdout.results["champion"].weights.columns)
    for row in comparison["families"]:
        assert 0.0 <= row["distance_from_equal_weight"] <= 1.0 - 1.0 / n_assets + 1e-12
        assert -1.0 <= row["correlation_with_benchmark"] <= 1.0
    assert best["distance_from_equal_weight"] == pytest.approx(
        distance_from_equal_weight(plain.holdout.results["champion"].weights)
    )
    # the overall champion's holdout is the family row's: the same seed ensemble
    assert best["holdout"]["sharpe"] == pytest.approx(
        plain.holdout.results["champion"].metrics()["sharpe"]
    )
    # three families: three pairs, Holm-adjusted (never below the raw p-value)
    assert [(p["first"], p["second"]) for p in comparison["pairs"]] == [
        ("asset", "portfolio"),
        ("asset", "asset_attention"),
        ("portfolio", "asset_attention"),
    ]
    assert all(p["p_holm"] >= p["p_value"] for p in comparison["pairs"])
    # the deflation's N counts the trials of every island
    assert plain.statistics.n_evaluated == len(done) - int(done["duplicate_of"].notna().sum())
    # the absurd holdout changes what the champions earned, never which they are
    other = absurd.verdict["families"]
    assert [r["trial"] for r in other["families"]] == [r["trial"] for r in comparison["families"]]
    assert absurd.champion_number == plain.champion_number
    assert other["families"][0]["holdout"]["sharpe"] != pytest.approx(
        comparison["families"][0]["holdout"]["sharpe"]
    )


def test_each_fold_records_the_share_of_an_epoch_the_budget_paid_for(tmp_path: Path) -> None:
    """Under a budget smaller than one epoch every fold trains part of one (its share is
    recorded per fold, and reaches the trial's attributes); without a budget, whole epochs."""
    source = write_prices(tmp_path / "p.csv")
    config = tiny_config(source)
    context = build_context(config, load_data(str(source)))
    whole = evaluate(config, context)
    assert whole.epoch_fractions == (1.0, 1.0)
    search = config.search.model_copy(update={"fit_gflop": 1e-6})
    starved = evaluate(config.model_copy(update={"search": search}), context)
    assert len(starved.epoch_fractions) == 2
    assert all(0.0 < share < 1.0 for share in starved.epoch_fractions)
