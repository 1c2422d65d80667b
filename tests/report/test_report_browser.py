"""The report in a real headless browser: no console errors, every plot drawn, a screenshot.

Uses Debian's ``chromium`` (``make test`` installs it); Playwright never downloads a browser.
A missing chromium is a failure, not a skip: CI must prove the report renders.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Route, sync_playwright

from evofolio.report.html import build_report

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(
            "chromium not found on PATH: run `make test` (it installs Debian's chromium) or "
            "`apt-get install chromium`",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


def _render(browser: Browser, report: Path, screenshot: Path | None = None) -> dict[str, Any]:
    """Open ``report`` from file://, refuse any network request, collect errors and plots."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r: Route) -> None:
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            requests.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(report.as_uri(), wait_until="load")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.plotly-graph-div')]"
        ".every(d => d.querySelector('.main-svg'))",
        timeout=30_000,
    )
    result = {
        "errors": errors,
        "requests": requests,
        "divs": page.locator(".plotly-graph-div").count(),
        "drawn": page.locator(".js-plotly-plot .main-svg").evaluate_all(
            "nodes => new Set(nodes.map(n => n.closest('.js-plotly-plot').id)).size"
        ),
        "traces": page.locator(".js-plotly-plot").evaluate_all(
            "nodes => nodes.map(n => n.querySelectorAll('.trace, .point, .bars, .hm image').length)"
        ),
        "title": page.title(),
    }
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
    page.close()
    return result


def test_report_renders_in_chromium(browser: Browser, run_dir: Path) -> None:
    report = build_report(run_dir)
    n_figures = report.read_text(encoding="utf-8").count('class="plotly-graph-div"')
    assert n_figures >= 12  # counted exactly in test_report_html
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    result = _render(browser, report, shot)
    assert result["errors"] == [], result["errors"]
    assert result["requests"] == [], "the report must not touch the network"
    assert result["divs"] == n_figures
    assert result["drawn"] == n_figures, "every Plotly figure must draw its SVG"
    assert all(count > 0 for count in result["traces"]), result["traces"]
    assert "evofolio report" in str(result["title"])
    assert shot.is_file() and shot.stat().st_size > 50_000


def test_single_objective_run_renders_in_chromium(
    browser: Browser, single_run: Path, tmp_path: Path
) -> None:
    report = build_report(shutil.copytree(single_run, tmp_path / "single"))
    n_figures = report.read_text(encoding="utf-8").count('class="plotly-graph-div"')
    assert n_figures >= 10  # counted exactly in test_report_html
    result = _render(browser, report)
    assert result["errors"] == [], result["errors"]
    assert result["drawn"] == n_figures
