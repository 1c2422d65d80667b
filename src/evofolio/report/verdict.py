"""The report's first section: the verdict against the benchmark, with its uncertainty.

Reads the verdict sections of ``champion/metrics.json`` (written by
:mod:`evofolio.search.jobs.run_files`): the headline, the benchmark-relative deflated Sharpe ratio
and PBO of the search, the holdout Sharpe-difference tests with confidence intervals and
Holm-adjusted p-values, the minimum track record length, the seed spread and the costs.
Every block has one sentence on how to read it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from html import escape
from typing import Any

import plotly.graph_objects as go

from evofolio.report.markup import Figures, kv_table, note, num, paragraph, section
from evofolio.report.plots import base_layout

__all__ = [
    "cost_figure",
    "costs_block",
    "rules_sentence",
    "significant_rules",
    "tests_table",
    "verdict_headline",
    "verdict_section",
]

PERIODS_PER_YEAR = 252
OUTCOME_CSS = {"beats": "good", "trails": "bad", "no_evidence": "callout"}


def _n(value: Any, digits: int = 2) -> str:
    return num(math.nan if value is None else float(value), digits)


def _signed(value: Any) -> str:
    return "-" if value is None or not math.isfinite(float(value)) else f"{float(value):+.2f}"


def verdict_headline(parts: Mapping[str, Any]) -> str:
    """The verdict's sentence, or "" for a run directory written before verdicts existed."""
    verdict = parts.get("verdict") or {}
    return str(verdict.get("text", ""))


def significant_rules(
    tests: Mapping[str, Any], significance: float
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """The rows of ``tests["differences"]`` (the holdout tests the verdict's table shows)
    other than the benchmark's whose Holm-adjusted p-value is below ``significance``: those
    the tested portfolio is ahead of, and those it is behind, each smallest p first."""
    benchmark = str(tests.get("benchmark", ""))
    rows = [
        r
        for r in tests.get("differences", [])
        if r.get("baseline") != benchmark
        and r.get("p_holm") is not None
        and r.get("difference") is not None
        and float(r["p_holm"]) < significance
    ]
    rows.sort(key=lambda r: float(r["p_holm"]))
    ahead = [r for r in rows if float(r["difference"]) > 0]
    behind = [r for r in rows if float(r["difference"]) < 0]
    return ahead, behind


def rules_sentence(tests: Mapping[str, Any], significance: float, who: str = "champion") -> str:
    """One sentence, for the headline beside the benchmark's verdict: every other baseline
    that ``who`` is significantly ahead of or behind on the holdout's Sharpe-difference
    tests (Holm-adjusted p below ``significance``), or that there is none."""
    ahead, behind = significant_rules(tests, significance)
    level = f"Holm-adjusted p < {significance:g}"

    def listed(rows: list[Mapping[str, Any]]) -> str:
        return ", ".join(
            f"{r['baseline']} ({float(r['difference']):+.2f}, p = {float(r['p_holm']):.3f})"
            for r in rows
        )

    if not ahead and not behind:
        others = "other classic rule" if tests.get("benchmark") else "classic rule"
        return (
            f"Against every {others}: no significant difference in Sharpe ratio ({level}), "
            f"ahead or behind."
        )
    parts = []
    if behind:
        parts.append(f"significantly behind {listed(behind)}")
    if ahead:
        parts.append(f"significantly ahead of {listed(ahead)}")
    return f"The {who} is {' and '.join(parts)} in Sharpe ratio (difference, {level})."


def tests_table(tests: Mapping[str, Any], label: str = "champion") -> str:
    """The Sharpe-difference tests of :func:`evofolio.search.evaluation.verdict.holdout_tests` as an
    HTML table (``id="holdout-tests"``); ``label`` names the tested portfolio's row."""
    level = round(100 * float(tests["confidence"]))
    intervals = tests.get("intervals", {})
    head = (
        "<tr><th>Baseline</th><th>Sharpe</th><th>Sharpe "
        f"{level} % CI</th><th>{escape(label.capitalize())} − baseline</th>"
        f"<th>{level} % CI</th><th>p-value</th>"
        "<th>Holm-adjusted p</th></tr>"
    )
    rows = []
    champion = intervals.get("champion", {})
    rows.append(
        f'<tr class="champion"><th>{escape(label)}</th><td>{_n(champion.get("sharpe"))}</td>'
        f"<td>[{_n(champion.get('low'))}, {_n(champion.get('high'))}]</td>"
        "<td></td><td></td><td></td><td></td></tr>"
    )
    for row in tests["differences"]:
        ci = intervals.get(row["baseline"], {})
        rows.append(
            f"<tr><th>{escape(str(row['baseline']))}</th><td>{_n(row['sharpe_baseline'])}</td>"
            f"<td>[{_n(ci.get('low'))}, {_n(ci.get('high'))}]</td>"
            f"<td>{_signed(row['difference'])}</td>"
            f"<td>[{_signed(row['ci_low'])}, {_signed(row['ci_high'])}]</td>"
            f"<td>{_n(row['p_value'], 3)}</td><td>{_n(row['p_holm'], 3)}</td></tr>"
        )
    return (
        '<div class="scroll"><table class="metrics" id="holdout-tests"><thead>'
        f"{head}</thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _dsr_rows(dsr: Mapping[str, Any] | None, label: str) -> dict[str, str]:
    if not dsr:
        return {label: "-"}
    root = math.sqrt(PERIODS_PER_YEAR)

    def annual(key: str) -> str:
        value = dsr.get(key)
        return _n(math.nan if value is None else float(value) * root)

    return {
        label: _n(dsr.get("dsr"), 3),
        f"{label}: Sharpe (annualised) / luck threshold SR*": f"{annual('sr')} / "
        f"{annual('sr_star')}",
    }


def _statistics_block(stats: Mapping[str, Any]) -> str:
    bench = stats["vs_benchmark"]
    zero = stats["vs_zero"]
    rows = {
        **_dsr_rows(
            bench.get("dsr"), f"Deflated Sharpe of the active returns vs {bench['benchmark']}"
        ),
        f"PBO of the active returns vs {bench['benchmark']}": _n(
            (bench.get("pbo") or {}).get("pbo"), 3
        ),
        "Configurations tried, N (completed + pruned)": f"{stats['n_evaluated']} "
        f"({stats['n_completed']} + {stats['n_pruned']})",
        **_dsr_rows(zero.get("dsr"), "Deflated Sharpe vs zero (not the verdict)"),
        "PBO of the raw returns": _n((zero.get("pbo") or {}).get("pbo"), 3),
    }
    return kv_table(rows)


def cost_figure(costs: Mapping[str, Any], names: list[str], period: str = "holdout") -> go.Figure:
    """Net Sharpe ratio over ``period`` against the cost level (bps), one line per portfolio."""
    fig = go.Figure()
    for name in names:
        values = costs["sharpe"].get(name)
        if values is None:
            continue
        fig.add_trace(
            go.Scatter(
                x=costs["grid_bps"],
                y=[math.nan if v is None else v for v in values],
                name=name,
                mode="lines+markers",
                line={"width": 3 if name == "champion" else 1.5},
            )
        )
    fig.update_xaxes(title_text="cost (bps of the traded amount)")
    fig.update_yaxes(title_text="net Sharpe ratio (annualised)")
    return base_layout(fig, f"{period.capitalize()} Sharpe ratio by cost level", height=360)


def costs_block(
    costs: Mapping[str, Any], benchmark: str, figures: Figures, period: str = "holdout"
) -> list[str]:
    """The cost table (net Sharpe ratio at each cost level of ``costs["grid_bps"]``), the
    break-even costs against ``benchmark`` and the best classic rule, their figure and how to
    read them; ``costs`` as written by ``cost_sensitivity`` (``metrics.json``/
    ``validate.json``); ``period`` names the track ("holdout", "stitched track")."""
    names = list(dict.fromkeys(["champion", benchmark, costs["best_classic"]]))
    grid = costs["grid_bps"]
    head = "".join(f"<th>{_n(c, 0)} bps</th>" for c in grid)
    rows = "".join(
        f"<tr><th>{escape(name)}</th>"
        + "".join(f"<td>{_n(v)}</td>" for v in costs["sharpe"].get(name, []))
        + "</tr>"
        for name in names
    )
    limit = _n(costs["max_bps"], 0)

    reasons = costs.get("no_break_even", {})

    def even(key: str) -> str:
        value = costs["break_even_bps"][key]
        if value is not None:
            return f"{float(value):.1f} bps"
        if reasons.get(key) == "behind":
            return "none: the champion is behind already at 0 bps"
        return f"none: the champion stays ahead up to {limit} bps"

    return [
        f'<div class="scroll"><table class="metrics" id="cost-table"><thead><tr><th>Net Sharpe'
        f"</th>{head}</tr></thead><tbody>{rows}</tbody></table></div>",
        kv_table(
            {
                f"Break-even cost vs {benchmark}": even("benchmark"),
                f"Break-even cost vs {costs['best_classic']} (best classic rule of the "
                f"{period})": even("best_classic"),
            }
        ),
        figures.embed(cost_figure(costs, names, period)),
        paragraph(
            "The same decisions replayed at each cost level. The break-even cost is where the "
            "champion's net Sharpe ratio falls to the other portfolio's: a champion whose edge "
            "disappears at costs below what you pay has no edge for you; 'none' means the "
            "champion is either below it already at zero cost or still above it at the limit.",
            "reading",
        ),
    ]


def _seeds_block(seeds: Mapping[str, Any]) -> list[str]:
    val, hold = seeds["validation_sharpe"], seeds["holdout_sharpe"]
    head = "<tr><th>Seed</th><th>Validation Sharpe</th><th>Holdout Sharpe</th></tr>"
    rows = "".join(
        f"<tr><th>{escape(str(seed))}</th><td>{_n(val['by_seed'].get(str(seed)))}</td>"
        f"<td>{_n(hold['by_seed'].get(str(seed)))}</td></tr>"
        for seed in seeds["seeds"]
    )
    summary = (
        f"<tr><th>min / median / max</th><td>{_n(val['min'])} / {_n(val['median'])} / "
        f"{_n(val['max'])}</td><td>{_n(hold['min'])} / {_n(hold['median'])} / "
        f'{_n(hold["max"])}</td></tr><tr class="champion"><th>seed ensemble</th><td></td>'
        f"<td>{_n(seeds['ensemble_holdout_sharpe'])}</td></tr>"
    )
    return [
        f'<div class="scroll"><table class="metrics" id="seed-table"><thead>{head}</thead>'
        f"<tbody>{rows}{summary}</tbody></table></div>",
        paragraph(
            f"The champion's genome refitted with {len(seeds['seeds'])} seeds; the portfolio "
            "that traded the holdout is their seed ensemble (each day the average of their "
            "weights), a choice fixed before the holdout was read. A wide spread between seeds "
            "means a single fit's result is partly luck of the initialisation.",
            "reading",
        ),
    ]


def _fallback_note(fallbacks: Mapping[str, Mapping[str, int]]) -> str:
    failed = {n: f for n, f in fallbacks.items() if f.get("fallbacks")}
    if not failed:
        return paragraph("No classic rule's solver failed at any holdout rebalance.", "caption")
    listed = ", ".join(f"{n} {f['fallbacks']}/{f['decisions']}" for n, f in failed.items())
    return paragraph(
        f"Solver fallbacks over the holdout (rebalances at which a rule could not be fitted "
        f"and held its previous weights): {listed}.",
        "callout",
    )


def _track_record_sentence(mintrl: Mapping[str, Any], benchmark: str) -> str:
    level = round(100 * float(mintrl["level"]))
    have = _n(mintrl["available_observations"] / PERIODS_PER_YEAR, 1)
    if mintrl.get("years") is None:
        return (
            f"The champion's holdout returns are not ahead of {benchmark}'s, so no track record "
            f"of this kind, however long, would show it beats {benchmark} at {level} % "
            "(minimum track record length, Bailey & López de Prado 2012)."
        )
    return (
        f"The champion would need {_n(mintrl['years'], 1)} years of returns like these to show "
        f"it beats {benchmark} at {level} % (minimum track record length, Bailey & López de "
        f"Prado 2012); the holdout has {have}."
    )


def verdict_section(parts: Mapping[str, Any], figures: Figures) -> str:
    """The verdict section, or a note when the run directory has no verdict."""
    if not parts.get("verdict"):
        return section(
            "verdict", "Verdict", [note("This run directory was written without a verdict.")]
        )
    verdict = parts["verdict"]
    tests = parts["holdout_tests"]
    benchmark = str(verdict["benchmark"])
    requested = (parts.get("benchmark") or {}).get("requested", benchmark)
    chosen = (
        f"{benchmark}, the best classic rule on the development period's validation dates"
        if requested == "best_classic"
        else benchmark
    )
    mintrl = tests["min_track_record"]
    level = round(100 * float(tests["confidence"]))
    return section(
        "verdict",
        f"Verdict: the champion against {benchmark}",
        [
            paragraph(str(verdict["text"]), OUTCOME_CSS.get(str(verdict["outcome"]), "callout")),
            paragraph(
                f"Benchmark: {chosen}, traded with the same rules and costs. 'Beats' needs both "
                "the search's deflated Sharpe ratio of the champion's active returns (its "
                "validation returns minus the benchmark's, deflated over every configuration "
                "tried) and the holdout's Sharpe-difference test to be significant.",
                "reading",
            ),
            "<h3>Holdout: Sharpe ratios and their differences</h3>",
            tests_table(tests),
            paragraph(
                f"Sharpe intervals: {level} % stationary-bootstrap intervals (Politis & Romano "
                "1994). Differences: Ledoit & Wolf (2008) studentised block-bootstrap test; a "
                "p-value below 0.05 after Holm's adjustment across the baselines is a "
                "difference unlikely to be noise. " + _track_record_sentence(mintrl, benchmark),
                "reading",
            ),
            _fallback_note(parts.get("fallbacks") or {}),
            "<h3>The search, accounted for</h3>",
            _statistics_block(parts["search_statistics"]),
            paragraph(
                "The deflated Sharpe ratio of the active returns is the probability that the "
                "champion's true edge over the benchmark is positive once its selection as the "
                "best of N configurations is accounted for (above 0.95: evidence; near 0.5: "
                "what the search finds by chance). The same statistic against zero is shown "
                "for reference only: every long-only equity portfolio passes it.",
                "reading",
            ),
            "<h3>Seeds</h3>",
            *_seeds_block(parts["seeds"]),
            "<h3>Costs</h3>",
            *costs_block(parts["costs"], benchmark, figures),
        ],
    )
