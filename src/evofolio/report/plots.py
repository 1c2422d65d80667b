"""Plotly figures of the holdout period: one function per figure, data in, figure out.

Every strategy is drawn from the long ``holdout/returns.parquet`` frame (``date, strategy,
net, ...``); the champion is drawn thick and dark, the equal blend dashed, every classic rule
thin, so the eye finds the champion first.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

__all__ = [
    "CHAMPION",
    "EQUAL_BLEND",
    "active_return_figure",
    "active_wealth",
    "base_layout",
    "cumulative_returns_figure",
    "drawdowns_figure",
    "weights_figure",
]

CHAMPION = "champion"
EQUAL_BLEND = "equal_blend"
CHAMPION_COLOR = "#111827"
BASELINE_COLORS = qualitative.Set2
ASSET_COLORS = [*qualitative.Dark24, *qualitative.Light24]


def base_layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    """The house style shared by every figure of the report."""
    fig.update_layout(
        template="plotly_white",
        title={"text": title, "x": 0.0, "xanchor": "left", "font": {"size": 16}},
        height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        font={"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
        legend={"orientation": "v", "x": 1.01, "y": 1.0},
        hovermode="x unified",
    )
    return fig


def _wide_net(returns: pd.DataFrame) -> pd.DataFrame:
    """Net returns as a (date × strategy) frame, columns in order of appearance."""
    order = list(dict.fromkeys(returns["strategy"]))
    wide = returns.pivot_table(index="date", columns="strategy", values="net", sort=True)
    return wide[order].fillna(0.0)


def _style(name: str, index: int) -> dict[str, object]:
    if name == CHAMPION:
        return {"color": CHAMPION_COLOR, "width": 3.0}
    color = BASELINE_COLORS[index % len(BASELINE_COLORS)]
    if name == EQUAL_BLEND:
        return {"color": color, "width": 1.8, "dash": "dash"}
    return {"color": color, "width": 1.3}


def _lines(fig: go.Figure, frame: pd.DataFrame, hover: str) -> None:
    """One line per column; the champion last so it is drawn on top."""
    names = [n for n in frame.columns if n != CHAMPION] + (
        [CHAMPION] if CHAMPION in frame.columns else []
    )
    for index, name in enumerate(names):
        fig.add_trace(
            go.Scatter(
                x=frame.index,
                y=frame[name].to_numpy(),
                mode="lines",
                name=str(name),
                line=_style(str(name), index),
                legendrank=1 if name == CHAMPION else 100 + index,
                hovertemplate=f"%{{y:{hover}}}",
            )
        )


def cumulative_returns_figure(returns: pd.DataFrame) -> go.Figure:
    """Growth of 1 invested at the start of the holdout, net of costs, on a log scale."""
    wealth = (1.0 + _wide_net(returns)).cumprod()
    fig = go.Figure()
    _lines(fig, wealth, ".3f")
    base_layout(fig, "Growth of 1, net of costs (log scale)")
    fig.update_yaxes(type="log", title_text="wealth")
    return fig


def drawdowns_figure(returns: pd.DataFrame) -> go.Figure:
    """Fall from the running peak of wealth, net of costs."""
    wealth = (1.0 + _wide_net(returns)).cumprod()
    drawdown = wealth / wealth.cummax() - 1.0
    fig = go.Figure()
    _lines(fig, drawdown, ".1%")
    base_layout(fig, "Drawdown from the running peak, net of costs", height=340)
    fig.update_yaxes(tickformat=".0%", title_text="drawdown")
    return fig


def active_wealth(returns: pd.DataFrame, benchmark: str) -> pd.Series:
    """The champion's cumulative active return over ``benchmark``, net of costs: its growth
    of 1 divided by the benchmark's, minus 1, at each date (0 before the first day)."""
    wide = _wide_net(returns)
    ratio = (1.0 + wide[CHAMPION]).cumprod() / (1.0 + wide[benchmark]).cumprod()
    return (ratio - 1.0).rename("active")


def active_return_figure(returns: pd.DataFrame, benchmark: str, who: str = "champion") -> go.Figure:
    """:func:`active_wealth` as one line, with the zero line (``who``: what the ``champion``
    rows are, for the title)."""
    active = active_wealth(returns, benchmark)
    fig = go.Figure(
        go.Scatter(
            x=active.index,
            y=active.to_numpy(),
            mode="lines",
            name=f"{who} vs {benchmark}",
            line={"color": CHAMPION_COLOR, "width": 2.5},
            fill="tozeroy",
            fillcolor="rgba(37, 99, 235, 0.12)",
            hovertemplate="%{y:+.1%}",
        )
    )
    base_layout(
        fig,
        f"Cumulative active return over {benchmark}, net of costs ({who}'s wealth ÷ "
        f"{benchmark}'s − 1)",
        height=340,
    )
    fig.add_hline(y=0.0, line={"color": "#6b7280", "width": 1})
    fig.update_yaxes(tickformat="+.0%", title_text="active return")
    return fig


def weights_figure(held: pd.DataFrame, assets: Sequence[str] = ()) -> go.Figure:
    """The champion's weights after each close, stacked (one band per asset)."""
    rows = held[held["strategy"] == CHAMPION].sort_values("date")
    columns = [a for a in assets if a in rows.columns] or [
        c
        for c in rows.columns
        if c not in ("date", "strategy") and pd.api.types.is_numeric_dtype(rows[c])
    ]
    fig = go.Figure()
    for index, asset in enumerate(columns):
        fig.add_trace(
            go.Scatter(
                x=rows["date"],
                y=rows[asset].fillna(0.0).to_numpy(),
                mode="lines",
                name=str(asset),
                stackgroup="weights",
                line={"width": 0.4, "color": ASSET_COLORS[index % len(ASSET_COLORS)]},
                hovertemplate="%{y:.1%}",
            )
        )
    base_layout(fig, "Champion's weights held after each close", height=460)
    fig.update_yaxes(tickformat=".0%", title_text="weight", rangemode="tozero")
    return fig
