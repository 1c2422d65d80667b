"""A run directory belongs to one search: same inputs resume, other inputs are refused up front
and leave the directory as it was."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import pandas as pd
import pytest
from search_helpers import StubEvaluator, search_config

from evofolio.backtesting import split_periods
from evofolio.config import RunConfig
from evofolio.data import MarketData, load_data
from evofolio.search.fingerprint import RunDirMismatchError, fingerprint
from evofolio.search.plan import run_search
from synthetic import random_prices


def _data(tmp_path: Path, name: str, seed: int) -> MarketData:
    path = tmp_path / f"{name}.csv"
    random_prices(n_days=900, n_assets=3, seed=seed).to_csv(path)
    return load_data(str(path))


def _print(config: RunConfig, data: MarketData) -> dict[str, object]:
    periods = split_periods(pd.DatetimeIndex(data.prices.index), None, source=data.source)
    return fingerprint(config, data, periods)


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _search(config: RunConfig, run_dir: Path, fp: dict[str, object]) -> int:
    result = run_search(
        config, run_dir, functools.partial(StubEvaluator), fingerprint=fp, poll_seconds=0.1
    )
    return result.counts.complete


def test_same_inputs_resume_other_inputs_are_refused(tmp_path: Path) -> None:
    config = search_config(population=3, generations=1)
    data_a = _data(tmp_path, "a", 1)
    run_dir = tmp_path / "run"
    assert _search(config, run_dir, _print(config, data_a)) == 3
    # the same inputs with a larger budget resume the search
    bigger = search_config(population=3, generations=2)
    assert _search(bigger, run_dir, _print(bigger, data_a)) == 6
    before = _snapshot(run_dir)
    # other prices (another file of the same shape), another seed, another fitness setting
    data_b = _data(tmp_path, "b", 2)
    with pytest.raises(RunDirMismatchError, match=r"data \(.*prices_sha256") as error:
        _search(bigger, run_dir, _print(bigger, data_b))
    assert "--out" in str(error.value)
    other_seed = bigger.model_copy(update={"seed": 99})
    with pytest.raises(RunDirMismatchError, match=r"fitness \(seed 3 -> 99\)"):
        _search(other_seed, run_dir, _print(other_seed, data_a))
    lam = search_config(population=3, generations=2, fold_lambda=1.5)
    with pytest.raises(RunDirMismatchError, match=r"fitness \(fold_lambda 0.5 -> 1.5\)"):
        _search(lam, run_dir, _print(lam, data_a))
    # a key of a nested table is named down to its leaf, with its values (fresh-eyes finding:
    # "fitness (training) differ" named no key)
    fewer = bigger.model_copy(update={"training": bigger.training.model_copy(update={"epochs": 2})})
    epochs = bigger.training.epochs
    with pytest.raises(RunDirMismatchError, match=rf"fitness \(training.epochs {epochs} -> 2\)"):
        _search(fewer, run_dir, _print(fewer, data_a))
    assert _snapshot(run_dir) == before  # nothing in the directory changed
    # the same prices read from another path (a copy, a relative path) resume
    copy = tmp_path / "elsewhere" / "a_copy.csv"
    copy.parent.mkdir()
    copy.write_bytes((tmp_path / "a.csv").read_bytes())
    assert _search(bigger, run_dir, _print(bigger, load_data(str(copy)))) == 6


def test_the_study_remembers_too(tmp_path: Path) -> None:
    """Machines sharing one database agree even with separate run directories."""
    config = search_config(population=2, generations=1)
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    shared = config.model_copy(
        update={"search": config.search.model_copy(update={"storage": storage})}
    )
    data_a = _data(tmp_path, "a", 1)
    _search(shared, tmp_path / "one", _print(shared, data_a))
    with pytest.raises(RunDirMismatchError, match="study 'evofolio'"):
        _search(shared, tmp_path / "two", _print(shared, _data(tmp_path, "b", 2)))
    assert not (tmp_path / "two").exists()  # a refused start leaves no new directory
