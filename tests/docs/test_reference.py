"""The generated reference pages are what the code says today (docs/generate_reference.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _generator() -> ModuleType:
    path = ROOT / "docs" / "generate_reference.py"
    spec = importlib.util.spec_from_file_location("generate_reference", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("generate_reference", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["configuration", "cli"])
def test_the_committed_reference_page_is_not_stale(name: str) -> None:
    generator = _generator()
    committed = generator.PAGES[name].read_text(encoding="utf-8")
    fresh = generator.pages()[name]
    assert committed == fresh, (
        f"{generator.PAGES[name].relative_to(ROOT)} is stale: run "
        "`python docs/generate_reference.py` and commit the page"
    )


def test_every_configuration_key_is_on_the_page() -> None:
    from evofolio.config import RunConfig

    page = _generator().configuration_page()
    for section, field in RunConfig.model_fields.items():
        key = field.alias or section
        assert f"| `{key}" in page
    assert "| `search.space.fixed` |" in page and "| `validate.outer_years` |" in page
    for family in ("asset", "portfolio", "asset_attention"):
        assert f"### `{family}`" in page


def test_every_command_and_option_is_on_the_page() -> None:
    import typer.main

    from evofolio.cli import app

    page = _generator().cli_page()
    group = typer.main.get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        assert f"## `evofolio {name}`" in page
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("-"):
                    assert opt in page, f"{name} {opt}"
