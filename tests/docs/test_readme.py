"""The README's contract: short, and every page it links to exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MAX_LINES = 250


def test_the_readme_stays_short() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_LINES, (
        f"README.md has {len(lines)} lines (at most {MAX_LINES}): move the detail to a page of "
        "docs/guide/ and link it"
    )


def test_every_relative_link_of_the_readme_exists() -> None:
    text = README.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    relative = [t for t in targets if not re.match(r"^[a-z]+:", t)]
    assert len(relative) >= 10
    missing = [t for t in relative if not (ROOT / t).exists()]
    assert not missing, f"README links to missing files: {missing}"


def test_nothing_points_outside_the_repository() -> None:
    for page in [README, *sorted((ROOT / "docs").rglob("*.md"))]:
        if "_build" in page.parts or "auto_examples" in page.parts:
            continue
        assert "../shared/" not in page.read_text(encoding="utf-8"), page


def test_the_guide_lists_its_pages_and_globs_the_rest() -> None:
    # docs/guide/index.md names its pages in order, then `*` adds any other page of guide/
    # (pages other branches write appear when they land); a named page must exist, and the
    # glob must match at least one page (Sphinx warns otherwise, and -W makes that an error).
    guide = ROOT / "docs" / "guide"
    text = (guide / "index.md").read_text(encoding="utf-8")
    block = re.search(r"```\{toctree\}\n(.*?)```", text, re.S)
    assert block is not None
    entries = [
        line.strip()
        for line in block.group(1).splitlines()
        if line.strip() and not line.startswith(":")
    ]
    assert entries[-1] == "*" and ":glob:" in block.group(1)
    named = entries[:-1]
    assert all((guide / f"{name}.md").is_file() for name in named), named
    rest = {p.stem for p in guide.glob("*.md")} - set(named) - {"index"}
    assert rest, "the glob would match no page: leave one page to it"
