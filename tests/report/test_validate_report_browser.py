"""The `evofolio validate` report in the real headless browser (as the run report's test):
no console error, no network request, every figure drawn, every promised section present."""

from __future__ import annotations

import json
from html import unescape
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Browser
from test_report_browser import ARTIFACTS, _render, browser  # noqa: F401 (the fixture)

import evofolio as ev
from evofolio.config import parse_config
from evofolio.report.validate import render_validate_report
from synthetic import random_prices

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    prices = random_prices(n_days=2100, n_assets=3, seed=5, start="2000-01-03")
    config = parse_config(
        {
            "seed": 1,
            "data": {"holdout_start": "2007-01-01"},
            "training": {"epochs": 1},
            "search": {"population": 2, "generations": 1, "folds": 2},
            "champion": {"seeds": 1},
            "evaluation": {"n_boot": 100},
            "validate": {"outer_years": 1, "first_test": 2005, "generations_after_first": 1},
        }
    )
    out = tmp_path_factory.mktemp("validate") / "out"
    result = ev.validate(config, ev.load_data(prices), out=out)
    assert result.report == (out / "report.html").resolve()
    return out


def test_validate_report_renders_in_chromium(browser: Browser, validated: Path) -> None:  # noqa: F811
    report = validated / "report.html"
    page = report.read_text(encoding="utf-8")
    for anchor in ("verdict", "track", "performance", "periods", "subsets", "holdout-tests"):
        assert f'id="{anchor}"' in page, anchor
    assert page.count('<tr><td class="text">') >= 2  # one row per outer period
    assert "outer" not in page or "2005" in page
    n_figures = page.count('class="plotly-graph-div"')
    # cumulative returns, cumulative active return, drawdowns, and Sharpe by cost
    assert n_figures == 4
    shot = ARTIFACTS / "validate-report.png"
    shot.unlink(missing_ok=True)
    result = _render(browser, report, shot)
    assert result["errors"] == [], result["errors"]
    assert result["requests"] == [], "the report must not touch the network"
    assert result["drawn"] == n_figures
    assert all(count > 0 for count in result["traces"]), result["traces"]
    assert "evofolio validate" in str(result["title"])


def test_validate_header_says_budget_periods_and_rules(validated: Path) -> None:
    page = (validated / "report.html").read_text(encoding="utf-8")
    summary = json.loads((validated / "validate.json").read_text())
    head = unescape(page[page.index("<header>") : page.index("</header>")])
    assert summary["budget"]["preset"] == "custom"
    assert "Budget: custom" in head
    n = len(summary["periods"])
    assert n >= 2 and f"Outer periods tested: {n}, trading " in head
    significance = summary["config"]["evaluation"]["significance"]
    assert f"p < {significance:g}" in head
    assert "only one" not in head.lower() or n == 1


def test_validate_report_says_when_one_period_was_tested(validated: Path) -> None:
    summary = json.loads((validated / "validate.json").read_text())
    returns = pd.read_parquet(validated / "stitched" / "returns.parquet")
    one = {**summary, "periods": summary["periods"][:1]}
    page, _ = render_validate_report(one, returns)
    assert "Outer periods tested: 1. The procedure was tested once" in unescape(page)


def test_period_table_fits_the_page_at_1400_px(browser: Browser, validated: Path) -> None:  # noqa: F811
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto((validated / "report.html").as_uri(), wait_until="load")
    page.evaluate(
        "() => document.querySelectorAll('#outer-periods details').forEach(d => d.open = true)"
    )
    sizes = page.evaluate(
        """() => {
        const table = document.getElementById('outer-periods');
        return {table: table.scrollWidth, box: table.parentElement.clientWidth,
                page: document.documentElement.scrollWidth, view: window.innerWidth};
    }"""
    )
    page.close()
    assert sizes["table"] <= sizes["box"], sizes  # no scrolling inside its container
    assert sizes["page"] <= sizes["view"], sizes  # nor across the page
