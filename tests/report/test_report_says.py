"""The run report says what the run knows (issue 23, part 5), on run directories written by
the real pipeline: every classic rule the champion is significantly ahead of or behind, the
budget preset, the champion's family and genome in the header, Model 2's strategy mix and
how much it varies, the cumulative active return, and one compressed plotly.js per page."""

from __future__ import annotations

import dataclasses
import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pages import array, figures

from evofolio.config import load_preset
from evofolio.config.budget import budget_preset, budget_record
from evofolio.report.html import build_report, render_report
from evofolio.report.markup import unpacked
from evofolio.report.mix import fixed_mix
from evofolio.report.rundir import read_run_dir
from evofolio.report.text import genome_sentences

MAX_BYTES = 4_000_000


def header(page: str) -> str:
    return page[page.index("<header>") : page.index("</header>")]


def line(page: str, ident: str) -> str:
    """The text of the header paragraph ``id=ident``."""
    found = re.search(rf'<p[^>]* id="{ident}">(.*?)</p>', header(page), re.S)
    assert found, f"no #{ident} in the header"
    return unescape(found.group(1))


def section_of(page: str, anchor: str) -> str:
    start = page.index(f'<section id="{anchor}">')
    return page[start : page.index("</section>", start)]


def holdout_tests_of(run: Path) -> tuple[dict[str, Any], float]:
    metrics = json.loads((run / "champion" / "metrics.json").read_text())
    config = json.loads((run / "run.json").read_text())["config"]
    return metrics["holdout_tests"], float(config["evaluation"]["significance"])


# 1. The headline: the benchmark's verdict and every rule significantly ahead or behind.


def test_headline_names_every_rule_the_champion_is_significantly_behind_or_ahead_of(
    mix_run: Path,
) -> None:
    page = build_report(mix_run).read_text(encoding="utf-8")
    verdict = json.loads((mix_run / "champion" / "metrics.json").read_text())["verdict"]
    assert line(page, "headline") == verdict["text"]
    tests, significance = holdout_tests_of(mix_run)
    assert significance == pytest.approx(0.1)
    rules = line(page, "rules")
    assert f"p < {significance:g}" in rules
    others = [r for r in tests["differences"] if r["baseline"] != tests["benchmark"]]
    significant = [r for r in others if r["p_holm"] < significance]
    behind = [r for r in significant if r["difference"] < 0]
    ahead = [r for r in significant if r["difference"] > 0]
    assert behind and ahead, "the fixture's data must give both kinds"
    head, _, tail = rules.partition("significantly ahead of")
    for row in behind:
        assert f"{row['baseline']} ({row['difference']:+.2f}, p = {row['p_holm']:.3f})" in head
    for row in ahead:
        assert f"{row['baseline']} ({row['difference']:+.2f}, p = {row['p_holm']:.3f})" in tail
    for row in others:
        if row["p_holm"] >= significance:
            assert f"{row['baseline']} (" not in rules
    assert f"{tests['benchmark']} (" not in rules  # the verdict's own, in the headline
    # at a stricter level than every p-value, no rule is named: the run's level decides
    record = read_run_dir(mix_run)
    strict = min(r["p_holm"] for r in others) / 2
    stricter = dataclasses.replace(record, run=dataclasses.replace(record.run, significance=strict))
    assert "no significant difference" in line(render_report(stricter)[0], "rules")


def test_headline_says_when_no_rule_differs_significantly(multi_run: Path) -> None:
    page = build_report(multi_run).read_text(encoding="utf-8")
    tests, significance = holdout_tests_of(multi_run)
    assert all(
        r["p_holm"] >= significance
        for r in tests["differences"]
        if r["baseline"] != tests["benchmark"]
    )
    assert "no significant difference in Sharpe ratio" in line(page, "rules")


# 2. The budget preset and its caveat.


def test_run_json_records_the_budget_preset(multi_run: Path) -> None:
    run = json.loads((multi_run / "run.json").read_text())
    budget = run["budget"]
    assert budget["preset"] == "custom"  # the tiny test budget is no shipped preset's
    assert budget["population"] == run["config"]["search"]["population"]
    assert budget["epochs"] == run["config"]["training"]["epochs"]
    assert budget["seeds"] == run["config"]["champion"]["seeds"]
    for name in ("quick", "default"):
        assert budget_preset(load_preset(name)) == name


def test_header_states_the_budget_and_the_demonstration_caveat(multi_run: Path) -> None:
    page = build_report(multi_run).read_text(encoding="utf-8")
    budget = json.loads((multi_run / "run.json").read_text())["budget"]
    words = line(page, "budget")
    assert words.startswith("Budget: custom")
    assert f"{budget['population']} genomes × {budget['generations']} generations" in words
    # the same run had it been given the quick preset's budget: the caveat
    record = read_run_dir(multi_run)
    quick = dataclasses.replace(
        record, run=dataclasses.replace(record.run, budget=budget_record(load_preset("quick")))
    )
    words = line(render_report(quick)[0], "budget")
    assert "the quick preset, a demonstration budget" in words
    assert "2 genomes × 2 generations" in words and "3 champion seeds" in words


def test_a_run_written_before_the_record_gets_its_budget_from_its_config(run_dir: Path) -> None:
    run = json.loads((run_dir / "run.json").read_text())
    recorded = run.pop("budget")
    (run_dir / "run.json").write_text(json.dumps(run))
    assert read_run_dir(run_dir).run.budget == recorded
    run["config"]["search"]["population"] = 2
    run["config"]["training"].update(epochs=30, patience=8)
    run["config"]["champion"]["seeds"] = 3
    (run_dir / "run.json").write_text(json.dumps(run))
    assert read_run_dir(run_dir).run.budget["preset"] == "quick"


# 3. The champion's family and genome in words, in the header.


def test_header_names_the_champions_family_and_genome(multi_run: Path) -> None:
    page = build_report(multi_run).read_text(encoding="utf-8")
    metrics = json.loads((multi_run / "champion" / "metrics.json").read_text())
    words = line(page, "champion-words")
    assert words.startswith(f"Champion: trial {metrics['trial']}, {metrics['family']} family.")
    for sentence in genome_sentences(metrics["genome"], metrics["family"]):
        assert sentence in words


# 4. Model 2's strategy mix over time, and how much it varies.


def constrained_fit(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, float]:
    """Weights and R² of least squares with weights summing to 1, by its KKT system
    (another route than the report's substitution)."""
    k = x.shape[1]
    kkt = np.zeros((k + 1, k + 1))
    kkt[:k, :k] = 2 * x.T @ x
    kkt[:k, k] = kkt[k, :k] = 1.0
    rhs = np.append(2 * x.T @ y, 1.0)
    weights = np.linalg.solve(kkt, rhs)[:k]
    residual = y - x @ weights
    return weights, 1.0 - float(residual @ residual) / float(((y - y.mean()) ** 2).sum())


def test_model2_champion_writes_its_mix_at_each_holdout_decision(mix_run: Path) -> None:
    mix = pd.read_parquet(mix_run / "champion" / "mix.parquet")
    weights = pd.read_parquet(mix_run / "holdout" / "weights.parquet")
    decisions = pd.to_datetime(weights.loc[weights["strategy"] == "champion", "date"])
    assert list(pd.to_datetime(mix["date"])) == list(decisions)
    values = mix.drop(columns="date")
    assert values.shape[1] >= 2
    assert np.allclose(values.sum(axis=1), 1.0, atol=1e-5)
    assert (values.to_numpy() >= -1e-9).all()
    # the family champion is the same trial: the same mix
    same = pd.read_parquet(mix_run / "families" / "portfolio" / "mix.parquet")
    pd.testing.assert_frame_equal(same, mix)


def test_report_plots_the_mix_and_says_how_much_it_varies(mix_run: Path) -> None:
    page = build_report(mix_run).read_text(encoding="utf-8")
    block = section_of(page, "mix")
    assert block.count('class="plotly-graph-div"') == 1  # once: champion = family champion
    mix = pd.read_parquet(mix_run / "champion" / "mix.parquet").set_index("date")
    ident = re.search(r'<div id="(fig-\d+)" class="plotly-graph-div"', block).group(1)
    traces = figures(page)[ident]["data"]
    assert [t["name"] for t in traces] == list(mix.columns)
    assert all(t["stackgroup"] == "mix" for t in traces)
    sentence = unescape(re.search(r'class="reading mix-sentence">(.*?)</p>', block).group(1))
    spread = mix.std(ddof=0)
    assert f"at most {spread.max():.3f} ({spread.idxmax()})" in sentence
    assert f"Over its {len(mix)} holdout decisions" in sentence
    returns = pd.read_parquet(mix_run / "holdout" / "returns.parquet")
    wide = returns.pivot_table(index="date", columns="strategy", values="net")
    x, y = wide[list(mix.columns)], wide["champion"]
    weights, r2 = constrained_fit(y.to_numpy(), x.to_numpy())
    assert f"R² = {r2:.3f}" in sentence
    fit = fixed_mix(y, x)
    assert fit.weights.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(fit.weights.to_numpy(), weights, rtol=1e-6, atol=1e-9)
    assert fit.r2 == pytest.approx(r2, rel=1e-9) and fit.n_days == len(wide)
    assert "weights summing to 1, no intercept" in sentence
    for name in mix.columns:
        row = re.search(rf'<tr data-strategy="{name}">(.*?)</tr>', block).group(1)
        cells = re.findall(r"<td>(.*?)</td>", row)
        assert cells[:2] == [f"{mix[name].mean():.3f}", f"{spread[name]:.3f}"]
        assert cells[-1] == f"{fit.weights[name]:.3f}"


def test_a_family_champion_of_model2_gets_its_mix_and_model1_none(
    multi_run: Path, single_run: Path
) -> None:
    champion = json.loads((multi_run / "champion" / "metrics.json").read_text())["family"]
    assert champion == "asset" and not (multi_run / "champion" / "mix.parquet").exists()
    page = build_report(multi_run).read_text(encoding="utf-8")
    block = section_of(page, "mix")
    assert 'data-who="portfolio"' in block and "families/portfolio/mix.parquet" in block
    assert '<a href="#mix">' in page
    alone = build_report(single_run).read_text(encoding="utf-8")
    assert '<section id="mix">' not in alone and '<a href="#mix">' not in alone


# 5. The cumulative active return.


def test_cumulative_active_return_over_the_benchmark(multi_run: Path) -> None:
    page = build_report(multi_run).read_text(encoding="utf-8")
    benchmark = json.loads((multi_run / "champion" / "metrics.json").read_text())["verdict"][
        "benchmark"
    ]
    block = section_of(page, "performance")
    [active] = [
        f
        for ident, f in figures(page).items()
        if f'id="{ident}"' in block and f["data"][0].get("name") == f"champion vs {benchmark}"
    ]
    returns = pd.read_parquet(multi_run / "holdout" / "returns.parquet")
    wide = returns.pivot_table(index="date", columns="strategy", values="net")
    expected = (1 + wide["champion"]).prod() / (1 + wide[benchmark]).prod() - 1
    values = array(active["data"][0]["y"])
    assert len(values) == len(wide)
    assert values[-1] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert f"{expected:+.1%} at the end" in unescape(block)


# 7. plotly.js once, compressed: a report under 4 MB.


def test_report_is_under_4_mb_with_plotly_js_once(multi_run: Path) -> None:
    report = build_report(multi_run)
    page = report.read_text(encoding="utf-8")
    assert report.stat().st_size < MAX_BYTES, report.stat().st_size
    libraries = re.findall(r'<script[^>]* id="plotly-js"[^>]*>([^<]*)</script>', page)
    assert len(libraries) == 1
    library = unpacked(libraries[0])
    assert len(re.findall(r"plotly\.js v\d", library)) == 1
    assert "plotly.js v" not in page  # nowhere else, not even uncompressed
    assert len(figures(page)) == page.count('class="plotly-graph-div"') > 10
