"""The report's second section: the model families compared, each at its best, on the holdout.

Reads ``champion/metrics.json["families"]`` (:mod:`evofolio.search.evaluation.families`): each
family champion's holdout metrics beside the benchmark and the classic rules (the paper's
columns, net of costs), a plot of their holdout Sharpe ratios with intervals, the Sharpe
difference of every pair of family champions with its interval and Holm-adjusted p-value,
and each family's validation fitness distribution with its number of trials. A run written
before families were compared has no such key and no section.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from html import escape
from typing import Any

import plotly.graph_objects as go

from evofolio.report.markup import Figures, paragraph, section
from evofolio.report.plots import base_layout
from evofolio.report.search_plots import FAMILY_PALETTE
from evofolio.report.sections import html_metrics_table

__all__ = ["families_section", "family_label"]

TITLES = {
    "asset": "Model 1 (asset-level LSTM)",
    "portfolio": "Model 2 (portfolio-level LSTM)",
    "asset_attention": "asset-level attention",
}


def family_label(family: str) -> str:
    """``family`` with the name the project gives it (``asset`` -> Model 1, ...)."""
    title = TITLES.get(family)
    return f"{family}: {title}" if title else family


def _n(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    value = float(value)
    return "-" if not math.isfinite(value) else f"{value:.{digits}f}"


def _signed(value: Any) -> str:
    return "-" if value is None or not math.isfinite(float(value)) else f"{float(value):+.2f}"


def _family_rows(comparison: Mapping[str, Any], level: int) -> str:
    head = (
        "<tr><th>Family</th><th>Champion trial</th><th>Trials (completed / pruned / failed)</th>"
        "<th>Validation: champion / median</th><th>Holdout Sharpe</th>"
        f"<th>{level} % CI</th><th>Seeds: min / max</th>"
        f"<th>Break-even vs {escape(str(comparison['benchmark']))}</th>"
        "<th>Distance from 1/N</th>"
        f"<th>Correlation with {escape(str(comparison['benchmark']))}</th></tr>"
    )
    rows = []
    for row in comparison["families"]:
        counts = row["trials"]
        tried = f"{counts['completed']} / {counts['pruned']} / {counts['failed']}"
        css = ' class="champion"' if row.get("overall_champion") else ""
        name = escape(family_label(str(row["family"])))
        if row["trial"] is None:
            rows.append(
                f"<tr><th>{name}</th><td>-</td><td>{tried}</td>"
                '<td colspan="7">no completed trial</td></tr>'
            )
            continue
        validation = row["validation"]
        interval = row.get("sharpe_interval", {})
        seeds = [v for v in row.get("seeds", {}).values() if v is not None]
        breaks = row.get("costs", {}).get("break_even_bps", {})
        benchmark_break = breaks.get("benchmark")
        why = row.get("costs", {}).get("no_break_even", {}).get("benchmark")
        cost = f"{benchmark_break:.1f} bps" if benchmark_break is not None else f"none ({why})"
        rows.append(
            f'<tr{css} data-family="{escape(str(row["family"]))}"><th>{name}</th>'
            f"<td>{row['trial']}</td><td>{tried}</td>"
            f"<td>{_n(validation.get('champion'))} / {_n(validation.get('median'))}</td>"
            f"<td>{_n(row['holdout'].get('sharpe'))}</td>"
            f"<td>[{_n(interval.get('low'))}, {_n(interval.get('high'))}]</td>"
            f"<td>{_n(min(seeds) if seeds else None)} / {_n(max(seeds) if seeds else None)}</td>"
            f"<td>{escape(cost)}</td>"
            f"<td>{_n(row.get('distance_from_equal_weight'))}</td>"
            f"<td>{_n(row.get('correlation_with_benchmark'))}</td></tr>"
        )
    return (
        '<div class="scroll"><table class="metrics" id="families-table"><thead>'
        f"{head}</thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _pairs_table(comparison: Mapping[str, Any], level: int) -> str:
    if not comparison["pairs"]:
        return paragraph("One family only: no pair to compare.", "note")
    head = (
        "<tr><th>Pair</th><th>Sharpe</th><th>Difference</th>"
        f"<th>{level} % CI</th><th>p-value</th><th>Holm-adjusted p</th></tr>"
    )
    rows = [
        f"<tr><th>{escape(str(p['first']))} − {escape(str(p['second']))}</th>"
        f"<td>{_n(p['sharpe_first'])} vs {_n(p['sharpe_second'])}</td>"
        f"<td>{_signed(p['difference'])}</td>"
        f"<td>[{_signed(p['ci_low'])}, {_signed(p['ci_high'])}]</td>"
        f"<td>{_n(p['p_value'], 3)}</td><td>{_n(p['p_holm'], 3)}</td></tr>"
        for p in comparison["pairs"]
    ]
    return (
        '<div class="scroll"><table class="metrics" id="family-pairs"><thead>'
        f"{head}</thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _metrics_table(comparison: Mapping[str, Any]) -> str:
    rows: dict[str, Mapping[str, float]] = {}
    for row in comparison["families"]:
        if row.get("holdout"):
            rows[f"{row['family']} champion"] = {
                k: math.nan if v is None else float(v) for k, v in row["holdout"].items()
            }
    for name, metrics in comparison["baselines"].items():
        rows[name] = {k: math.nan if v is None else float(v) for k, v in metrics.items()}
    return html_metrics_table(rows)


def sharpe_figure(comparison: Mapping[str, Any], intervals: Mapping[str, Any]) -> go.Figure:
    """Holdout Sharpe ratio with its bootstrap interval: each family champion, then the
    classic rules (their intervals from the verdict's holdout tests)."""
    names, values, lows, highs, colors = [], [], [], [], []
    for index, row in enumerate(comparison["families"]):
        if not row.get("holdout"):
            continue
        names.append(f"{row['family']} champion")
        values.append(row["holdout"].get("sharpe"))
        lows.append(row.get("sharpe_interval", {}).get("low"))
        highs.append(row.get("sharpe_interval", {}).get("high"))
        colors.append(FAMILY_PALETTE[index % len(FAMILY_PALETTE)])
    for name in comparison["baselines"]:
        ci = intervals.get(name, {})
        names.append(name)
        values.append(ci.get("sharpe", comparison["baselines"][name].get("sharpe")))
        lows.append(ci.get("low"))
        highs.append(ci.get("high"))
        colors.append("#9ca3af")

    def gap(a: Any, b: Any) -> float:
        return math.nan if a is None or b is None else abs(float(a) - float(b))

    fig = go.Figure(
        go.Scatter(
            x=names,
            y=[math.nan if v is None else v for v in values],
            mode="markers",
            marker={"color": colors, "size": 11},
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [gap(h, v) for h, v in zip(highs, values, strict=True)],
                "arrayminus": [gap(v, lo) for v, lo in zip(values, lows, strict=True)],
            },
            hovertemplate="%{x}: Sharpe %{y:.2f}<extra></extra>",
            showlegend=False,
        )
    )
    fig.update_yaxes(title_text="holdout Sharpe ratio (net, annualised)")
    return base_layout(fig, "Holdout Sharpe ratio with its interval", height=380)


def validation_figure(comparison: Mapping[str, Any]) -> go.Figure:
    """Each family's validation fitness over its completed trials (box and points)."""
    fig = go.Figure()
    for index, row in enumerate(comparison["families"]):
        values = row["validation"]["values"]
        fig.add_trace(
            go.Box(
                y=values,
                name=f"{row['family']} ({len(values)})",
                boxpoints="all",
                jitter=0.4,
                marker={"color": FAMILY_PALETTE[index % len(FAMILY_PALETTE)], "size": 5},
            )
        )
    objective = comparison["families"][0]["validation"]["objective"]
    fig.update_yaxes(title_text=f"validation {objective}")
    return base_layout(
        fig, f"Validation {objective} of every completed trial, by family", height=360
    )


def families_section(verdict: Mapping[str, Any], figures: Figures) -> str:
    """The families compared (empty for a run without the comparison)."""
    comparison = verdict.get("families")
    if not comparison:
        return ""
    level = round(100 * float(comparison["confidence"]))
    intervals = (verdict.get("holdout_tests") or {}).get("intervals", {})
    overall = str(comparison["overall"])
    return section(
        "families",
        "Model families compared: each at its best, on the holdout",
        [
            paragraph(
                f"The overall champion is the {family_label(overall)} family's (highlighted), "
                "chosen on validation fitness before the holdout was read. "
                + str(comparison["sentence"]),
                "reading",
            ),
            _family_rows(comparison, level),
            figures.embed(sharpe_figure(comparison, intervals)),
            "<h3>Holdout, net of costs: every family champion and the classic rules</h3>",
            _metrics_table(comparison),
            f"<h3>Sharpe differences between family champions ({level} % CI, Ledoit-Wolf)</h3>",
            _pairs_table(comparison, level),
            figures.embed(validation_figure(comparison)),
        ],
    )
