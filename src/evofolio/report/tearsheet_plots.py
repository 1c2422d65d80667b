"""Plotly figures of the tear sheet: one function per figure, tables in, figure out.

The tables come from :mod:`evofolio.report.tearsheet`; the gene importances and the trial
timeline are Optuna's own figures (``optuna.visualization``), restyled to the house style.
"""

from __future__ import annotations

import numpy as np
import optuna
import pandas as pd
import plotly.graph_objects as go

from evofolio.report.plots import BASELINE_COLORS, CHAMPION_COLOR, base_layout

__all__ = [
    "importances_figure",
    "monthly_heatmap_figure",
    "rolling_sharpe_figure",
    "timeline_figure",
    "validation_holdout_figure",
]

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
HOLDOUT_COLOR = "#2563eb"


def monthly_heatmap_figure(table: pd.DataFrame, name: str) -> go.Figure:
    """A (year × month) heatmap of compounded monthly returns, red below 0, green above."""
    values = table.to_numpy(dtype=float)
    finite = np.abs(values[np.isfinite(values)])
    bound = float(finite.max()) if finite.size else 0.01
    text = [["" if np.isnan(v) else f"{100 * v:.1f}" for v in row] for row in values]
    fig = go.Figure(
        go.Heatmap(
            z=values,
            x=list(MONTHS),
            y=[str(year) for year in table.index],
            text=text,
            texttemplate="%{text}",
            colorscale="RdYlGn",
            zmid=0.0,
            zmin=-bound,
            zmax=bound,
            colorbar={"title": {"text": "return"}, "tickformat": ".0%"},
            hovertemplate="%{y} %{x}: %{z:.2%}<extra></extra>",
        )
    )
    base_layout(fig, f"Monthly returns of the {name}, net of costs (%)", 120 + 34 * len(table))
    fig.update_layout(hovermode="closest")
    fig.update_yaxes(autorange="reversed", type="category")
    return fig


def rolling_sharpe_figure(frame: pd.DataFrame, window: int) -> go.Figure:
    """One line per column of ``frame`` (the champion first, drawn thick)."""
    fig = go.Figure()
    for index, name in enumerate(frame.columns):
        champion = index == 0
        fig.add_trace(
            go.Scatter(
                x=frame.index,
                y=frame[name].to_numpy(dtype=float),
                mode="lines",
                name=str(name),
                line={
                    "color": CHAMPION_COLOR if champion else BASELINE_COLORS[1],
                    "width": 2.6 if champion else 1.6,
                },
                hovertemplate="%{y:.2f}",
            )
        )
    fig.add_hline(y=0.0, line={"color": "#9ca3af", "width": 1})
    base_layout(fig, f"Rolling Sharpe ratio over {window} trading days, net of costs", 360)
    fig.update_yaxes(title_text="Sharpe ratio (annualised)")
    return fig


def validation_holdout_figure(chain: pd.DataFrame, trial: int, source: int) -> go.Figure:
    """Growth of 1 over the champion's validation returns, then its holdout returns."""
    fig = go.Figure()
    where = f"trial {trial}" if source == trial else f"trial {trial}, a clone of trial {source}"
    for period, color in (("validation", "#6b7280"), ("holdout", HOLDOUT_COLOR)):
        part = chain[chain["period"] == period]
        fig.add_trace(
            go.Scatter(
                x=part.index,
                y=part["wealth"].to_numpy(dtype=float),
                mode="lines",
                name=f"{period} ({where})" if period == "validation" else "holdout (refit)",
                line={"color": color, "width": 2.2},
                hovertemplate="%{y:.3f}",
            )
        )
    holdout = chain.index[chain["period"] == "holdout"]
    if len(holdout):
        boundary = holdout[0]
        fig.add_shape(
            type="line",
            x0=boundary,
            x1=boundary,
            y0=0,
            y1=1,
            yref="paper",
            line={"color": "#dc2626", "width": 1.5, "dash": "dash"},
        )
        fig.add_annotation(
            x=boundary, y=1, yref="paper", text="holdout starts", showarrow=False, xanchor="left"
        )
    base_layout(fig, "The champion: validation, then holdout (growth of 1, net, log scale)", 380)
    fig.update_yaxes(type="log", title_text="wealth")
    return fig


def importances_figure(study: optuna.Study, family: str, params: list[str]) -> go.Figure:
    """Optuna's ``plot_param_importances`` (PED-ANOVA) of one family's genes."""
    fig = optuna.visualization.plot_param_importances(study, params=params, target_name="score")
    base_layout(
        fig,
        f"Gene importances for the score, {family} family ({len(study.trials)} trials)",
        max(300, 80 + 22 * len(params)),
    )
    fig.update_layout(hovermode="closest", showlegend=False)
    return fig


def timeline_figure(study: optuna.Study) -> go.Figure:
    """Optuna's ``plot_timeline``: each trial's start, end and outcome."""
    fig = optuna.visualization.plot_timeline(study)
    base_layout(fig, "Trial timeline (start to end, by outcome)", 120 + 14 * len(study.trials))
    fig.update_layout(hovermode="closest", legend={"orientation": "h", "x": 0.0, "y": -0.15})
    return fig
