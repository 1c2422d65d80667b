"""report.html without a browser: sections, tables against the inputs, offline, atomic write."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from real_run import STRATEGY_NAMES

from evofolio.errors import DataError, OutputError, UsageError
from evofolio.report.html import build_report
from evofolio.report.importances import MIN_IMPORTANCE_TRIALS
from evofolio.report.markup import unpacked
from evofolio.report.rundir import read_run_dir
from evofolio.report.tables import TABLE_COLUMNS, format_metric

SECTIONS = (
    "verdict",
    "families",
    "holdout",
    "tearsheet",
    "performance",
    "champion",
    "search",
    "genes",
    "assumptions",
)
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


def tearsheet_figures(run_dir: Path) -> int:
    """Monthly heatmaps (champion, benchmark) and rolling Sharpe over a holdout of at least
    a year, and the validation-then-holdout chart when the champion has validation returns."""
    days = pd.read_parquet(run_dir / "holdout" / "returns.parquet")["date"].nunique()
    validation = read_run_dir(run_dir).validation is not None
    return 2 + int(days >= 252) + int(validation)


def family_counts(run_dir: Path) -> dict[str, int]:
    trials = pd.read_parquet(run_dir / "trials.parquet")
    done = trials[trials["state"] == "COMPLETE"]
    return {str(k): int(v) for k, v in done["params_family"].value_counts().items()}


def section_of(page: str, anchor: str) -> str:
    start = page.index(f'<section id="{anchor}">')
    return page[start : page.index("</section>", start)]


def test_sections_in_the_order_of_the_issue(run_dir: Path) -> None:
    page = build_report(run_dir).read_text(encoding="utf-8")
    positions = [page.index(f'<section id="{anchor}">') for anchor in SECTIONS]
    assert positions == sorted(positions)
    counts = family_counts(run_dir)
    assert set(counts) == {"asset", "portfolio"}
    # trial states, fitness by generation, efficiency curves, Pareto front, fitness by
    # family, features
    search = section_of(page, "search")
    assert figure_count(search) == 6
    assert "efficiency curve (nsga2 sampler)" in search
    assert figure_count(section_of(page, "tearsheet")) == tearsheet_figures(run_dir)
    # importances of each family with 10 completed trials or more; the timeline
    ranked = sum(n >= MIN_IMPORTANCE_TRIALS for n in counts.values())
    assert figure_count(section_of(page, "genes")) == ranked + TIMELINE
    for family, n in counts.items():
        if n < MIN_IMPORTANCE_TRIALS:
            assert f"{family} family: {n} completed trials, fewer than 10" in page


def test_holdout_table_matches_the_metrics_file(run_dir: Path) -> None:
    page = build_report(run_dir).read_text(encoding="utf-8")
    metrics = json.loads((run_dir / "holdout" / "metrics.json").read_text())["metrics"]
    rows = table_rows(section_of(page, "holdout"))
    assert next(iter(rows)) == "champion"
    assert set(rows) == set(metrics) and set(STRATEGY_NAMES) <= set(rows)
    for name, cells in rows.items():
        expected = [format_metric(k, metrics[name][k]) for k in TABLE_COLUMNS]
        assert cells == expected, name


def test_statistics_are_shown_with_how_to_read_them(run_dir: Path) -> None:
    page = build_report(run_dir).read_text(encoding="utf-8")
    champion = json.loads((run_dir / "champion" / "metrics.json").read_text())
    run = json.loads((run_dir / "run.json").read_text())
    assert f"{champion['dsr']['dsr']:.3f}" in page
    assert champion["pbo"] is not None and f"{champion['pbo']['pbo']:.3f}" in page
    assert "Against zero, not against the benchmark" in page
    assert "The probability of backtest overfitting is the share" in page
    first, last = run["development"]
    assert f"{first} to {last}" in page  # the development period
    assert f"{run['cost_bps']:.1f} bps" in page


def test_the_page_is_self_contained(run_dir: Path) -> None:
    page = build_report(run_dir).read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=", page)
    assert not re.search(r"@import|url\(\s*['\"]?https?:", page)
    # the library, embedded once (gzip + base64), then its loader and one block per figure
    [library] = re.findall(r'<script[^>]* id="plotly-js"[^>]*>([^<]*)</script>', page)
    source = unpacked(library)
    assert "cdn.plot.ly/plotly" not in source.replace("https://cdn.plot.ly/un/", "")
    assert len(re.findall(r"plotly\.js v\d", source)) == 1
    assert page.count("<script") == 2 + figure_count(page)


def test_single_objective_one_family(single_run: Path, tmp_path: Path) -> None:
    run = Path(shutil.copytree(single_run, tmp_path / "single"))
    page = build_report(run).read_text(encoding="utf-8")
    search = section_of(page, "search")
    assert "no Pareto front" in search
    assert "Only one model family" in search
    # trial states, fitness by generation, efficiency, fitness by family (one), features;
    # no Pareto front
    assert figure_count(search) == 5
    assert figure_count(section_of(page, "tearsheet")) == tearsheet_figures(run)


def test_pbo_null_is_explained(run_dir: Path) -> None:
    # the search writes "pbo": null when it could not compute it (fewer than 2 configurations)
    path = run_dir / "champion" / "metrics.json"
    meta = json.loads(path.read_text()) | {"pbo": None}
    path.write_text(json.dumps(meta))
    page = build_report(run_dir).read_text(encoding="utf-8")
    assert "was not computed" in page and "PBO: not computed." in page


def test_write_is_atomic(run_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = run_dir / "report.html"
    target.write_text("previous report", encoding="utf-8")

    def refuse(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OutputError, match=f"^cannot write {target}: disk full$"):
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


def test_the_families_section_shows_each_family_champion_beside_the_classic_rules(
    run_dir: Path,
) -> None:
    page = build_report(run_dir).read_text(encoding="utf-8")
    comparison = json.loads((run_dir / "champion" / "metrics.json").read_text())["families"]
    part = section_of(page, "families")
    rows = table_rows(part)
    traded = [row for row in comparison["families"] if row["trial"] is not None]
    assert list(rows)[: len(traded)] == [f"{row['family']} champion" for row in traded]
    assert set(rows) - {f"{row['family']} champion" for row in traded} == set(
        comparison["baselines"]
    )
    for row in traded:
        cells = rows[f"{row['family']} champion"]
        assert cells == [format_metric(k, row["holdout"][k]) for k in TABLE_COLUMNS]
    # the overall champion's row is highlighted, and its family is the champion's
    champion = json.loads((run_dir / "champion" / "metrics.json").read_text())["family"]
    assert f'class="champion" data-family="{champion}"' in part
    assert part.count("<tr><th>") - 1 >= len(comparison["pairs"])  # one row per pair
    for pair in comparison["pairs"]:
        assert f"{pair['first']} − {pair['second']}" in part
    assert figure_count(part) == 2  # Sharpe with intervals, validation by family
    assert comparison["sentence"] in part.replace("&#x27;", "'")
