"""The one atomic writer (a file, a staged directory) and the one JSON cleaner."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evofolio.outdir import atomic_file, plain, staged_output, write_json


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def test_a_file_is_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "table.txt"
    with atomic_file(target) as temporary:
        assert temporary.parent == target.parent and temporary != target
        temporary.write_text("first")
    assert target.read_text() == "first"
    with pytest.raises(RuntimeError), atomic_file(target) as temporary:
        temporary.write_text("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "first"
    assert leftovers(target.parent) == []


def test_a_staged_directory_appears_whole_and_keeps_other_files(tmp_path: Path) -> None:
    out = tmp_path / "champion"
    with staged_output(out) as staging:
        (staging / "a.json").write_text("1")
        assert not out.exists()  # nothing visible before the end
    assert sorted(p.name for p in out.iterdir()) == ["a.json"]
    (out / "mine.txt").write_text("kept")
    with staged_output(out) as staging:
        (staging / "a.json").write_text("2")
    assert (out / "a.json").read_text() == "2" and (out / "mine.txt").read_text() == "kept"
    with pytest.raises(ValueError), staged_output(out) as staging:
        (staging / "a.json").write_text("3")
        raise ValueError("failed half-way")
    assert (out / "a.json").read_text() == "2"
    assert leftovers(tmp_path) == []


def test_plain_makes_strict_json_by_hand() -> None:
    value = {
        1: np.float32(1.5),
        "nan": math.nan,
        "inf": -math.inf,
        "array": np.array([[1, 2], [3, 4]]),
        "tuple": (np.int64(7), True, None),
        "date": pd.Timestamp("2024-03-01"),
        "day": dt.date(2024, 3, 2),
        "path": Path("a/b"),
        "series": pd.Series([0.5, math.nan]),
    }
    assert plain(value) == {
        "1": 1.5,
        "nan": None,
        "inf": None,
        "array": [[1, 2], [3, 4]],
        "tuple": [7, True, None],
        "date": "2024-03-01T00:00:00",
        "day": "2024-03-02",
        "path": "a/b",
        "series": [0.5, None],
    }


def test_write_json_is_strict_and_atomic(tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    write_json(path, {"sharpe": math.nan, "values": (1.0, np.float64(2.0))})
    text = path.read_text()
    assert json.loads(text, parse_constant=lambda c: pytest.fail(c)) == {
        "sharpe": None,
        "values": [1.0, 2.0],
    }
    assert leftovers(tmp_path) == []
