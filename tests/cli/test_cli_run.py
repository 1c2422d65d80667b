"""`evofolio run --quick`, `report` and `allocate` end to end on a small CSV."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from evofolio.cli import app
from evofolio.run_layout import SEARCH_LOCK
from synthetic import random_prices

runner = CliRunner()

PROMISED = [
    "run.json",
    "trials.parquet",
    "report.html",
    "champion/config.json",
    "champion/models/ensemble.json",
    "champion/weights.parquet",
    "champion/held.parquet",
    "champion/returns.parquet",
    "champion/metrics.json",
    "holdout/weights.parquet",
    "holdout/held.parquet",
    "holdout/returns.parquet",
    "holdout/metrics.json",
]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("quick")
    source = folder / "prices.csv"
    random_prices(n_days=1400, n_assets=3, seed=5, start="2004-01-01").to_csv(source)
    out = folder / "run"
    with pytest.MonkeyPatch.context() as patch:  # relative paths, as a user types them
        patch.chdir(folder)
        args = ["run", "--quick", "--data", "prices.csv", "--out", "run", "--seed", "1"]
        result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "holdout" in result.stdout and "deflated Sharpe vs zero" in result.stdout
    assert "on the returns over equal_weight" in result.stdout  # both PBOs, labelled
    assert "on the raw returns" in result.stdout
    assert result.stdout.strip().splitlines()[-1].startswith("verdict: ")
    (folder / "stdout.txt").write_text(result.stdout)
    return out


def test_run_quick_writes_every_promised_file(quick_run: Path) -> None:
    for name in PROMISED:
        assert (quick_run / name).is_file(), name
    run = json.loads((quick_run / "run.json").read_text())
    assert run["holdout"][0] > run["development"][1]
    metrics = json.loads((quick_run / "champion" / "metrics.json").read_text())
    assert {"dsr", "pbo", "holdout", "genome", "trial"} <= set(metrics)
    assert {"verdict", "search_statistics", "holdout_tests", "seeds", "costs"} <= set(metrics)
    trials = pd.read_parquet(quick_run / "trials.parquet")
    assert metrics["trial"] in set(trials["number"])
    holdout = pd.read_parquet(quick_run / "holdout" / "returns.parquet")
    assert holdout["date"].min() >= pd.Timestamp(run["holdout"][0])


def test_the_covariance_the_rules_used_is_stated(quick_run: Path) -> None:
    run = json.loads((quick_run / "run.json").read_text())
    # 3 assets, 252-day window: auto keeps the sample covariance (3 <= 25.2)
    assert run["strategies"] == {
        "window": 252,
        "covariance_setting": "auto",
        "covariance": "empirical",
    }
    holdout = json.loads((quick_run / "holdout" / "metrics.json").read_text())
    assert holdout["covariance"] == "empirical"
    report = html.unescape((quick_run / "report.html").read_text())
    assert "trailing 252-day window; covariance empirical (auto:" in report


def test_the_verdict_is_written_reported_and_printed_last(quick_run: Path) -> None:
    metrics = json.loads((quick_run / "champion" / "metrics.json").read_text())
    verdict = metrics["verdict"]
    assert verdict["outcome"] in {"beats", "trails", "no_evidence"}
    assert verdict["benchmark"] == "equal_weight"  # the default benchmark
    lines = (quick_run.parent / "stdout.txt").read_text().strip().splitlines()
    assert lines[-1] == f"verdict: {verdict['text']}"
    # the break-even costs name each rule once (the best classic rule may be the benchmark)
    seeds_line = next(line for line in lines if line.startswith("holdout Sharpe by seed"))
    best = metrics["costs"]["best_classic"]
    assert seeds_line.count(f"vs {best} ") == 1 and seeds_line.count("vs equal_weight ") == 1
    # one holdout test per baseline: every classic rule and their equal blend
    holdout = json.loads((quick_run / "holdout" / "metrics.json").read_text())
    baselines = set(holdout["metrics"]) - {"champion"}
    tests = metrics["holdout_tests"]
    assert {row["baseline"] for row in tests["differences"]} == baselines
    assert set(tests["intervals"]) == baselines | {"champion"}
    # N counts every configuration tried: completed trials with returns, plus the pruned
    trials = pd.read_parquet(quick_run / "trials.parquet")
    stats = metrics["search_statistics"]
    with_files = sum(
        (quick_run / "trials" / f"{n:05d}" / "returns.parquet").is_file()
        for n in trials.loc[trials["state"] == "COMPLETE", "number"]
    )
    assert stats["n_completed"] == with_files
    assert stats["n_pruned"] == int((trials["state"] == "PRUNED").sum())
    assert stats["vs_benchmark"]["dsr"]["n_trials"] == stats["n_evaluated"]
    assert stats["n_evaluated"] == with_files + stats["n_pruned"]
    # the seed ensemble of the quick preset (3 seeds from --seed 1), traded in the holdout
    assert metrics["seeds"]["seeds"] == [1, 2, 3]
    assert metrics["costs"]["grid_bps"] == [0.0, 5.0, 10.0, 20.0, 50.0]
    page = (quick_run / "report.html").read_text(encoding="utf-8")
    assert 'id="verdict"' in page and 'id="holdout-tests"' in page
    assert page.index('id="verdict"') < page.index('id="holdout"')  # the verdict comes first
    assert html.escape(verdict["text"]) in page


def test_a_run_directory_refuses_other_data(quick_run: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    random_prices(n_days=1400, n_assets=3, seed=6, start="2004-01-01").to_csv(other)

    def files() -> dict[Path, int]:  # the run's files; search.lock records who last held it
        return {p: p.stat().st_mtime_ns for p in quick_run.rglob("*") if p.is_file()} | {
            quick_run / SEARCH_LOCK: 0
        }

    before = files()
    args = ["run", "--quick", "--data", str(other), "--out", str(quick_run), "--seed", "1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "made from other inputs: data" in result.stderr
    assert "" not in result.stderr.splitlines()  # no empty line left by a closing display
    assert files() == before


def test_report_rebuilds_from_the_run_directory(quick_run: Path) -> None:
    report = quick_run / "report.html"
    report.unlink()
    result = runner.invoke(app, ["report", str(quick_run)])
    assert result.exit_code == 0, result.output
    assert report.stat().st_size > 100_000


def test_allocate_gives_tomorrows_weights(
    quick_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # issue 23: a run started with a relative --data path stored it as given, and allocate
    # from another folder failed with "file not found"; the run records the absolute path
    monkeypatch.chdir(tmp_path)
    config = json.loads((quick_run / "champion" / "config.json").read_text())
    assert config["data"]["source"] == str((quick_run.parent / "prices.csv").resolve())
    result = runner.invoke(app, ["allocate", "--run", str(quick_run), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads((quick_run / "allocation.json").read_text())
    weights = np.array(list(payload["weights"].values()))
    assert weights.min() >= 0 and weights.sum() == pytest.approx(1.0, abs=1e-6)
    last_price_date = pd.read_csv(quick_run.parent / "prices.csv")["date"].iloc[-1]
    assert payload["decided_at_close_of"] == last_price_date
    assert json.loads(result.stdout) == payload
    assert payload["seeds"] == [1, 2, 3]  # the seed ensemble decides


def test_allocate_and_report_name_a_missing_run(tmp_path: Path) -> None:
    for args in (["allocate", "--run", str(tmp_path)], ["report", str(tmp_path / "nope")]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert result.stderr.strip().splitlines()[-1].startswith("error: ")


@pytest.mark.parametrize("command", ["run", "evolve"])
def test_search_commands_reject_bad_input_before_writing(command: str, tmp_path: Path) -> None:
    short = tmp_path / "short.csv"
    random_prices(n_days=300, n_assets=3, seed=2).to_csv(short)  # too little history
    out = tmp_path / "out"
    args = [command, "--data", str(short), "--out", str(out)]
    result = runner.invoke(app, [*args, "--quick"] if command == "run" else args)
    assert result.exit_code == 2, result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "dates" in last
    assert not out.exists()


def test_a_bad_storage_url_leaves_no_run_directory(tmp_path: Path) -> None:
    source = tmp_path / "prices.csv"
    random_prices(n_days=1400, n_assets=3, seed=5, start="2004-01-01").to_csv(source)
    config = tmp_path / "two_folds.toml"
    config.write_text("[search]\nfolds = 2\n")
    out = tmp_path / "out"
    bad = "sqlite:////nonexistent/folder/search.db"
    args = ["evolve", "--config", str(config), "--data", str(source), "--out", str(out)]
    result = runner.invoke(app, [*args, "--storage", bad])
    assert result.exit_code == 2, result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: search.storage: cannot open") and bad in last
    assert not out.exists()


def test_a_quick_run_says_it_ran_on_the_demonstration_budget(quick_run: Path) -> None:
    """`run --quick` records the quick preset's budget, and the report's header says it is a
    demonstration budget (issue 23, part 5)."""
    run = json.loads((quick_run / "run.json").read_text())
    assert run["budget"]["preset"] == "quick"
    assert run["budget"]["population"] == run["config"]["search"]["population"]
    page = html.unescape((quick_run / "report.html").read_text(encoding="utf-8"))
    header = page[page.index("<header>") : page.index("</header>")]
    assert "Budget: the quick preset, a demonstration budget" in header
