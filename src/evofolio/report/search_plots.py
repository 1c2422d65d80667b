"""Plotly figures of the genetic search, one function per figure (from ``trials.parquet``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from evofolio.report.plots import CHAMPION_COLOR, base_layout
from evofolio.report.search_stats import (
    FAMILY,
    FinalPopulation,
    completed,
    efficiency_curves,
    generation_summary,
    score_label,
    state_counts,
)
from evofolio.run_layout import PARETO

__all__ = [
    "efficiency_figure",
    "family_fitness_figure",
    "feature_frequency_figure",
    "fitness_by_generation_figure",
    "pareto_figure",
    "trial_states_figure",
]

STATE_COLORS = {
    "COMPLETE": "#16a34a",
    "PRUNED": "#f59e0b",
    "FAIL": "#dc2626",
    "RUNNING": "#60a5fa",
    "WAITING": "#9ca3af",
}
FAMILY_PALETTE = ("#2563eb", "#9333ea", "#0d9488", "#ea580c", "#be185d", "#4d7c0f")
"""Colours of the model families, in the order they appear (sorted) in the trials."""
MUTED = "#9ca3af"


def efficiency_figure(trials: pd.DataFrame) -> go.Figure:
    """The search's efficiency curves: best score so far against trials evaluated, for all
    the trials and for each family (:func:`evofolio.report.search_stats.efficiency_curves`)."""
    curves, label = efficiency_curves(trials), score_label(trials)
    fig = go.Figure()
    families = sorted(name for name in curves if name != "all trials")
    for name, curve in curves.items():
        color = (
            CHAMPION_COLOR
            if name == "all trials"
            else FAMILY_PALETTE[families.index(name) % len(FAMILY_PALETTE)]
        )
        fig.add_trace(
            go.Scatter(
                x=curve.index,
                y=curve.to_numpy(),
                mode="lines",
                name=name,
                line={"color": color, "width": 3 if name == "all trials" else 2, "shape": "hv"},
                hovertemplate=f"{name}: best %{{y:.3f}} after %{{x}} trials<extra></extra>",
            )
        )
    base_layout(fig, f"Best {label} so far against trials evaluated", height=360)
    fig.update_xaxes(title_text="trials evaluated (pruned included)")
    fig.update_yaxes(title_text=f"best {label}")
    return fig


def fitness_by_generation_figure(trials: pd.DataFrame) -> go.Figure:
    """Every completed trial's score, with the best and median per generation."""
    done, summary, label = completed(trials), generation_summary(trials), score_label(trials)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=done["generation"],
            y=done["score"],
            mode="markers",
            name="trial",
            marker={"color": MUTED, "size": 6, "opacity": 0.6},
            customdata=done["number"],
            hovertemplate="trial %{customdata}: %{y:.3f}<extra></extra>",
        )
    )
    for column, color, dash in (("best", CHAMPION_COLOR, "solid"), ("median", "#2563eb", "dot")):
        fig.add_trace(
            go.Scatter(
                x=summary.index,
                y=summary[column],
                mode="lines+markers",
                name=column,
                line={"color": color, "width": 2.5, "dash": dash},
                hovertemplate=f"{column}: %{{y:.3f}}<extra></extra>",
            )
        )
    base_layout(fig, f"Best and median {label} per generation", height=380)
    fig.update_layout(hovermode="closest")
    fig.update_xaxes(title_text="generation", dtick=1)
    fig.update_yaxes(title_text=label)
    return fig


def trial_states_figure(trials: pd.DataFrame) -> go.Figure:
    """Trials per generation, stacked by outcome (failed and pruned trials included)."""
    counts = state_counts(trials)
    fig = go.Figure()
    for state in counts.columns:
        fig.add_trace(
            go.Bar(
                x=counts.index,
                y=counts[state],
                name=state.lower(),
                marker_color=STATE_COLORS.get(state, MUTED),
                hovertemplate=f"{state.lower()}: %{{y}}<extra></extra>",
            )
        )
    base_layout(fig, "Trials per generation by outcome", height=320)
    fig.update_layout(barmode="stack", hovermode="x")
    fig.update_xaxes(title_text="generation", dtick=1)
    fig.update_yaxes(title_text="trials")
    return fig


def pareto_figure(trials: pd.DataFrame, champion_trial: int) -> go.Figure:
    """Sharpe vs maximum drawdown of completed trials, the non-dominated ones coloured."""
    done = completed(trials)
    front = done[PARETO].astype(bool).to_numpy()
    turnover = done.get("turnover", pd.Series(np.nan, index=done.index))
    fig = go.Figure()
    for on_front in (False, True):
        part = done[front == on_front]
        marker: dict[str, object] = {"size": 7, "color": MUTED, "opacity": 0.5}
        if on_front:
            marker = {
                "size": 11,
                "color": turnover[front].to_numpy(dtype=float),
                "colorscale": "Viridis",
                "colorbar": {"title": {"text": "turnover"}, "tickformat": ".0%"},
                "line": {"width": 1, "color": CHAMPION_COLOR},
            }
        fig.add_trace(
            go.Scatter(
                x=part["sharpe"],
                y=part["max_drawdown"],
                mode="markers",
                name="Pareto front" if on_front else "dominated",
                marker=marker,
                customdata=np.column_stack([part["number"], turnover[part.index]]),
                hovertemplate="trial %{customdata[0]}: Sharpe %{x:.2f}, max drawdown %{y:.1%}, "
                "turnover %{customdata[1]:.0%}<extra></extra>",
            )
        )
    best = done[done["number"] == champion_trial]
    fig.add_trace(
        go.Scatter(
            x=best["sharpe"],
            y=best["max_drawdown"],
            mode="markers",
            name="champion",
            marker={"symbol": "star", "size": 18, "color": "#dc2626"},
            hovertemplate="champion: Sharpe %{x:.2f}, max drawdown %{y:.1%}<extra></extra>",
        )
    )
    base_layout(fig, "Pareto front: validation Sharpe vs maximum drawdown", height=420)
    fig.update_layout(hovermode="closest", legend={"x": 0.0, "y": -0.18, "orientation": "h"})
    fig.update_xaxes(title_text="Sharpe ratio (higher is better)")
    fig.update_yaxes(title_text="maximum drawdown (lower is better)", tickformat=".0%")
    return fig


def family_fitness_figure(trials: pd.DataFrame) -> go.Figure:
    """The distribution of scores per model family (every completed trial shown)."""
    done, label = completed(trials), score_label(trials)
    families = done.get(FAMILY, pd.Series("?", index=done.index)).astype(str)
    fig = go.Figure()
    for index, family in enumerate(sorted(families.unique())):
        part = done[families == family]
        fig.add_trace(
            go.Box(
                y=part["score"],
                name=f"{family} ({len(part)})",
                boxpoints="all",
                jitter=0.4,
                pointpos=0.0,
                marker={"color": FAMILY_PALETTE[index % len(FAMILY_PALETTE)], "size": 5},
                customdata=part["number"],
                hovertemplate="trial %{customdata}: %{y:.3f}<extra></extra>",
            )
        )
    base_layout(fig, f"{label[0].upper()}{label[1:]} by model family", height=360)
    fig.update_layout(hovermode="closest", showlegend=False)
    fig.update_yaxes(title_text=label)
    return fig


def feature_frequency_figure(final: FinalPopulation) -> go.Figure:
    """The share of the final population's genomes with each feature switched on."""
    fig = go.Figure(
        go.Bar(
            x=final.shares.to_numpy(dtype=float),
            y=list(final.shares.index),
            orientation="h",
            marker_color="#2563eb",
            hovertemplate="%{y}: %{x:.0%}<extra></extra>",
        )
    )
    base_layout(
        fig,
        f"Features selected in the final population (generation {final.generation})",
        height=max(300, 40 + 24 * len(final.shares)),
    )
    fig.update_layout(hovermode="closest", showlegend=False)
    fig.update_xaxes(tickformat=".0%", range=[0, 1], title_text="share of genomes")
    return fig
