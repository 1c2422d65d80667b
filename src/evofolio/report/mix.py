"""Model 2's strategy mix over the holdout: how its weights over the classic strategies
moved, and how much of its returns one fixed mix of them explains.

Reads what :mod:`evofolio.report.rundir` read from ``mix.parquet`` (the seed ensemble's
weights over its strategies at each holdout decision) and the holdout returns. The fixed mix
is the least-squares fit of the champion's daily holdout net returns on its strategies'
daily holdout net returns (each classic rule as this run traded it, ``holdout/returns.parquet``)
with weights summing to 1 and no intercept (weights may be negative); its R² is
``1 - SSR / sum((y - mean y)^2)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from evofolio.report.markup import Figures, note, num, paragraph, section
from evofolio.report.plots import ASSET_COLORS, base_layout
from evofolio.report.rundir import Mix, RunRecord

__all__ = ["FixedMix", "fixed_mix", "mix_figure", "mix_section", "mix_table"]


@dataclass(frozen=True)
class FixedMix:
    """The one fixed mix that best explains a portfolio's returns (:func:`fixed_mix`)."""

    weights: pd.Series
    r2: float
    n_days: int


def fixed_mix(returns: pd.Series, strategies: pd.DataFrame) -> FixedMix:
    """Least squares of ``returns`` on the columns of ``strategies`` (same dates, inner
    join), weights summing to 1, no intercept: ``y - x_K = sum_{i<K} w_i (x_i - x_K)``."""
    joined = pd.concat([returns.rename("__y__"), strategies], axis=1, join="inner").dropna()
    y = joined.pop("__y__").to_numpy(dtype=float)
    x = joined.to_numpy(dtype=float)
    if x.shape[1] == 0 or len(y) <= x.shape[1]:
        return FixedMix(pd.Series(dtype=float), math.nan, len(y))
    last = x[:, -1]
    head, *_ = np.linalg.lstsq(x[:, :-1] - last[:, None], y - last, rcond=None)
    weights = np.append(head, 1.0 - head.sum())
    residual = y - x @ weights
    total = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float((residual**2).sum()) / total if total > 0 else math.nan
    return FixedMix(pd.Series(weights, index=joined.columns), r2, len(y))


def mix_figure(weights: pd.DataFrame, title: str) -> go.Figure:
    """The weights over the strategies at each holdout decision, stacked (one band each)."""
    fig = go.Figure()
    for index, name in enumerate(weights.columns):
        fig.add_trace(
            go.Scatter(
                x=weights.index,
                y=weights[name].fillna(0.0).to_numpy(),
                mode="lines",
                name=str(name),
                stackgroup="mix",
                line={"width": 0.4, "color": ASSET_COLORS[index % len(ASSET_COLORS)]},
                hovertemplate="%{y:.1%}",
            )
        )
    base_layout(fig, title, height=380)
    fig.update_yaxes(tickformat=".0%", title_text="weight", rangemode="tozero")
    return fig


def mix_table(weights: pd.DataFrame, fit: FixedMix) -> str:
    """Per strategy: its mean, standard deviation, minimum and maximum weight over the
    holdout decisions, and its weight in the fixed mix."""
    head = "".join(
        f"<th>{h}</th>"
        for h in ("Strategy", "Mean weight", "Std", "Min", "Max", "Fixed mix (least squares)")
    )
    rows = "".join(
        f'<tr data-strategy="{escape(str(name))}"><th>{escape(str(name))}</th>'
        f"<td>{num(weights[name].mean(), 3)}</td>"
        f"<td>{num(weights[name].std(ddof=0), 3)}</td><td>{num(weights[name].min(), 3)}</td>"
        f"<td>{num(weights[name].max(), 3)}</td>"
        f"<td>{num(float(fit.weights.get(name, math.nan)), 3)}</td></tr>"
        for name in weights.columns
    )
    return (
        '<div class="scroll"><table class="metrics mix-table"><thead><tr>'
        f"{head}</tr></thead><tbody>{rows}</tbody></table></div>"
    )


def mix_sentence(mix: Mix, fit: FixedMix, missing: list[str]) -> str:
    """How much the mix varies, in one sentence with its numbers."""
    weights = mix.weights
    spread = weights.std(ddof=0)
    widest = str(spread.idxmax()) if len(spread) else "?"
    moved = (
        f"Over its {len(weights)} holdout decisions its weights over its {weights.shape[1]} "
        f"strategies varied with a standard deviation of at most {num(float(spread.max()), 3)} "
        f"({widest})"
    )
    if missing or math.isnan(fit.r2):
        why = (
            f"the holdout returns lack {', '.join(missing)}" if missing else "too few holdout days"
        )
        return f"{moved}; no fixed mix was fitted ({why})."
    return (
        f"{moved}; one fixed mix of these strategies' holdout returns explains "
        f"R² = {fit.r2:.3f} of its daily holdout net returns over {fit.n_days} days "
        "(least squares with weights summing to 1, no intercept, weights free in sign)."
    )


def _block(record: RunRecord, mix: Mix, figures: Figures) -> list[str]:
    who = "The champion" if mix.who == "champion" else f"The {mix.who} family's champion"
    wide = record.returns.pivot_table(index="date", columns="strategy", values="net")
    names = [str(c) for c in mix.weights.columns]
    missing = [n for n in names if n not in wide.columns]
    fit = (
        fixed_mix(mix.net, wide[names])
        if not missing
        else FixedMix(pd.Series(dtype=float), math.nan, 0)
    )
    return [
        f'<div class="mix" data-who="{escape(mix.who)}">',
        f"<h3>{who}: its strategy mix over the holdout</h3>",
        figures.embed(
            mix_figure(mix.weights, f"{who}'s weights over its strategies at each decision"),
            f"From {mix.file}: the seed ensemble's weights over its strategies; its asset "
            "weights are this mix of each strategy's own weights.",
        ),
        paragraph(mix_sentence(mix, fit, missing), "reading mix-sentence"),
        mix_table(mix.weights, fit),
        "</div>",
    ]


def mix_section(record: RunRecord, figures: Figures) -> str:
    """Model 2's strategy mix over time and how much it varies: the champion's, and each
    family champion's that is not the champion itself; "" when no champion is Model 2."""
    if not record.mixes:
        return ""
    has_champion = any(m.who == "champion" for m in record.mixes)
    # the champion's family champion is the champion itself: shown once
    shown = [
        m
        for m in record.mixes
        if m.who == "champion" or not (has_champion and m.who == record.champion.family)
    ]
    body = [
        paragraph(
            "Model 2 (the portfolio family) holds a mix of classic strategies that it "
            "re-weights at each decision. A mix that barely moves, or whose returns one fixed "
            "mix explains almost entirely, is close to a static blend of classic rules.",
            "reading",
        )
    ]
    for mix in shown:
        body.extend(_block(record, mix, figures))
    if not shown:
        body.append(note("No strategy mix to show."))
    return section("mix", "Model 2's strategy mix", body)
