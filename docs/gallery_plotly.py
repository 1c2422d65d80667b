"""Plotly figures in the example gallery, offline.

plotly's own ``sphinx_gallery`` renderer points at a CDN for plotly.js and MathJax. This one
writes each figure as a bare ``<div>`` and its drawing call, with neither script: the gallery's
pages load the copy of plotly.js that ``conf.py`` writes to ``_static`` (:data:`PLOTLY_JS`).
An example shows a figure by ending a code block with it (``fig``), as in a notebook; run as a
plain script, that line does nothing.
"""

from __future__ import annotations

from typing import Any

PLOTLY_JS = "plotly.min.js"
RENDERER = "evofolio_docs"


class OfflineGalleryRenderer:
    """A plotly renderer returning HTML that needs a page-level plotly.js."""

    def to_mimebundle(self, fig_dict: dict[str, Any]) -> dict[str, str]:
        from plotly.io import to_html

        html = to_html(
            fig_dict,
            include_plotlyjs=False,
            include_mathjax=False,
            full_html=False,
            default_width="100%",
            default_height=460,
            validate=False,
        )
        return {"text/html": html}


def install_renderer() -> None:
    """Register :class:`OfflineGalleryRenderer` and make it plotly's default renderer."""
    import plotly.io as pio
    from plotly.io._base_renderers import MimetypeRenderer

    class _Renderer(OfflineGalleryRenderer, MimetypeRenderer):
        pass

    pio.renderers[RENDERER] = _Renderer()
    pio.renderers.default = RENDERER
