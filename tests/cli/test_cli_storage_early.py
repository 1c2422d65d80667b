"""A bad --storage URL fails in one line before the data load and the classic panel."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import evofolio.allocators.strategy_panel as strategy_panel
import evofolio.api.search as api_search
import evofolio.api.validate as api_validate
import evofolio.search.fitness as fitness
from evofolio.cli import app

runner = CliRunner()
BAD = "postgresql://evofolio:o@127.0.0.1:1/evofolio"  # nothing listens on port 1


@pytest.fixture
def no_heavy_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """The data loader and the classic panel builder raise if they are ever called."""

    def forbidden(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("heavy work started before the storage URL was checked")

    monkeypatch.setattr(api_search, "_data", forbidden)
    monkeypatch.setattr(api_validate, "_data", forbidden)  # bound at its import
    monkeypatch.setattr(strategy_panel, "build_strategy_panel", forbidden)
    monkeypatch.setattr(fitness, "build_strategy_panel", forbidden, raising=False)


@pytest.mark.parametrize("command", [["run", "--quick"], ["evolve"], ["validate", "--quick"]])
def test_bad_storage_fails_before_the_data_and_panel(
    command: list[str], prices_csv: Path, tmp_path: Path, no_heavy_work: None
) -> None:
    pytest.importorskip("psycopg")
    out = tmp_path / "out"
    args = [*command, "--data", str(prices_csv), "--storage", BAD, "-o", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: search.storage: cannot open ")
    assert "'postgresql://evofolio:***@127.0.0.1:1/evofolio'" in last
    assert "connection failed" in last and "Traceback" not in result.output
    assert "heavy work" not in result.output
    assert not out.exists()
