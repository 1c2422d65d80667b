"""Reading a report page in the tests: its figures are packed (gzip + base64 JSON)."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import numpy as np

from evofolio.report.markup import unpacked

FIGURE_BLOCK = r'<script type="application/octet-stream" data-figure="([^"]+)">([^<]*)</script>'


def figures(page: str) -> dict[str, dict[str, Any]]:
    """Every embedded figure's Plotly JSON, by its div id."""
    return {ident: json.loads(unpacked(blob)) for ident, blob in re.findall(FIGURE_BLOCK, page)}


def figures_text(page: str) -> str:
    """Every embedded figure's JSON text, one after the other (to look for a label)."""
    return "\n".join(unpacked(blob) for _, blob in re.findall(FIGURE_BLOCK, page))


def array(values: Any) -> np.ndarray:
    """A trace's numbers: a list, or Plotly's typed array ``{"dtype", "bdata"}``."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), values["dtype"])
    return np.asarray(values, dtype=float)
