"""Sphinx configuration of evofolio's documentation site (``make docs``).

Offline by construction: no intersphinx, no math renderer loaded from a CDN, the theme's own
fonts and scripts, and plotly.js copied from the installed plotly package into ``_static``
(the gallery's figures reference that copy, never a CDN). ``tests/docs/test_site.py`` builds
the site with ``-W`` and opens its pages in chromium with every network request refused.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(HERE))  # gallery_plotly

import evofolio  # noqa: E402

project = "evofolio"
author = "the evofolio authors"
copyright = "2026, the evofolio authors"
version = release = evofolio.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx_copybutton",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "**.ipynb_checkpoints",
    "auto_examples/*.ipynb",
    "sg_execution_times.rst",  # sphinx-gallery's timing page loads DataTables from a CDN
]
templates_path = ["_templates"]
html_static_path = ["_static"]

# Markdown pages: `#` anchors to headings up to level 4, so pages link to each other's sections.
myst_heading_anchors = 4
myst_enable_extensions = ["colon_fence", "deflist"]
# Docstrings use ``literal`` and `backticks` alike; the latter read as code too.
default_role = "code"

# API reference: the docstrings are Google style (Args:, Returns:, Raises:).
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_member_order = "bysource"
autodoc_inherit_docstrings = True
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
napoleon_use_ivar = True  # Attributes: as fields, not a second description of each attribute
# -W holds every warning but nitpicky's: the type hints name third-party types (pandas, numpy,
# torch, skfolio, pydantic's constraints) whose documentation is not part of this offline site
# (no intersphinx: nothing is fetched), so `-n` reports 677 unresolved type links (2026-12-06):
# 593 to third-party types, 84 to evofolio internals the reference does not document (private
# base classes and validators, type variables, modules outside the API pages).
nitpicky = False

html_theme = "pydata_sphinx_theme"
html_title = f"evofolio {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": [],
    "secondary_sidebar_items": ["page-toc"],
    "icon_links": [],
    "show_version_warning_banner": False,
}
# Without a default the theme's first page view logs "Got invalid theme mode" (no stored mode).
html_context = {"default_mode": "auto"}
html_sidebars = {"index": [], "benchmarks": []}
html_show_sourcelink = False
html_copy_source = False

# The example gallery: every examples/plot_*.py is run (on small data: seconds each) and its
# output, plotly figures included, becomes a page.
from gallery_plotly import PLOTLY_JS, install_renderer  # noqa: E402

install_renderer()
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": str(HERE / "auto_examples"),
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "capture_repr": ("_repr_html_", "__repr__"),
    "image_scrapers": (),
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "plot_gallery": os.environ.get("EVOFOLIO_DOCS_GALLERY", "True"),
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "reset_modules": (),
    # the computation-times page loads jQuery and DataTables from a CDN: not written
    "write_computation_times": False,
}


def _plotly_on_gallery_pages(app, pagename, templatename, context, doctree):
    """plotly.js (the local copy) on the gallery's pages only."""
    if pagename.startswith("auto_examples/"):
        app.add_js_file(PLOTLY_JS, priority=200)
        app.add_js_file("plotly-resize.js", priority=201)


def setup(app):
    static = HERE / "_static"
    static.mkdir(exist_ok=True)
    import plotly.offline

    target = static / PLOTLY_JS
    script = plotly.offline.get_plotlyjs()
    if not target.is_file() or target.read_text(encoding="utf-8") != script:
        target.write_text(script, encoding="utf-8")
    app.connect("html-page-context", _plotly_on_gallery_pages)
