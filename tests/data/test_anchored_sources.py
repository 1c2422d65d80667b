"""What a run records of its data so that it is found again from any folder (issue 23): a
relative file path becomes absolute, a frame's label is named as not readable again."""

from __future__ import annotations

from pathlib import Path

import pytest

from evofolio.config import DataConfig
from evofolio.data.load import anchored, reloadable


def test_relative_paths_become_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "prices.csv").write_text("date,A,B\n")
    (tmp_path / "index.parquet").write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    section = DataConfig(source="prices.csv", market="index.parquet:SPX")
    assert anchored(section) == {
        "source": str(tmp_path.resolve() / "prices.csv"),
        "market": f"{tmp_path.resolve() / 'index.parquet'}:SPX",
    }
    # nothing to change: already absolute, a dataset, a missing file (its own error later)
    assert anchored(DataConfig(source=str(tmp_path.resolve() / "prices.csv"))) == {}
    assert anchored(DataConfig(source="sp500")) == {}
    assert anchored(DataConfig(source="gone.csv")) == {}


def test_what_cannot_be_read_again_is_named(tmp_path: Path) -> None:
    (tmp_path / "prices.csv").write_text("date,A,B\n")
    assert reloadable(str(tmp_path / "prices.csv")) is None
    assert reloadable("sp500") is None and reloadable("yahoo:AAPL,MSFT") is None
    assert reloadable(str(tmp_path / "moved.csv")) == f"file not found: {tmp_path / 'moved.csv'}"
    assert "given in memory" in str(reloadable("DataFrame"))
