"""Fixtures for the data tests; also puts this folder on ``sys.path`` for ``broken_inputs``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from broken_inputs import make_prices  # noqa: E402 - needs the sys.path line above


@pytest.fixture
def prices() -> pd.DataFrame:
    """60 business days x 3 assets (ALPHA, BETA, GAMMA) from 2020-01-01."""
    return make_prices(60)


@pytest.fixture
def write_wide(tmp_path: Path) -> Callable[..., Path]:
    """Write a wide price frame as csv or parquet (by the name's suffix), dates as ``date``."""

    def write(frame: pd.DataFrame, name: str = "prices.csv") -> Path:
        path = tmp_path / name
        table = frame.rename_axis("date").reset_index()
        if name.lower().endswith(".parquet"):
            table.to_parquet(path, index=False)
        else:
            table.to_csv(path, index=False, date_format="%Y-%m-%d")
        return path

    return write
