"""`evofolio validate` end to end on a small CSV: files, stitching, warm start, holdout
blindness, a SIGKILL mid-search and its resume, bad arguments."""

from __future__ import annotations

import html
import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pandas as pd
import pytest
from typer.testing import CliRunner

import evofolio as ev
from evofolio.cli import app
from evofolio.config import SearchConfig
from synthetic import random_prices

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
HOLDOUT = "2007-01-01"
TINY = f"""
seed = 1
[data]
holdout_start = {HOLDOUT}
[training]
epochs = 1
[search]
population = 2
generations = 1
folds = 2
heartbeat_seconds = 1
[champion]
seeds = 1
[evaluation]
n_boot = 100
[validate]
outer_years = 1
first_test = 2005
generations_after_first = 1
"""
PERIODS = ["outer-2005", "outer-2006"]

pytestmark = pytest.mark.slow


def _inputs(
    folder: Path, scale_holdout: float = 1.0, blank: str | None = None
) -> tuple[Path, Path]:
    prices = random_prices(n_days=2100, n_assets=3, seed=5, start="2000-01-03")
    late = prices.index >= pd.Timestamp(HOLDOUT)
    if scale_holdout != 1.0:  # every price on or after the holdout start changes
        factor = scale_holdout * (1.0 + 0.01 * (prices.index[late].day % 3))
        prices.loc[late] = prices.loc[late].mul(factor.to_numpy(), axis=0)
    if blank is not None:  # missing through the holdout: > 10 % of the file's dates
        prices.loc[late, blank] = float("nan")
    source = folder / "prices.csv"
    prices.to_csv(source)
    config = folder / "tiny.toml"
    config.write_text(TINY)
    return source, config


def _args(source: Path, config: Path, out: Path) -> list[str]:
    return ["validate", "--config", str(config), "--data", str(source), "--out", str(out)]


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("validate")
    source, config = _inputs(folder)
    out = folder / "out"
    result = runner.invoke(app, _args(source, config, out))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1].startswith("verdict: ")
    return out


def _stitched(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "stitched" / "returns.parquet")


def test_validate_writes_each_outer_step_and_the_stitched_track(validated: Path) -> None:
    summary = json.loads((validated / "validate.json").read_text())
    assert [p["name"] for p in summary["periods"]] == PERIODS
    first, second = summary["periods"]
    assert first["trading"][0] >= "2005-01-01" and first["trading"][1] < "2006-01-01"
    assert second["trading"][0] >= "2006-01-01" and second["trading"][1] < HOLDOUT
    # each search saw only the dates before its period
    assert first["development"][1] < "2005-01-01" and second["development"][1] < "2006-01-01"
    # population 2: one genome per island (family) from the first search's best
    families = len(SearchConfig().families)
    assert first["budget"]["warm_start_genomes"] == 0
    assert second["budget"]["warm_start_genomes"] == families
    assert (validated / "report.html").is_file() and (validated / "search.db").is_file()
    page = (validated / "report.html").read_text(encoding="utf-8")
    assert 'id="cost-table"' in page and "Break-even cost vs" in page  # the run report's costs
    assert "was run twice" in page
    for name in PERIODS:
        assert (validated / name / "period.json").is_file()
        assert (validated / name / "champion" / "metrics.json").is_file()
    assert summary["verdict"]["outcome"] in {"beats", "trails", "no_evidence"}


def test_the_stitched_series_is_the_outer_periods_trading_returns_in_turn(validated: Path) -> None:
    parts = [pd.read_parquet(validated / n / "holdout" / "returns.parquet") for n in PERIODS]
    stitched = _stitched(validated)
    summary = json.loads((validated / "validate.json").read_text())
    for strategy in stitched["strategy"].unique():
        mine = stitched[stitched["strategy"] == strategy].reset_index(drop=True)
        expected = pd.concat([p[p["strategy"] == strategy] for p in parts], ignore_index=True)
        pd.testing.assert_frame_equal(mine, expected)
        # the stitched Sharpe ratio by hand: mean / sample std * sqrt(252) of the joined net
        net = expected["net"].to_numpy()
        by_hand = net.mean() / net.std(ddof=1) * math.sqrt(252)
        assert summary["metrics"][strategy]["sharpe"] == pytest.approx(by_hand)
    # the period Sharpe of each step is that step's own trading period
    first = parts[0][parts[0]["strategy"] == "champion"]["net"].to_numpy()
    assert summary["periods"][0]["sharpe"]["champion"] == pytest.approx(
        first.mean() / first.std(ddof=1) * math.sqrt(252)
    )


def test_the_second_outer_search_starts_from_the_first_ones_best_genomes(validated: Path) -> None:
    trials = pd.read_parquet(validated / PERIODS[0] / "trials.parquet")
    done = trials[trials["state"] == "COMPLETE"].sort_values("fitness", ascending=False)
    genes = [c for c in trials.columns if c.startswith("params_")]
    # each island (family) is warm-started from its own best genome
    best = {
        family: {
            c.removeprefix("params_"): row[c]
            for c in genes
            if not (isinstance(row[c], float) and math.isnan(row[c])) and row[c] is not None
        }
        for family, rows in done.groupby("params_family", sort=False)
        for _, row in rows.head(1).iterrows()
    }
    storage = f"sqlite:///{validated / 'search.db'}"
    second = optuna.load_study(study_name=PERIODS[1], storage=storage)
    queued = [
        t.system_attrs["fixed_params"] for t in second.trials if "fixed_params" in t.system_attrs
    ]
    # population 2: half of each island warm-started, the other half new
    assert sorted(g["family"] for g in queued) == sorted(best)
    for genome in queued:
        expected = best[str(genome["family"])]
        assert set(genome) == set(expected)
        for gene, value in genome.items():
            assert str(value) == str(expected[gene]) or value == pytest.approx(expected[gene])


def test_validate_never_reads_the_holdout(validated: Path, tmp_path: Path) -> None:
    """Holdout prices scaled and one asset missing through the holdout (which makes it a
    delisting of the whole file, read point in time, and drops it from a rectangle): every
    output is unchanged."""
    source, config = _inputs(tmp_path, scale_holdout=1.7, blank="A1")
    assert not pd.read_csv(source)["A0"].equals(pd.read_csv(validated.parent / "prices.csv")["A0"])
    whole = ev.load_data(str(source))
    assert whole.universe is not None
    assert whole.universe.lives().loc["A1", "last"] < whole.prices.index[-1]
    assert "A1" not in ev.load_data(str(source), ragged=False).prices.columns
    out = tmp_path / "out"
    result = runner.invoke(app, _args(source, config, out))
    assert result.exit_code == 0, result.output
    assert "A1" not in result.stderr  # no warning about the holdout's gap
    pd.testing.assert_frame_equal(_stitched(out), _stitched(validated))
    mine = json.loads((out / "validate.json").read_text())
    theirs = json.loads((validated / "validate.json").read_text())
    for key in ("periods", "metrics", "holdout_tests", "costs", "verdict", "development"):
        assert mine[key] == theirs[key], key


def _running_trial(database: Path, study: str) -> bool:
    """Whether ``study`` has a running trial, read without opening an Optuna storage (which
    would create tables under the running process's feet)."""
    if not database.is_file():
        return False
    query = (
        "SELECT COUNT(*) FROM trials JOIN studies ON trials.study_id = studies.study_id "
        "WHERE studies.study_name = ? AND trials.state = 'RUNNING'"
    )
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=0.1) as connection:
            (count,) = connection.execute(query, (study,)).fetchone()
    except sqlite3.Error:
        return False
    return bool(count)


def test_a_killed_validate_resumes_losing_only_the_trial_in_flight(
    validated: Path, tmp_path: Path
) -> None:
    source, config = _inputs(tmp_path)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "evofolio", *_args(source, config, out)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    deadline = time.monotonic() + 240
    # kill in the middle of the second outer search: a trial of outer-2006 is running
    while not _running_trial(out / "search.db", PERIODS[1]):
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert (out / PERIODS[0] / "period.json").is_file()
    assert not (out / PERIODS[1] / "period.json").is_file()
    assert not (out / "validate.json").exists()
    finished_first = (out / PERIODS[0] / "period.json").stat().st_mtime_ns
    time.sleep(2.5)  # the killed trial's heartbeat goes stale (2 x 1 s)
    result = runner.invoke(app, _args(source, config, out))
    assert result.exit_code == 0, result.output
    assert f"{PERIODS[0]}: finished before, skipped" in result.stdout
    assert (out / PERIODS[0] / "period.json").stat().st_mtime_ns == finished_first
    # The same procedure over the same dates: every classic rule's stitched track is exactly
    # the uninterrupted one's, and the champion trades the same dates. Its returns may differ
    # slightly from the second period on: the killed trial is re-run under a new number (the
    # seeded sampler then draws the rest of that generation afresh), so the resumed search is
    # a whole search but not always the same one.
    resumed, whole = _stitched(out), _stitched(validated)
    rules = resumed["strategy"] != "champion"
    pd.testing.assert_frame_equal(
        resumed[rules].reset_index(drop=True),
        whole[whole["strategy"] != "champion"].reset_index(drop=True),
    )
    assert (
        resumed.loc[~rules, "date"].tolist()
        == whole.loc[whole["strategy"] == "champion", "date"].tolist()
    )
    first_end = json.loads((out / PERIODS[0] / "period.json").read_text())["trading"][1]
    first = resumed["date"] <= pd.Timestamp(first_end)
    pd.testing.assert_frame_equal(
        resumed[first & ~rules].reset_index(drop=True),
        whole[
            (whole["date"] <= pd.Timestamp(first_end)) & (whole["strategy"] == "champion")
        ].reset_index(drop=True),
    )
    storage = f"sqlite:///{out / 'search.db'}"
    second = optuna.load_study(study_name=PERIODS[1], storage=storage)
    states = [t.state.name for t in second.trials]
    # population 2 x 1 generation in each of the 3 islands; the killed trial re-run
    assert states.count("COMPLETE") == 2 * len(SearchConfig().families) and "FAIL" in states


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--outer-years", "0"], "validate.outer_years"),
        (["--first-test", "1990"], "validate.first_test 1990"),
        (["--first-test", "2009"], "validate.first_test 2009"),
        (["--subsets", "2"], "--subset-size"),
        (["--subset-size", "2"], "--subset-size needs --subsets"),
        (["--first-test", "2001"], "outer-2001: the search needs"),
        (["--first-test", "2001"], "choose a later --first-test (validate.first_test)"),
        (["--subsets", "2", "--subset-size", "3"], "validate.subset_size 3"),
        (["--quick"], "--quick or --config"),
    ],
)
def test_bad_arguments_are_one_line_and_write_nothing(
    tmp_path: Path, extra: list[str], words: str
) -> None:
    source, config = _inputs(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(app, [*_args(source, config, out), *extra])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and words in lines[-1], lines
    assert "Traceback" not in result.output
    assert not out.exists()


def test_help_explains_the_procedure() -> None:
    result = runner.invoke(app, ["validate", "--help"])
    assert result.exit_code == 0
    for words in ("--outer-years", "--first-test", "--subsets", "--quick", "never read"):
        assert words in result.stdout


def test_a_single_outer_period_is_warned_about(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import evofolio.api.validate as api_validate
    from evofolio.errors import UsageError

    def stop(*_args: object, **_kwargs: object) -> None:
        raise UsageError("stopped before the search")

    monkeypatch.setattr(api_validate, "_procedure", stop)
    source, config = _inputs(tmp_path)
    result = runner.invoke(app, [*_args(source, config, tmp_path / "out"), "--outer-years", "6"])
    assert result.exit_code == 2 and "stopped before the search" in result.stderr
    assert "only one outer period (2005-01-01 to 2007-01-01)" in result.stderr
    assert "validate.first_test 2005 and validate.outer_years 6" in result.stderr


def test_validate_quick_runs_the_quick_budget_end_to_end(tmp_path: Path) -> None:
    """`validate --quick` on a small file: the shipped quick budget, walked forward."""
    from evofolio import load_preset

    quick = load_preset("quick")
    prices = random_prices(n_days=2600, n_assets=3, seed=7, start="2000-01-03")
    source = tmp_path / "prices.csv"
    prices.to_csv(source)
    out = tmp_path / "out"
    args = ["validate", "--quick", "--data", str(source), "--out", str(out)]
    result = runner.invoke(app, [*args, "--outer-years", "1", "--first-test", "2006"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1].startswith("verdict: ")
    trading = [line for line in result.stdout.splitlines() if "with their ensemble" in line]
    assert len(trading) == 2 and not any("holdout" in line for line in trading), trading
    assert "trading 2006-" in trading[0] and "trading 2007-" in trading[1]  # the outer tests
    summary = json.loads((out / "validate.json").read_text())
    first, second = summary["periods"]
    assert [first["name"], second["name"]] == ["outer-2006", "outer-2007"]
    search = quick.search
    assert first["budget"]["population"] == search.population
    assert first["budget"]["generations"] == search.generations
    assert first["budget"]["warm_start_genomes"] == 0
    assert second["budget"]["generations"] == quick.validation.generations_after_first
    assert second["budget"]["warm_start_genomes"] == search.population // 2 * len(
        search.families
    )  # half a population per island
    for period in summary["periods"]:
        run = json.loads((out / period["name"] / "run.json").read_text())
        assert run["champion_seeds"] == quick.champion.seeds
    assert (out / "report.html").is_file()
    # the report says it ran on the demonstration budget, and how many periods it tested
    assert summary["budget"]["preset"] == "quick"
    page = html.unescape((out / "report.html").read_text(encoding="utf-8"))
    header = page[page.index("<header>") : page.index("</header>")]
    assert "Budget: the quick preset, a demonstration budget" in header
    assert "Outer periods tested: 2, trading 2006-" in header


def test_validate_compares_samplers_on_the_same_periods(tmp_path: Path) -> None:
    source, config = _inputs(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(app, [*_args(source, config, out), "--samplers", "nsga2,random"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "validate.json").read_text())
    compared = summary["samplers"]
    assert compared["samplers"] == ["nsga2", "random"]
    assert [row["sampler"] for row in compared["rows"]] == ["nsga2", "random"]
    # the first sampler's procedure is the directory's own; the other's has its own room
    assert compared["rows"][0]["sharpe"] == summary["metrics"]["champion"]["sharpe"]
    other = json.loads((out / "sampler-random" / "validate.json").read_text())
    assert compared["rows"][1]["sharpe"] == other["metrics"]["champion"]["sharpe"]
    # same outer periods, same budget, the random search's trials made by the random sampler
    assert [p["trading"] for p in other["periods"]] == [p["trading"] for p in summary["periods"]]
    assert [p["budget"] for p in other["periods"]] == [p["budget"] for p in summary["periods"]]
    assert other["config"]["search"]["sampler"] == "random"
    (pair,) = compared["pairs"]
    assert (pair["first"], pair["second"]) == ("nsga2", "random")
    assert pair["ci_low"] <= pair["difference"] <= pair["ci_high"]
    assert pair["difference"] == pytest.approx(pair["sharpe_first"] - pair["sharpe_second"])
    assert "nsga2 vs random: Sharpe" in result.output
    page = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="sampler-pairs"' in page
    refused = runner.invoke(app, [*_args(source, config, tmp_path / "x"), "--samplers", "grid"])
    assert refused.exit_code == 2 and "samplers: give distinct names" in refused.output
