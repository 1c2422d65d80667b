"""report.html without a browser: sections, tables against the inputs, offline, atomic write."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest
from synthetic_run import MakeRunDir

from evofolio.errors import DataError, UsageError
from evofolio.report.html import build_report
from evofolio.report.rundir import read_run_dir
from evofolio.report.tables import TABLE_COLUMNS, format_metric
from evofolio.strategies import STRATEGIES

SECTIONS = ("holdout", "tearsheet", "performance", "champion", "search", "genes", "assumptions")
# The tear sheet's figures with a holdout over 252 days and a champion with validation
# returns: 2 monthly heatmaps, rolling Sharpe, validation-then-holdout; and the timeline.
TEARSHEET_FIGURES = 4
TIMELINE = 1
REQUIRED = (
    "run.json",
    "trials.parquet",
    "champion/metrics.json",
    "holdout/returns.parquet",
    "holdout/held.parquet",
    "holdout/metrics.json",
)


def table_rows(page: str) -> dict[str, list[str]]:
    """The holdout table: strategy -> cell texts, in page order."""
    rows = re.findall(r'<tr[^>]*data-strategy="([^"]+)"><th>[^<]*</th>(.*?)</tr>', page)
    return {name: re.findall(r"<td[^>]*>(.*?)</td>", cells) for name, cells in rows}


def figure_count(page: str) -> int:
    return page.count('class="plotly-graph-div"')


def test_sections_in_the_order_of_the_issue(run_dir: Path) -> None:
    page = build_report(run_dir).read_text(encoding="utf-8")
    positions = [page.index(f'<section id="{anchor}">') for anchor in SECTIONS]
    assert positions == sorted(positions)
    # 8 before the tear sheet; importances for the asset family only (17 completed trials;
    # the portfolio family has 9, fewer than 10)
    assert figure_count(page) == 8 + TEARSHEET_FIGURES + 1 + TIMELINE
    assert "portfolio family: 9 completed trials, fewer than 10" in page


def test_holdout_table_matches_the_metrics_file(run_dir: Path) -> None:
    page = build_report(run_dir).read_text(encoding="utf-8")
    metrics = json.loads((run_dir / "holdout" / "metrics.json").read_text())["metrics"]
    rows = table_rows(page)
    assert list(rows) == ["champion", *STRATEGIES, "equal_blend"]
    for name, cells in rows.items():
        expected = [format_metric(k, metrics[name][k]) for k in TABLE_COLUMNS]
        assert cells == expected, name


def test_statistics_are_shown_with_how_to_read_them(run_dir: Path) -> None:
    page = build_report(run_dir).read_text(encoding="utf-8")
    champion = json.loads((run_dir / "champion" / "metrics.json").read_text())
    assert f"{champion['dsr']['dsr']:.3f}" in page
    assert f"{champion['pbo']['pbo']:.3f}" in page
    assert "Against zero, not against the benchmark" in page
    assert "The probability of backtest overfitting is the share" in page
    assert "survivors" in page  # the sp500 dataset note
    assert "2005-01-03 to 2019-12-31" in page  # development period
    assert "10.0 bps" in page


def test_the_page_is_self_contained(run_dir: Path) -> None:
    page = build_report(run_dir).read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=", page)
    assert not re.search(r"@import|url\(\s*['\"]?https?:", page)
    assert "cdn.plot.ly/plotly" not in page.replace("https://cdn.plot.ly/un/", "")
    assert len(re.findall(r"plotly\.js v\d", page)) == 1  # the library, embedded once
    assert page.count("<script") == 1 + figure_count(page)


def test_single_objective_one_family(run_dir_factory: MakeRunDir) -> None:
    run = run_dir_factory(multi_objective=False, families=("asset",))
    page = build_report(run).read_text(encoding="utf-8")
    assert "no Pareto front" in page
    assert "Only one model family" in page
    assert figure_count(page) == 7 + TEARSHEET_FIGURES + 1 + TIMELINE


def test_no_completed_trial_and_no_pbo(run_dir_factory: MakeRunDir) -> None:
    run = run_dir_factory(all_fail=True)
    page = build_report(run).read_text(encoding="utf-8")
    assert "No trial completed" in page
    assert "not computed" in page and "at least 2 completed trials" in page
    assert "loss is nan at epoch 3" in page  # the failures' error is reported
    # no validation returns (no trial completed) and no importances: heatmaps, rolling Sharpe
    assert figure_count(page) == 4 + TEARSHEET_FIGURES - 1 + TIMELINE
    assert "No validation returns for the champion" in page
    assert "No completed trial with a model family" in page


def test_pbo_null_with_completed_trials(run_dir_factory: MakeRunDir) -> None:
    page = build_report(run_dir_factory(with_pbo=False)).read_text(encoding="utf-8")
    assert "was not computed" in page


def test_write_is_atomic(run_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = run_dir / "report.html"
    target.write_text("previous report", encoding="utf-8")

    def refuse(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(UsageError, match="cannot write"):
        build_report(run_dir)
    assert target.read_text(encoding="utf-8") == "previous report"
    monkeypatch.undo()
    assert build_report(run_dir) == target
    assert target.stat().st_size > 1_000_000
    assert sorted(p.name for p in run_dir.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize("name", REQUIRED)
def test_missing_file_is_named(run_dir: Path, name: str) -> None:
    (run_dir / name).unlink()
    with pytest.raises(DataError, match=re.escape(name)):
        build_report(run_dir)
    assert not (run_dir / "report.html").exists()


def test_missing_directory_and_column(run_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="run directory not found"):
        read_run_dir(tmp_path / "nowhere")
    trials = run_dir / "trials.parquet"
    pd.read_parquet(trials).drop(columns=["state"]).to_parquet(trials)
    with pytest.raises(DataError, match=r"trials\.parquet: missing column\(s\) state"):
        read_run_dir(run_dir)


def test_broken_json_is_a_data_error(run_dir: Path) -> None:
    (run_dir / "run.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(DataError, match="run.json"):
        read_run_dir(run_dir)


def test_nulls_read_as_nan_and_config_is_optional(run_dir: Path) -> None:
    (run_dir / "champion" / "config.json").unlink()
    record = read_run_dir(run_dir)
    assert record.config is None
    assert record.champion.fitness != record.champion.fitness  # null in multi-objective mode
    assert record.strategies[0] == "champion"
    assert "Genes (JSON)" in build_report(run_dir).read_text(encoding="utf-8")
