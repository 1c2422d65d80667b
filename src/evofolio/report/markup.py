"""Small HTML builders of the report: sections, paragraphs, tables and embedded figures.

Every text passed in is escaped here; figures are embedded without the Plotly library,
which :mod:`evofolio.report.html` includes once for the whole page.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from html import escape

import plotly.graph_objects as go
import plotly.io as pio

__all__ = ["PLOTLY_CONFIG", "Figures", "kv_table", "note", "num", "paragraph", "section"]

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d"]}


class Figures:
    """Turns figures into ``<div>`` fragments with ids ``fig-1, fig-2, ...``."""

    def __init__(self) -> None:
        self.count = 0

    def embed(self, fig: go.Figure, caption: str = "") -> str:
        """The figure as a ``<figure>`` fragment (its data and a ``newPlot`` call)."""
        self.count += 1
        div = pio.to_html(
            fig,
            full_html=False,
            include_plotlyjs=False,
            div_id=f"fig-{self.count}",
            config=PLOTLY_CONFIG,
        )
        note = f'<p class="caption">{escape(caption)}</p>' if caption else ""
        return f'<figure class="plot">{div}{note}</figure>'


def section(anchor: str, title: str, body: Iterable[str]) -> str:
    """``<section id=anchor>`` with an ``<h2>`` title; ``body`` is HTML already."""
    return f'<section id="{anchor}"><h2>{escape(title)}</h2>{"".join(body)}</section>'


def paragraph(words: str, css: str = "") -> str:
    """A ``<p>`` of escaped text, with an optional CSS class."""
    return f'<p class="{css}">{escape(words)}</p>' if css else f"<p>{escape(words)}</p>"


def note(words: str) -> str:
    """A muted remark (why something is not shown)."""
    return paragraph(words, "note")


def kv_table(rows: Mapping[str, str], css: str = "kv") -> str:
    """A two-column table: one ``<th>`` label and one ``<td>`` value per row."""
    cells = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows.items())
    return f'<table class="{css}">{cells}</table>'


def num(value: float, digits: int = 2) -> str:
    """A number with ``digits`` decimals; nan (or None) as ``-``."""
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}f}"
