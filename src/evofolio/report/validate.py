"""``report.html`` of ``evofolio validate``: one self-contained, offline page.

Reads ``DIR/validate.json`` and ``DIR/stitched/returns.parquet`` (written by
:mod:`evofolio.search.evaluation.stitched`) and shows: in its header, the procedure's verdict,
every classic rule it is significantly ahead of or behind, the budget preset and the number
of outer periods tested; the stitched track's metrics table against every classic rule; its
Sharpe-difference tests (the same table as the ``run`` report's verdict); cumulative
returns, active return over the benchmark and drawdowns; one row per outer
period (dates, budget, winning family, genome in words, period Sharpe ratios, DSR and PBO
of that search); and, when asked for, the random asset subsets.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from evofolio.config.budget import budget_record
from evofolio.errors import UsageError
from evofolio.outdir import atomic_file
from evofolio.report.html import CSS as BASE_CSS
from evofolio.report.markup import Figures, paragraph, plotly_scripts, section
from evofolio.report.plots import cumulative_returns_figure, drawdowns_figure
from evofolio.report.rundir import SIGNIFICANCE
from evofolio.report.sections import active_block, html_metrics_table
from evofolio.report.text import budget_sentence
from evofolio.report.validate_tables import periods_table, samplers_section, subsets_section
from evofolio.report.verdict import OUTCOME_CSS, costs_block, rules_sentence, tests_table
from evofolio.run_layout import REPORT
from evofolio.version import __version__

__all__ = ["build_validate_report", "render_validate_report"]

SUMMARY = "validate.json"
RETURNS = "stitched/returns.parquet"
NAV = (
    ("verdict", "Verdict"),
    ("track", "Stitched track"),
    ("performance", "Returns & drawdowns"),
    ("costs", "Costs"),
    ("periods", "Outer periods"),
    ("subsets", "Subsets"),
    ("samplers", "Samplers"),
)


CSS = (
    BASE_CSS
    + """
table.metrics.wrap { font-size: 12.5px; }
table.metrics.wrap th, table.metrics.wrap td { white-space: normal; vertical-align: top;
  padding: 5px 5px; }
table.metrics.wrap td:not(.text) { white-space: nowrap; }
table.metrics.wrap td.text { text-align: left; }
table.metrics.wrap span.whole { white-space: nowrap; }
table.metrics.wrap tr.genome td { color: var(--muted); padding-top: 0; }
"""
)
"""The run report's style, and the outer periods' table, whose cells wrap to fit the page."""


def _costs_section(costs: Mapping[str, Any] | None, benchmark: str, figures: Figures) -> str:
    """The run report's cost table and break-even costs, for the stitched track."""
    if not costs:  # a validate.json written before costs were recorded
        return ""
    return section(
        "costs",
        "Costs of the stitched track",
        costs_block(costs, benchmark, figures, "stitched track"),
    )


def periods_sentence(periods: Sequence[Mapping[str, Any]]) -> str:
    """How many outer periods were tested, and what a single one means."""
    n = len(periods)
    if n == 1:
        return (
            "Outer periods tested: 1. The procedure was tested once, on a single out-of-sample "
            "period: its track is one search's holdout, not a walk through several; ask for "
            "more history before the first outer date or shorter outer periods "
            "(validate.outer_years) to test it more than once."
        )
    first, last = periods[0]["trading"][0], periods[-1]["trading"][1]
    return f"Outer periods tested: {n}, trading {first} to {last}."


def _header(summary: Mapping[str, Any]) -> str:
    """Under the title: the verdict, the rules the procedure is significantly ahead of or
    behind, the budget and the number of outer periods."""
    config = summary.get("config") or {}
    significance = float((config.get("evaluation") or {}).get("significance", SIGNIFICANCE))
    budget = summary.get("budget") or (budget_record(config) if config else {})
    lines = [
        f'<p class="headline" id="headline">{escape(str(summary["verdict"]["text"]))}</p>',
        f'<p class="rules" id="rules">'
        f"{escape(rules_sentence(summary['holdout_tests'], significance, 'procedure'))}</p>",
        f'<p class="budget {escape(str(budget.get("preset", "")))}" id="budget">'
        f"{escape(budget_sentence(budget))}</p>",
        f'<p id="outer-count">{escape(periods_sentence(summary["periods"]))}</p>',
    ]
    return "\n".join(lines)


def _times(count: int) -> str:
    """``once``, ``twice``, ``3 times``."""
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def render_validate_report(summary: Mapping[str, Any], returns: pd.DataFrame) -> tuple[str, int]:
    """The page's HTML and its number of Plotly figures."""
    figures = Figures()
    verdict = summary["verdict"]
    tests = summary["holdout_tests"]
    metrics = summary["metrics"]
    rules = [n for n in metrics if n != "champion"]
    periods = summary["periods"]
    body = [
        section(
            "verdict",
            f"Verdict: the procedure against {verdict['benchmark']}",
            [
                paragraph(str(verdict["text"]), OUTCOME_CSS.get(str(verdict["outcome"]), "")),
                paragraph(
                    f"The whole search (its inner folds, fitness, champion pick and seed-"
                    f"ensemble refit) was run {_times(len(periods))}, each time on the data "
                    "before an outer date only, and its champion traded the following period "
                    "with the same rules and costs as every classic rule. Those periods, "
                    "stitched, are one out-of-sample track of the procedure (row 'champion').",
                    "reading",
                ),
            ],
        ),
        section(
            "track",
            f"Stitched track, {summary['trading'][0]} to {summary['trading'][1]}",
            [
                html_metrics_table(metrics),
                tests_table(tests, "procedure"),
                paragraph(
                    "Sharpe intervals: stationary-bootstrap intervals (Politis & Romano 1994). "
                    "Differences: Ledoit & Wolf (2008) studentised block-bootstrap test, "
                    "Holm-adjusted across the rules: the same statistics as a run's holdout.",
                    "reading",
                ),
            ],
        ),
        section(
            "performance",
            "Cumulative returns and drawdowns of the stitched track",
            [
                figures.embed(cumulative_returns_figure(returns)),
                active_block(returns, str(verdict["benchmark"]), figures, "procedure"),
                figures.embed(drawdowns_figure(returns)),
                paragraph(
                    "Each outer period starts afresh (every portfolio buys in at its first "
                    "decision); the return between two periods' boundary dates is not earned.",
                    "caption",
                ),
            ],
        ),
        _costs_section(summary.get("costs"), str(verdict["benchmark"]), figures),
        section(
            "periods",
            "Outer periods",
            [
                periods_table(periods, rules),
                paragraph(
                    "Budget: genomes per generation × generations of that outer search; after "
                    "the first, each search starts from the previous one's best genomes. The "
                    "DSR and PBO are of that search's active validation returns over the "
                    "benchmark: a DSR near 0.5 or a PBO near 0.5 is what selection finds by "
                    "chance.",
                    "reading",
                ),
            ],
        ),
        subsets_section(summary.get("subsets")),
        samplers_section(summary.get("samplers")),
    ]
    title = (
        f"evofolio validate: {summary['source']}, development {summary['development'][0]} to "
        f"{summary['development'][1]}"
    )
    nav = "".join(f'<a href="#{a}">{label}</a>' for a, label in NAV)
    made = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{CSS}</style>
</head>
<body>
<header><div class="wrap"><h1>{escape(title)}</h1>
{_header(summary)}
<p>The holdout (from {escape(str(summary["holdout_start"]))}) was never read.</p>
</div></header>
<nav><div class="wrap">{nav}</div></nav>
<main class="wrap">{"".join(body)}</main>
<footer><div class="wrap">Generated {escape(made)} by evofolio {escape(__version__)}.
Self-contained: works offline.</div></footer>
{plotly_scripts()}
</body>
</html>
"""
    return page, figures.count


def build_validate_report(out: str | Path) -> Path:
    """Write ``out/report.html`` (atomically) from ``out/validate.json`` and the stitched
    returns; return its path.

    Raises:
        UsageError: a missing or unreadable file (named).
        OutputError: the page cannot be written (full disk, read-only directory...).
    """
    root = Path(out)
    try:
        summary = json.loads((root / SUMMARY).read_text(encoding="utf-8"))
        returns = pd.read_parquet(root / RETURNS)
    except (OSError, ValueError) as error:
        raise UsageError(f"{root}: cannot read {SUMMARY} or {RETURNS}: {error}") from None
    page, _ = render_validate_report(summary, returns)
    target = root / REPORT
    with atomic_file(target) as temporary:  # OutputError: naming target and the cause
        temporary.write_text(page, encoding="utf-8")
    return target
