"""The documentation site: built with warnings as errors, offline, every internal link
resolving, every page opened in a real headless chromium with every gallery figure drawn.

``make docs`` builds the same site into ``docs/_build/html``; here it is built once per
session into a temporary folder (``conftest.site``), its gallery examples run on small data.
"""

from __future__ import annotations

import contextlib
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

pytestmark = pytest.mark.slow

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("plot_*.py"))


class _Page(HTMLParser):
    """A page's ids, its links (``<a href>``) and the resources it loads."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.loads: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if "id" in values:
            self.ids.add(values["id"])
        if tag == "a" and "href" in values:
            self.links.append(values["href"])
        if tag in {"script", "img", "iframe", "source", "video", "audio"} and values.get("src"):
            self.loads.append(values["src"])
        if tag == "link" and values.get("href"):
            self.loads.append(values["href"])


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _pages(html: Path) -> list[Path]:
    return sorted(p for p in html.rglob("*.html") if "_static" not in p.parts)


def test_the_site_builds_with_warnings_as_errors(site: Any) -> None:
    assert site.returncode == 0, site.output[-6000:]
    print(f"site built in {site.seconds:.0f} s")


def test_the_site_has_its_pages(built: Path) -> None:
    for page in [
        "index.html",
        "guide/index.html",
        "guide/verdict.html",
        "guide/data.html",
        "guide/search.html",
        "guide/families.html",
        "guide/validate.html",
        "guide/machines.html",
        "guide/large-universes.html",
        "guide/look-ahead.html",
        "guide/metrics.html",
        "architecture.html",
        "benchmarks.html",
        "changelog.html",
        "reference/configuration.html",
        "reference/cli.html",
        "reference/api/index.html",
        "reference/api/generated/evofolio.run.html",
        "auto_examples/index.html",
    ]:
        assert (built / page).is_file(), page
    assert len(EXAMPLES) >= 6
    for example in EXAMPLES:
        assert (built / "auto_examples" / f"{example.stem}.html").is_file(), example.name


def test_no_page_loads_anything_from_the_network(built: Path) -> None:
    remote = {
        f"{page.relative_to(built)}: {url}"
        for page in _pages(built)
        for url in _parse(page).loads
        if re.match(r"^(https?:)?//", url)
    }
    assert not remote, sorted(remote)[:20]
    for css in built.rglob("*.css"):  # no web fonts or stylesheets fetched from a CSS file
        found = re.findall(
            r"url\(\s*['\"]?(?:https?:)?//[^)]*\)|@import\s+url\(['\"]?http",
            css.read_text(encoding="utf-8", errors="replace"),
        )
        assert not found, (css, found[:3])


def test_every_internal_link_resolves(built: Path) -> None:
    parsed = {page: _parse(page) for page in _pages(built)}
    broken: list[str] = []
    for page, content in parsed.items():
        for href in content.links:
            parts = urlsplit(href)
            if parts.scheme or href.startswith("//") or href.startswith("mailto:"):
                continue
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(built)} -> {href}")
                continue
            fragment = unquote(parts.fragment)
            if fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _parse(target).ids
                if fragment not in ids:
                    broken.append(f"{page.relative_to(built)} -> {href} (no id)")
    assert not broken, broken[:30]


def _browsed(built: Path) -> list[Path]:
    """The pages opened in chromium: all but the generated API pages (one per function or
    class, all made by the same template: their links are checked above) and the indexes."""
    skip = {"genindex.html", "search.html", "py-modindex.html"}
    return [
        page for page in _pages(built) if "generated" not in page.parts and page.name not in skip
    ]


def test_every_page_opens_in_chromium_offline(built: Path, browser: Any) -> None:
    problems: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    requests: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            requests.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    figures = 0
    pages = _browsed(built)
    for path in pages:
        errors.clear()
        page.goto(path.as_uri(), wait_until="load")
        if path.parent.name == "auto_examples" and path.stem.startswith("plot_"):
            with contextlib.suppress(PlaywrightTimeout):  # the check below says what is wrong
                page.wait_for_function(
                    "() => [...document.querySelectorAll('.plotly-graph-div')].every(d => "
                    "d.querySelector('.main-svg') && d.querySelector('.main-svg').width"
                    ".baseVal.value <= d.parentElement.clientWidth + 1)",
                    timeout=20_000,
                )
            # every figure drawn (its svg layer), holding data (traces with points) and as
            # wide as its column at most (drawn at the width the page finally gave it)
            shown = page.locator(".js-plotly-plot").evaluate_all(
                "nodes => nodes.map(n => [!!n.querySelector('.main-svg'), "
                "(n._fullData || []).filter(t => (t.x || t.y || []).length > 0).length, "
                "n.querySelector('.main-svg').width.baseVal.value "
                "<= n.parentElement.clientWidth + 1])"
            )
            divs = page.locator(".plotly-graph-div").count()
            if divs < 1 or len(shown) != divs or not all(s and n and f for s, n, f in shown):
                problems.append(f"{path.name}: {divs} figures, drawn and traces {shown}")
            figures += divs
        if errors:
            problems.append(f"{path.relative_to(built)}: {errors[:3]}")
    context.close()
    assert len(pages) >= 25
    assert not requests, sorted(set(requests))[:10]
    assert not problems, problems
    assert figures >= len(EXAMPLES)
