"""Small HTML builders of the report: sections, paragraphs, tables and embedded figures.

Every text passed in is escaped here. A figure is embedded as its ``<div>`` and its Plotly
JSON, gzip-compressed and base64-encoded, in a ``<script type="application/octet-stream">``
block; :func:`plotly_scripts` adds plotly.js **once** per page, compressed the same way, and
one small loader that inflates it with the browser's own ``DecompressionStream`` and draws
every figure. Nothing is fetched: the page stays self-contained and works offline.
"""

from __future__ import annotations

import base64
import functools
import gzip
import math
import re
from collections.abc import Iterable, Mapping
from html import escape

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

__all__ = [
    "PLOTLY_CONFIG",
    "Figures",
    "kv_table",
    "note",
    "num",
    "packed",
    "paragraph",
    "plotly_scripts",
    "section",
    "unpacked",
]

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d"]}
DEFAULT_HEIGHT = 450


def packed(text: str) -> str:
    """``text`` gzip-compressed (level 9, no time stamp: the same text gives the same bytes)
    and base64-encoded, to sit in an HTML ``<script>`` block."""
    return base64.b64encode(gzip.compress(text.encode("utf-8"), 9, mtime=0)).decode("ascii")


def unpacked(blob: str) -> str:
    """The text :func:`packed` encoded (for tests and readers of a report)."""
    return gzip.decompress(base64.b64decode(blob)).decode("utf-8")


@functools.cache
def _plotly_js() -> tuple[str, str]:
    """plotly.js packed, and its version (from the library's banner)."""
    source = get_plotlyjs()
    found = re.search(r"plotly\.js v(\d[\w.\-]*)", source)
    return packed(source), found.group(1) if found else "?"


class Figures:
    """Turns figures into ``<div>`` fragments with ids ``fig-1, fig-2, ...``."""

    def __init__(self) -> None:
        self.count = 0

    def embed(self, fig: go.Figure, caption: str = "") -> str:
        """The figure as a ``<figure>`` fragment: its empty ``<div>`` and its packed JSON,
        drawn by the loader of :func:`plotly_scripts`."""
        self.count += 1
        ident = f"fig-{self.count}"
        height = fig.layout.height or DEFAULT_HEIGHT
        data = packed(pio.to_json(fig, validate=False, remove_uids=True))
        div = (
            f'<div id="{ident}" class="plotly-graph-div" style="height:{height}px; '
            f'width:100%;"></div><script type="application/octet-stream" '
            f'data-figure="{ident}">{data}</script>'
        )
        note = f'<p class="caption">{escape(caption)}</p>' if caption else ""
        return f'<figure class="plot">{div}{note}</figure>'


LOADER = """
(async () => {
  const inflate = async (text) => {
    const bytes = Uint8Array.from(atob(text.trim()), (c) => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return await new Response(stream).text();
  };
  const blocks = [...document.querySelectorAll("script[data-figure]")];
  if (!blocks.length) return;
  (0, eval)(await inflate(document.getElementById("plotly-js").textContent));
  const config = %(config)s;
  for (const block of blocks) {
    const figure = JSON.parse(await inflate(block.textContent));
    await Plotly.newPlot(block.dataset.figure, figure.data, figure.layout, config);
  }
})().catch((error) => {
  console.error(error);
  const note = document.createElement("p");
  note.className = "callout";
  note.textContent = "The figures could not be drawn (" + error + "): this report needs a "
    + "browser with DecompressionStream (Chrome 80, Firefox 113, Safari 16.4 or later).";
  document.querySelector("main").prepend(note);
});
"""


def plotly_scripts() -> str:
    """plotly.js, packed, once, and the loader that draws every figure of the page: for the
    end of ``<body>`` (after every figure's block)."""
    library, version = _plotly_js()
    loader = LOADER % {"config": pio.json.to_json_plotly(PLOTLY_CONFIG)}
    return (
        f'<script type="application/octet-stream" id="plotly-js" data-version="{escape(version)}"'
        f' data-encoding="gzip+base64">{library}</script>\n<script>{loader}</script>'
    )


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
