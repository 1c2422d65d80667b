"""A synthetic run directory in exactly the schema `evofolio run` writes (see rundir.py).

``make_run_dir(path, ...)`` writes run.json, trials.parquet, trials/NNNNN/returns.parquet (each
completed trial's validation returns), champion/{metrics,config}.json and
holdout/{returns,held,weights}.parquet + metrics.json, with metrics computed by the library's
own functions, so the report can be checked against the numbers it was given.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evofolio.features import FEATURES
from evofolio.metrics import (
    deflated_sharpe_from_returns,
    probability_of_backtest_overfitting,
    summarize,
)
from evofolio.strategies import STRATEGIES

ASSETS = ["AAPL", "MSFT", "JPM", "XOM", "PG", "KO", "JNJ", "WMT"]
MakeRunDir = Callable[..., Path]


def _genome(rng: np.random.Generator, families: tuple[str, ...], age: float) -> dict[str, Any]:
    """A random genome; as ``age`` goes from 0 to 1 the population converges (asset family,
    some features favoured), as a genetic search does."""
    asset_share = 0.5 + 0.3 * age if len(families) > 1 else 1.0
    genome: dict[str, Any] = {
        "family": families[0] if rng.random() < asset_share else families[-1],
        "encoder": str(rng.choice(["joint", "shared"])),
        "layers": int(rng.integers(1, 4)),
        "hidden": int(rng.choice([16, 32, 64, 128])),
        "dropout": float(rng.uniform(0.0, 0.5)),
        "lr": float(10 ** rng.uniform(-4, -2)),
        "weight_decay": float(10 ** rng.uniform(-6, -3)),
        "seq_len": int(rng.integers(20, 121)),
        "chunk_len": int(rng.integers(10, 61)),
        "objective": str(rng.choice(["sharpe", "sortino", "utility"])),
        "cost_bps": float(rng.uniform(0.0, 20.0)),
        "max_weight": float(rng.choice([0.2, 0.3, 0.5, 1.0])),
        "mode": str(rng.choice(["blend", "select"])),
    }
    genome |= {
        f"feature_{n}": bool(rng.random() < 0.4 + (0.5 if i % 3 == 0 else -0.3) * age)
        for i, n in enumerate(FEATURES)
    }
    genome |= {f"strategy_{n}": bool(rng.random() < 0.5) for n in STRATEGIES}
    return genome


def _trials(
    rng: np.random.Generator,
    population: int,
    generations: int,
    families: tuple[str, ...],
    multi: bool,
    all_fail: bool,
) -> pd.DataFrame:
    rows = []
    for number in range(population * generations):
        generation = number // population
        state = (
            "FAIL"
            if all_fail
            else str(rng.choice(["COMPLETE", "FAIL", "PRUNED"], p=[0.78, 0.12, 0.10]))
        )
        folds = rng.normal(0.4 + 0.12 * generation, 0.3, 3)
        fitness = float(folds.mean() - 0.5 * folds.std()) if state == "COMPLETE" else math.nan
        values = [fitness, math.nan, math.nan]
        if multi and state == "COMPLETE":
            values = [float(folds.mean()), float(rng.uniform(0.08, 0.45)), float(rng.uniform(1, 9))]
        error = "RuntimeError: loss is nan at epoch 3\nTraceback ..." if state == "FAIL" else None
        row: dict[str, Any] = {
            "number": number,
            "generation": generation,
            "state": state,
            "fitness": math.nan if multi else fitness,
            "values_0": values[0],
            "duration_s": float(rng.uniform(5, 60)),
            "error": error,
            "fold_sharpes": json.dumps(folds.round(4).tolist()) if state == "COMPLETE" else None,
            "datetime_start": pd.Timestamp("2026-01-05 09:00") + pd.Timedelta(minutes=number),
        }
        row["datetime_complete"] = row["datetime_start"] + pd.Timedelta(seconds=row["duration_s"])
        if multi:
            row |= {"values_1": values[1], "values_2": values[2]}
        age = generation / max(generations - 1, 1)
        row |= {f"param_{k}": v for k, v in _genome(rng, families, age).items()}
        rows.append(row)
    return pd.DataFrame(rows)


def _validation(rng: np.random.Generator, path: Path, trials: pd.DataFrame) -> None:
    """trials/NNNNN/returns.parquet of every completed trial: daily ``net`` by date, over the
    last 300 business days of the development period, as the search writes them."""
    dates = pd.bdate_range(end="2019-12-31", periods=300, name="date")
    for number in trials.loc[trials["state"] == "COMPLETE", "number"]:
        folder = path / "trials" / f"{int(number):05d}"
        folder.mkdir(parents=True)
        net = pd.DataFrame({"net": rng.normal(0.0004, 0.01, len(dates))}, index=dates)
        net.to_parquet(folder / "returns.parquet")


def _holdout(rng: np.random.Generator, days: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    dates = pd.bdate_range("2020-01-02", periods=days, name="date")
    names = ["champion", *STRATEGIES, "equal_blend"]
    market = rng.normal(0.0003, 0.011, days)
    returns, held = [], []
    for index, name in enumerate(names):
        gross = market * rng.uniform(0.7, 1.2) + rng.normal(0.0001 * index, 0.004, days)
        turnover = np.where(np.arange(days) % 21 == 0, rng.uniform(0.05, 0.6, days), 0.0)
        cost = turnover * 10 / 1e4
        returns.append(
            pd.DataFrame(
                {
                    "date": dates,
                    "strategy": name,
                    "gross": gross,
                    "net": gross - cost,
                    "turnover": turnover,
                    "cost": cost,
                }
            )
        )
        raw = np.exp(np.cumsum(rng.normal(0, 0.05, (days, len(ASSETS))), axis=0))
        weights = pd.DataFrame(raw / raw.sum(axis=1, keepdims=True), columns=ASSETS)
        held.append(pd.concat([pd.DataFrame({"date": dates, "strategy": name}), weights], axis=1))
    return pd.concat(returns, ignore_index=True), pd.concat(held, ignore_index=True)


def _clean(value: Any) -> Any:
    """NaN as null, as the pipeline's write_json does."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


def _write_json(path: Path, payload: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_clean(payload), indent=2) + "\n", encoding="utf-8")


def make_run_dir(
    path: Path,
    *,
    multi_objective: bool = True,
    families: tuple[str, ...] = ("asset", "portfolio"),
    all_fail: bool = False,
    with_pbo: bool = True,
    population: int = 8,
    generations: int = 4,
    days: int = 504,
    seed: int = 7,
) -> Path:
    """Write a realistic run directory at ``path`` and return it."""
    rng = np.random.default_rng(seed)
    trials = _trials(rng, population, generations, families, multi_objective, all_fail)
    returns, held = _holdout(rng, days)
    path.mkdir(parents=True, exist_ok=True)
    trials.to_parquet(path / "trials.parquet", index=False)
    (path / "holdout").mkdir()
    returns.to_parquet(path / "holdout" / "returns.parquet", index=False)
    held.to_parquet(path / "holdout" / "held.parquet", index=False)
    decisions = held[held.groupby("strategy").cumcount() % 21 == 0]  # monthly rebalances
    decisions.to_parquet(path / "holdout" / "weights.parquet", index=False)
    _validation(rng, path, trials)
    metrics = {
        name: summarize(group["net"], group["turnover"])
        for name, group in returns.groupby("strategy", sort=False)
    }
    _write_json(path / "holdout" / "metrics.json", {"metrics": metrics})
    done = trials[trials["state"] == "COMPLETE"]
    best = trials.iloc[0] if done.empty else done.loc[done["values_0"].idxmax()]
    genome = {k.removeprefix("param_"): v for k, v in best.items() if k.startswith("param_")}
    champion_net = returns.loc[returns["strategy"] == "champion", "net"].to_numpy()
    sharpes = rng.normal(0.02, 0.02, max(len(done), 1))
    dsr = deflated_sharpe_from_returns(champion_net, sharpes).__dict__
    pbo = None
    if with_pbo and len(done) >= 2:
        result = probability_of_backtest_overfitting(rng.normal(0, 0.01, (400, len(done))), 8)
        pbo = {
            "pbo": result.pbo,
            "n_combinations": result.n_combinations,
            "n_blocks": result.n_blocks,
            "n_configs": len(done),
        }
    _write_json(
        path / "champion" / "metrics.json",
        {
            "trial": int(best["number"]),
            "family": genome["family"],
            "genome": genome,
            "fitness": float(best["fitness"]),
            "values": [float(best[c]) for c in ("values_0", "values_1", "values_2") if c in best],
            "holdout": metrics["champion"],
            "dsr": dsr,
            "pbo": pbo,
        },
    )
    _write_json(
        path / "champion" / "config.json",
        {
            "seed": seed,
            "model": {"family": genome["family"], "hidden": genome["hidden"]},
            "training": {"lr": genome["lr"], "epochs": 30},
        },
    )
    _write_json(
        path / "run.json",
        {
            "evofolio_version": "0.1.0",
            "source": "sp500",
            "market_source": "sp500 index",
            "assets": ASSETS,
            "development": ["2005-01-03", "2019-12-31"],
            "holdout": [f"{returns['date'].min():%Y-%m-%d}", f"{returns['date'].max():%Y-%m-%d}"],
            "rebalance": "monthly",
            "cost_bps": 10.0,
            "vol_target": None,
            "seed": seed,
            "search": {
                "population": population,
                "generations": generations,
                "folds": 3,
                "fold_lambda": 0.5,
                "multi_objective": multi_objective,
                "families": list(families),
            },
            "started": "2026-01-05T09:00:00",
            "finished": "2026-01-05T10:12:00",
            "seconds": 4320.0,
        },
    )
    return path
