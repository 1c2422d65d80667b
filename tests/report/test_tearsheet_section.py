"""The tear sheet and gene sections: which data they read, per-family importances, notes."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from optuna.trial import TrialState
from pages import figures_text

from evofolio.report.html import build_report
from evofolio.report.importances import family_genes, family_study, timeline_study
from evofolio.report.markup import Figures
from evofolio.report.rundir import read_run_dir
from evofolio.report.tearsheet_plots import importances_figure
from evofolio.report.tearsheet_section import tearsheet_section


def trials_table(n_asset: int, n_portfolio: int, seed: int = 0) -> pd.DataFrame:
    """Completed trials whose score depends on ``lr`` only (asset) or ``mode`` only
    (portfolio); ``layers`` is pinned (one value); every gene is drawn for every trial."""
    rng = np.random.default_rng(seed)
    rows = []
    for number in range(n_asset + n_portfolio):
        family = "asset" if number < n_asset else "portfolio"
        lr = float(10 ** rng.uniform(-4, -2))
        mode = str(rng.choice(["blend", "select"]))
        score = -abs(np.log10(lr) + 3) if family == "asset" else float(mode == "select")
        rows.append(
            {
                "number": number,
                "generation": 0,
                "state": "COMPLETE",
                "fitness": score + rng.normal(0, 1e-3),
                "datetime_start": pd.Timestamp("2026-01-05 09:00") + pd.Timedelta(minutes=number),
                "datetime_complete": pd.Timestamp("2026-01-05 09:00")
                + pd.Timedelta(minutes=number, seconds=30),
                "params_family": family,
                "params_encoder": str(rng.choice(["joint", "shared"])),
                "params_layers": 2,
                "params_lr": lr,
                "params_dropout": float(rng.uniform(0, 0.5)),
                "params_mode": mode,
                "params_feature_ret_1": bool(rng.random() < 0.5),
                "params_strategy_hrp": bool(rng.random() < 0.5),
            }
        )
    return pd.DataFrame(rows)


def test_each_family_keeps_only_the_genes_it_reads() -> None:
    trials = trials_table(12, 12)
    assert family_genes(trials, "asset") == ["encoder", "lr", "dropout", "feature_ret_1"]
    # Model 2's encoder is a parameter of its network (network__encoder): a gene it reads
    assert family_genes(trials, "portfolio") == ["encoder", "lr", "dropout", "mode", "strategy_hrp"]


def test_importances_rank_the_gene_that_drives_the_score() -> None:
    trials = trials_table(30, 30)
    for family, driver in (("asset", "lr"), ("portfolio", "mode")):
        study, genes = family_study(trials, family)
        assert len(study.trials) == 30
        # the family's trials only, each valued at its score
        assert [t.value for t in study.trials] == list(
            trials.loc[trials["params_family"] == family, "fitness"]
        )
        fig = importances_figure(study, family, genes)
        bars = fig.data[0]
        names, values = list(bars.y), list(bars.x)
        assert set(names) == set(genes)  # the ignored and pinned genes are not there
        assert names[int(np.argmax(values))] == driver


def test_timeline_keeps_states_and_times() -> None:
    trials = trials_table(3, 0)
    trials.loc[1, "state"] = "PRUNED"
    trials.loc[2, "fitness"] = np.nan  # completed without a score: shown as failed
    study = timeline_study(trials)
    assert study is not None
    assert [t.state for t in study.trials] == [
        TrialState.COMPLETE,
        TrialState.PRUNED,
        TrialState.FAIL,
    ]
    first = study.trials[0]
    assert first.value == pytest.approx(trials.loc[0, "fitness"])
    assert first.datetime_complete is not None and first.datetime_start is not None
    assert (first.datetime_complete - first.datetime_start).total_seconds() == 30
    assert timeline_study(trials.drop(columns=["datetime_start"])) is None


def test_too_few_trials_give_a_note(run_dir: Path) -> None:
    # the tiny run has 8 trials in all: every family has fewer than 10 completed
    page = build_report(run_dir).read_text(encoding="utf-8")
    genes = page[page.index('<section id="genes">') : page.index('<section id="assumptions">')]
    assert "too few to rank the genes" in genes
    assert genes.count('class="plotly-graph-div"') == 1  # the timeline only


def test_the_champion_validation_returns_follow_clones(run_dir: Path) -> None:
    record = read_run_dir(run_dir)
    own = pd.read_parquet(run_dir / "trials" / f"{record.champion.trial:05d}" / "returns.parquet")
    assert record.validation_trial == record.champion.trial
    assert record.validation is not None
    assert record.validation.to_numpy().tolist() == own["net"].tolist()
    # make the champion a clone of another completed trial: its files are that trial's
    trials = pd.read_parquet(run_dir / "trials.parquet")
    done = trials.loc[trials["state"] == "COMPLETE", "number"]
    original = int(done[done != record.champion.trial].iloc[0])
    trials["duplicate_of"] = pd.array([pd.NA] * len(trials), dtype="Int64")
    trials.loc[trials["number"] == record.champion.trial, "duplicate_of"] = original
    trials.to_parquet(run_dir / "trials.parquet")
    clone = read_run_dir(run_dir)
    theirs = pd.read_parquet(run_dir / "trials" / f"{original:05d}" / "returns.parquet")
    assert clone.validation_trial == original
    assert clone.validation is not None
    assert clone.validation.to_numpy().tolist() == theirs["net"].tolist()
    page = build_report(run_dir).read_text(encoding="utf-8")
    assert f"a clone of trial {original}" in figures_text(page)


def test_the_benchmark_is_an_argument(run_dir: Path) -> None:
    page = build_report(run_dir, benchmark="inverse_vol").read_text(encoding="utf-8")
    returns = pd.read_parquet(run_dir / "holdout" / "returns.parquet")
    wide = returns.pivot(index="date", columns="strategy", values="net")
    years = re.findall(
        r"<tr><th>(\d{4})</th><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>", page
    )
    assert [int(y) for y, *_ in years] == sorted(set(wide.index.year))
    for year, champion, benchmark, difference in years:
        part = wide[wide.index.year == int(year)]
        growth = (1 + part).prod() - 1
        assert champion == f"{100 * growth['champion']:.1f}%"
        assert benchmark == f"{100 * growth['inverse_vol']:.1f}%"
        assert difference == f"{100 * (growth['champion'] - growth['inverse_vol']):.1f}%"
    assert "next to the benchmark (inverse_vol)" in page
    weights = pd.read_parquet(run_dir / "holdout" / "weights.parquet")
    start = page.index('<section id="tearsheet">')
    tearsheet = page[start : page.index("</section>", start)]
    rows = re.findall(r"<tr><th>(champion|inverse_vol)</th><td>([^<]*)</td>", tearsheet)
    for name, shown in rows:
        w = weights.loc[weights["strategy"] == name].drop(columns=["date", "strategy"])
        assert shown == f"{(w - 1 / w.shape[1]).abs().sum(axis=1).mean():.3f}"
    assert len(rows) == 2


def test_an_unknown_benchmark_is_a_note_not_a_crash(run_dir: Path) -> None:
    record = read_run_dir(run_dir, benchmark="best_classic")
    html = tearsheet_section(record, Figures())
    assert "The benchmark &#x27;best_classic&#x27; has no returns" in html


def test_the_efficiency_curves_are_the_best_score_so_far_per_trials_evaluated() -> None:
    from evofolio.report.search_stats import efficiency_curves

    trials = pd.DataFrame(
        {
            "number": [0, 1, 2, 3, 4, 5],
            "generation": [0, 0, 0, 1, 1, 1],
            "state": ["COMPLETE", "PRUNED", "COMPLETE", "FAIL", "COMPLETE", "COMPLETE"],
            "fitness": [0.5, np.nan, 0.4, np.nan, 0.9, 0.6],
            "params_family": ["asset", "asset", "portfolio", "asset", "asset", "portfolio"],
        }
    )
    curves = efficiency_curves(trials)
    # the failed trial was not evaluated; the pruned one was (it spent budget)
    assert list(curves["all trials"].index) == [1, 2, 3, 4, 5]
    assert list(curves["all trials"]) == [0.5, 0.5, 0.5, 0.9, 0.9]
    assert list(curves["asset"]) == [0.5, 0.5, 0.9]
    assert list(curves["portfolio"]) == [0.4, 0.6]
