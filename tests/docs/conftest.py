"""Fixtures of the documentation tests: the site built once per session, a headless chromium.

The site is built from a copy of ``docs/``, ``examples/`` and the pages they include, so the
build (sphinx-gallery writes its pages into the source tree) never touches the checkout. The
gallery's examples run during the build, on their own small data.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# As tests/report/test_report_browser.py: Debian's chromium, never a downloaded browser.
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


@dataclass(frozen=True)
class Site:
    html: Path
    returncode: int
    output: str
    seconds: float


def _build(root: Path) -> Site:
    """``sphinx-build -W`` (warnings are errors) of a copy of the sources into ``root``."""
    ignore = shutil.ignore_patterns("_build", "auto_examples", "generated", "plotly.min.js")
    shutil.copytree(ROOT / "docs", root / "docs", ignore=ignore)
    shutil.copytree(ROOT / "examples", root / "examples", ignore=ignore)
    (root / "benchmarks").mkdir()
    shutil.copy2(ROOT / "benchmarks" / "RESULTS.md", root / "benchmarks" / "RESULTS.md")
    shutil.copy2(ROOT / "CHANGELOG.md", root / "CHANGELOG.md")
    html = root / "html"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(root / "docs")]))
    start = time.perf_counter()
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]
    done = subprocess.run(
        [*command, str(root / "docs"), str(html)],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=900,
        check=False,
    )
    seconds = time.perf_counter() - start
    return Site(html, done.returncode, done.stdout + done.stderr, seconds)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Site:
    """The site, built once per test run: under ``pytest -n N`` the first worker to ask builds
    it into the run's shared temporary folder while the others wait, then all read it."""
    if worker_id == "master":
        return _build(tmp_path_factory.mktemp("site"))
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp().parent / "docs-site"
    record = shared / "site.json"
    with FileLock(str(shared) + ".lock"):
        if not record.is_file():
            shared.mkdir(exist_ok=True)
            built = _build(shared)
            record.write_text(
                json.dumps(
                    {
                        "returncode": built.returncode,
                        "output": built.output,
                        "seconds": built.seconds,
                    }
                ),
                encoding="utf-8",
            )
    saved = json.loads(record.read_text(encoding="utf-8"))
    return Site(shared / "html", saved["returncode"], saved["output"], saved["seconds"])


@pytest.fixture(scope="session")
def built(site: Site) -> Path:
    """The built site's HTML folder; the tests that read it fail if the build failed."""
    if site.returncode != 0:
        pytest.fail(f"the documentation build failed:\n{site.output[-6000:]}", pytrace=False)
    return site.html


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

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
