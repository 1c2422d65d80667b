"""``report.html``: one self-contained page (plotly.js embedded once, compressed; no network)
from a run.

:func:`build_report` reads a run directory (:mod:`evofolio.report.rundir`); its header says
the verdict, every classic rule the champion is significantly ahead of or behind, the
budget preset and the champion's family and genome in words; it renders the
sections of :mod:`evofolio.report.sections` in the order of the issue (the verdict, the
model families compared (:mod:`evofolio.report.families`), holdout table and
statistics, the tear sheet of :mod:`evofolio.report.tearsheet_section`, cumulative returns,
active return and drawdowns, the champion, Model 2's strategy mix (:mod:`evofolio.report.mix`,
when a champion is Model 2), the search, its genes and timeline, the assumptions) and
writes ``DIR/report.html`` atomically: into a temporary file beside it, then renamed, so a
reader never sees half a report. The page loads no script, style sheet or font from the
network, and works from ``file://``.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime
from html import escape
from pathlib import Path

from evofolio.outdir import atomic_file
from evofolio.report import sections
from evofolio.report.families import families_section
from evofolio.report.markup import Figures, plotly_scripts
from evofolio.report.mix import mix_section
from evofolio.report.plots import CHAMPION
from evofolio.report.rundir import RunRecord, read_run_dir
from evofolio.report.tearsheet_section import genes_section, tearsheet_section
from evofolio.report.text import budget_sentence, champion_sentence
from evofolio.report.verdict import rules_sentence, verdict_headline, verdict_section
from evofolio.run_layout import REPORT
from evofolio.runlock import check_not_running

__all__ = ["REPORT_NAME", "build_report", "render_report"]

logger = logging.getLogger(__name__)

REPORT_NAME = REPORT
NAV = (
    ("verdict", "Verdict"),
    ("families", "Families"),
    ("holdout", "Holdout"),
    ("tearsheet", "Tear sheet"),
    ("performance", "Returns & drawdowns"),
    ("champion", "Champion"),
    ("mix", "Strategy mix"),
    ("search", "Search"),
    ("genes", "Genes & timeline"),
    ("assumptions", "Assumptions"),
)
CSS = """
:root { --ink: #111827; --muted: #6b7280; --line: #e5e7eb; --accent: #2563eb; --soft: #f8fafc; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.5;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
header { background: var(--ink); color: #fff; padding: 28px 0 18px; }
header h1 { margin: 0 0 6px; font-size: 26px; font-weight: 650; }
header p { margin: 4px 0; color: #d1d5db; }
header p.headline { color: #fff; font-size: 16px; }
header p.rules { color: #fff; }
header p.budget.quick { color: #fde68a; }
nav { position: sticky; top: 0; z-index: 10; background: #fff;
  border-bottom: 1px solid var(--line); }
nav a { display: inline-block; padding: 10px 14px 10px 0; color: var(--accent);
  text-decoration: none; font-weight: 550; }
.wrap { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
section { padding: 18px 0 8px; border-bottom: 1px solid var(--line); }
h2 { font-size: 21px; margin: 10px 0 12px; }
h3 { font-size: 16px; margin: 0 0 8px; }
p.caption, p.note { color: var(--muted); font-size: 13px; }
p.note { font-style: italic; }
p.reading { font-size: 14px; }
p.callout { background: #fff7ed; border-left: 4px solid #f59e0b; padding: 10px 14px; }
p.good { background: #ecfdf5; border-left: 4px solid #10b981; padding: 10px 14px; }
p.bad { background: #fef2f2; border-left: 4px solid #ef4444; padding: 10px 14px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.metrics { width: 100%; font-size: 14px; }
table.metrics th, table.metrics td { padding: 6px 9px; border-bottom: 1px solid var(--line);
  text-align: right; white-space: nowrap; }
table.metrics thead th { border-bottom: 2px solid var(--ink); cursor: help; }
table.metrics tbody th, table.metrics thead th:first-child { text-align: left; }
table.metrics tbody tr:nth-child(even) { background: var(--soft); }
table.metrics tr.champion { background: #eff6ff !important; }
table.metrics tr.champion th { color: var(--accent); }
table.metrics td.best { font-weight: 700; }
table.kv th, table.kv td { text-align: left; padding: 4px 14px 4px 0; vertical-align: top;
  border-bottom: 1px solid var(--line); }
table.kv th { color: var(--muted); font-weight: 500; }
.stats { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 20px;
  margin: 18px 0; }
.stat { background: var(--soft); border: 1px solid var(--line); border-radius: 8px; padding: 16px; }
figure.plot { margin: 16px 0; }
ul.genome li { margin: 3px 0; }
details { margin: 12px 0; }
pre { background: var(--soft); padding: 12px; overflow-x: auto; font-size: 12px; }
footer { color: var(--muted); font-size: 13px; padding: 16px 0 32px; }
"""


def _headline(record: RunRecord) -> str:
    """The champion's holdout Sharpe against the best classic rule's, in one sentence."""
    sharpe = {name: m.get("sharpe", math.nan) for name, m in record.metrics.items()}
    champion = sharpe.pop(CHAMPION, record.champion.holdout.get("sharpe", math.nan))
    finite = {k: v for k, v in sharpe.items() if not math.isnan(v)}
    if math.isnan(champion) or not finite:
        return ""
    best = max(finite, key=lambda k: finite[k])
    verdict = "beat" if champion > finite[best] else "did not beat"
    return (
        f"Holdout Sharpe ratio, net of costs: champion {champion:.2f}, best baseline "
        f"{best} {finite[best]:.2f}. The champion {verdict} every baseline on Sharpe."
    )


def _header_lines(record: RunRecord) -> str:
    """Under the title: the verdict, every classic rule the champion is significantly ahead
    of or behind, the budget and the champion's family and genome in words."""
    parts = record.champion.verdict
    lines = [
        f'<p class="headline" id="headline">'
        f"{escape(verdict_headline(parts) or _headline(record))}</p>"
    ]
    tests = parts.get("holdout_tests")
    if tests:
        rules = rules_sentence(tests, record.run.significance)
        lines.append(f'<p class="rules" id="rules">{escape(rules)}</p>')
    preset = str(record.run.budget.get("preset", ""))
    lines.append(
        f'<p class="budget {escape(preset)}" id="budget">'
        f"{escape(budget_sentence(record.run.budget))}</p>"
    )
    champion = record.champion
    words = champion_sentence(champion.trial, champion.family, champion.genome)
    lines.append(f'<p class="champion-words" id="champion-words">{escape(words)}</p>')
    return "\n".join(lines)


def render_report(record: RunRecord) -> tuple[str, int]:
    """The page's HTML and the number of Plotly figures in it."""
    figures = Figures()
    body = [
        verdict_section(record.champion.verdict, figures),
        families_section(record.champion.verdict, figures),
        sections.holdout_section(record),
        sections.survivorship_section(record),
        tearsheet_section(record, figures),
        sections.performance_section(record, figures),
        sections.champion_section(record, figures),
        mix_section(record, figures),
        sections.search_section(record, figures),
        genes_section(record, figures),
        sections.assumptions_section(record),
    ]
    run = record.run
    title = f"evofolio report: {run.source}, holdout {run.holdout[0]} to {run.holdout[1]}"
    nav = "".join(
        f'<a href="#{anchor}">{label}</a>'
        for anchor, label in NAV
        if anchor != "mix" or record.mixes
    )
    made = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="evofolio {escape(run.version)}">
<title>{escape(title)}</title>
<style>{CSS}</style>
</head>
<body>
<header><div class="wrap">
<h1>{escape(title)}</h1>
{_header_lines(record)}
<p>Run directory {escape(record.path.name)}; development {escape(run.development[0])} to
{escape(run.development[1])}; {escape(str(len(record.trials)))} trials searched.</p>
</div></header>
<nav><div class="wrap">{nav}</div></nav>
<main class="wrap">
{"".join(body)}
</main>
<footer><div class="wrap">Generated {escape(made)} by evofolio {escape(run.version)}.
Self-contained: works offline.</div></footer>
{plotly_scripts()}
</body>
</html>
"""
    return page, figures.count


def build_report(run_dir: str | Path, benchmark: str | None = None) -> Path:
    """Write ``run_dir/report.html`` (atomically) from the run directory; return its path.

    ``benchmark``: the classic strategy the tear sheet sets the champion against.

    Raises:
        SearchRunningError: a search is running in ``run_dir`` (another process holds its
            lock: its files are no finished run yet).
        UsageError, DataError: a file of the run is missing or unreadable (named).
        OutputError: the report cannot be written (full disk, read-only directory...).
    """
    check_not_running(run_dir, "the report")
    record = read_run_dir(run_dir, benchmark=benchmark)
    page, n_figures = render_report(record)
    target = record.path / REPORT_NAME
    with atomic_file(target) as temporary:  # OutputError: naming target and the cause
        temporary.write_text(page, encoding="utf-8")
    logger.info("wrote %s (%d figures, %.1f MB)", target, n_figures, len(page) / 1e6)
    return target
