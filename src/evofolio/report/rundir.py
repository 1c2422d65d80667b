"""Read a run directory (written by ``evofolio run``) into one typed, immutable record.

Every file name comes from :mod:`evofolio.run_layout` (where the layout is documented), and
the trials table is read with the columns :mod:`evofolio.search.engine.records` writes, unrenamed:
``number``, ``generation``, ``state``, ``pareto``, the objective values (``fitness``, or
``sharpe``, ``max_drawdown``, ``turnover``), ``params_<gene>``, ``attr_<key>``. Read here:
``run.json``, ``trials.parquet``, ``champion/metrics.json``, ``champion/config.json``
(optional), ``holdout/returns.parquet`` (long: date, strategy, gross, net, turnover, cost),
``holdout/held.parquet`` and ``holdout/weights.parquet`` (optional; long: date, strategy, one
weight column per asset), ``holdout/metrics.json``, the champion's
``trials/NNNNN/returns.parquet`` (optional; from the trial whose files it has: itself, or
the trial it is a clone of) and, for a champion or family champion of Model 2, its
``mix.parquet`` (optional: date, one weight column per strategy) with, for a family
champion, its ``families/<family>/returns.parquet``.

A missing run directory is a :class:`~evofolio.errors.UsageError`; a missing or malformed
file, key or column is a :class:`~evofolio.errors.DataError` naming the file. Extra keys and
columns are ignored. JSON nulls in numeric places read as nan.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evofolio.config import EvaluationConfig
from evofolio.config.budget import budget_record
from evofolio.errors import DataError, UsageError
from evofolio.run_layout import (
    CHAMPION_CONFIG,
    CHAMPION_METRICS,
    CHAMPION_MIX,
    FAMILIES_DIR,
    HOLDOUT_HELD,
    HOLDOUT_METRICS,
    HOLDOUT_RETURNS,
    HOLDOUT_WEIGHTS,
    MIX,
    PARETO,
    RUN_JSON,
    TRIALS_TABLE,
    trial_file,
)
from evofolio.search.engine.records import champion_source

__all__ = [
    "Champion",
    "Mix",
    "RunInfo",
    "RunRecord",
    "read_run_dir",
]

VERDICT_KEYS = (
    "verdict",
    "benchmark",
    "search_statistics",
    "holdout_tests",
    "seeds",
    "costs",
    "families",
    "fallbacks",
    "survivorship",
)
RETURN_COLUMNS = ("date", "strategy", "gross", "net", "turnover", "cost")
SIGNIFICANCE = float(EvaluationConfig.model_fields["significance"].default)
TRIAL_COLUMNS = ("number", "generation", "state", PARETO)


@dataclass(frozen=True)
class RunInfo:
    """``run.json``: what was run, on which data, under which trading assumptions."""

    version: str
    source: str
    market_source: str
    assets: tuple[str, ...]
    development: tuple[str, str]
    holdout: tuple[str, str]
    rebalance: str
    cost_bps: float
    vol_target: float | None
    seed: int
    search: dict[str, Any]
    started: str
    finished: str
    seconds: float
    strategies: dict[str, Any] = field(default_factory=dict)
    """The classic rules' ``window``, ``covariance`` (resolved) and ``covariance_setting``;
    empty for a run written before they were recorded."""
    budget: dict[str, Any] = field(default_factory=dict)
    """``run.json["budget"]``: the preset whose budget the run had (``quick``, ``default``,
    ..., ``custom``) and its numbers; for a run written before it was recorded, worked out
    from ``run.json["config"]``; empty without either."""
    significance: float = SIGNIFICANCE
    """The verdict's test level, ``evaluation.significance`` of the run's configuration."""

    @property
    def multi_objective(self) -> bool:
        return bool(self.search.get("multi_objective", False))


@dataclass(frozen=True)
class Champion:
    """``champion/metrics.json``: the selected genome and how it did."""

    trial: int
    family: str
    genome: dict[str, Any]
    fitness: float
    values: tuple[float, ...]
    holdout: dict[str, float]
    dsr: dict[str, float]
    pbo: dict[str, float] | None
    verdict: dict[str, Any] = field(default_factory=dict)
    """The verdict's sections as written (verdict, benchmark, search_statistics,
    holdout_tests, seeds, costs, families); empty for a run written before verdicts existed."""


@dataclass(frozen=True, eq=False)
class Mix:
    """A Model 2 champion's weights over its strategies at each holdout decision (``weights``:
    dates × strategies, from ``mix.parquet``) and its holdout net returns (``net``)."""

    who: str
    """``champion``, or the family of a family champion."""
    weights: pd.DataFrame
    net: pd.Series
    file: str


@dataclass(frozen=True, eq=False)
class RunRecord:
    """Everything the report needs from one run directory."""

    path: Path
    run: RunInfo
    trials: pd.DataFrame
    champion: Champion
    config: dict[str, Any] | None
    returns: pd.DataFrame
    held: pd.DataFrame
    metrics: dict[str, dict[str, float]]
    weights: pd.DataFrame | None = None
    validation: pd.Series | None = None
    validation_trial: int | None = None
    benchmark: str = "equal_weight"
    mixes: tuple[Mix, ...] = ()
    """Model 2's strategy mixes: the champion's (first) and each family champion's."""

    @property
    def strategies(self) -> list[str]:
        """Strategy names in the order they appear in the holdout returns."""
        return list(dict.fromkeys(self.returns["strategy"]))


def read_run_dir(run_dir: str | Path, benchmark: str | None = None) -> RunRecord:
    """Read and check every file of ``run_dir`` (see the module docstring).

    ``benchmark``: the classic strategy the tear sheet sets the champion against (a name in
    ``holdout/returns.parquet``); default: the run's own verdict benchmark, else
    ``equal_weight``. Optional files that are absent read as None.
    """
    path = Path(run_dir)
    if not path.is_dir():
        what = "is not a directory" if path.exists() else "not found"
        raise UsageError(f"run directory {what}: {path}")
    champion_meta = _json(path, CHAMPION_METRICS)
    returns = _parquet(path, HOLDOUT_RETURNS, RETURN_COLUMNS)
    returns["date"] = pd.to_datetime(returns["date"])
    held = _parquet(path, HOLDOUT_HELD, ("date", "strategy"))
    held["date"] = pd.to_datetime(held["date"])
    metrics = _json(path, HOLDOUT_METRICS)
    trials = _parquet(path, TRIALS_TABLE, TRIAL_COLUMNS)
    champion = _champion(champion_meta)
    weights = None
    if (path / HOLDOUT_WEIGHTS).is_file():
        weights = _parquet(path, HOLDOUT_WEIGHTS, ("date", "strategy"))
        weights["date"] = pd.to_datetime(weights["date"])
    source = champion_source(trials, champion.trial)
    validation = _validation_returns(path, source)
    return RunRecord(
        path=path,
        run=_run_info(_json(path, RUN_JSON)),
        trials=trials,
        champion=champion,
        config=_json(path, CHAMPION_CONFIG) if (path / CHAMPION_CONFIG).is_file() else None,
        returns=returns,
        held=held,
        metrics={
            str(name): _floats(values, HOLDOUT_METRICS)
            for name, values in _key(metrics, "metrics", HOLDOUT_METRICS).items()
        },
        weights=weights,
        validation=validation,
        validation_trial=None if validation is None else source,
        benchmark=benchmark or _verdict_benchmark(champion) or "equal_weight",
        mixes=_mixes(path, returns),
    )


def _mix_weights(root: Path, name: str) -> pd.DataFrame:
    frame = _parquet(root, name, ("date",))
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.set_index("date").sort_index().astype(float)


def _mixes(root: Path, returns: pd.DataFrame) -> tuple[Mix, ...]:
    """The champion's ``champion/mix.parquet`` with its holdout net returns, then each family
    champion's ``families/<family>/mix.parquet`` with its ``returns.parquet``."""
    out = []
    if (root / CHAMPION_MIX).is_file():
        rows = returns[returns["strategy"] == "champion"]
        net = pd.Series(rows["net"].to_numpy(dtype=float), index=rows["date"], name="net")
        out.append(Mix("champion", _mix_weights(root, CHAMPION_MIX), net, CHAMPION_MIX))
    families = root / FAMILIES_DIR
    for folder in sorted(families.iterdir()) if families.is_dir() else []:
        name = f"{FAMILIES_DIR}/{folder.name}/{MIX}"
        if not (root / name).is_file():
            continue
        own = _parquet(root, f"{FAMILIES_DIR}/{folder.name}/returns.parquet", ("date", "net"))
        net = pd.Series(
            own["net"].to_numpy(dtype=float), index=pd.to_datetime(own["date"]), name="net"
        )
        out.append(Mix(folder.name, _mix_weights(root, name), net, name))
    return tuple(out)


def _verdict_benchmark(champion: Champion) -> str | None:
    verdict = champion.verdict.get("verdict")
    return (
        str(verdict["benchmark"]) if isinstance(verdict, dict) and "benchmark" in verdict else None
    )


def _validation_returns(root: Path, trial: int) -> pd.Series | None:
    """Trial ``trial``'s validation net returns by date (None when its file is absent)."""
    name = trial_file(trial)
    if not (root / name).is_file():
        return None
    frame = _parquet(root, name, ("net",))
    if "date" in frame.columns:
        frame = frame.set_index("date")
    try:
        index = pd.DatetimeIndex(pd.to_datetime(frame.index), name="date")
    except (TypeError, ValueError) as error:
        raise DataError(f"{root / name}: the index must be dates: {error}") from None
    return pd.Series(frame["net"].to_numpy(dtype=float), index=index, name="net")


def _json(root: Path, name: str) -> dict[str, Any]:
    file = root / name
    if not file.is_file():
        raise DataError(f"run directory {root}: missing file {name} (written by evofolio run)")
    try:
        payload = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"cannot read {file}: {error}") from None
    if not isinstance(payload, dict):
        raise DataError(f"{file}: expected a JSON object, got {type(payload).__name__}")
    return payload


def _parquet(root: Path, name: str, required: tuple[str, ...]) -> pd.DataFrame:
    file = root / name
    if not file.is_file():
        raise DataError(f"run directory {root}: missing file {name} (written by evofolio run)")
    try:
        frame = pd.read_parquet(file)
    except Exception as error:  # pyarrow raises many types for a corrupt file
        raise DataError(f"cannot read {file}: {error}") from None
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise DataError(f"{file}: missing column(s) {', '.join(missing)}")
    return frame


def _key(mapping: dict[str, Any], key: str, name: str) -> Any:
    if key not in mapping:
        raise DataError(f"{name}: missing key '{key}'")
    return mapping[key]


def _float(value: Any) -> float:
    try:
        return math.nan if value is None else float(value)
    except (TypeError, ValueError):
        return math.nan


def _floats(values: Any, name: str) -> dict[str, float]:
    if not isinstance(values, dict):
        raise DataError(f"{name}: expected an object of metrics, got {type(values).__name__}")
    return {str(key): _float(value) for key, value in values.items()}


def _period(value: Any, key: str) -> tuple[str, str]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise DataError(f"{RUN_JSON}: '{key}' must be [first date, last date], got {value!r}")
    return str(value[0]), str(value[1])


def _run_info(raw: dict[str, Any]) -> RunInfo:
    vol_target = raw.get("vol_target")
    return RunInfo(
        version=str(raw.get("evofolio_version", "?")),
        source=str(_key(raw, "source", RUN_JSON)),
        market_source=str(raw.get("market_source", "")),
        assets=tuple(str(a) for a in raw.get("assets", [])),
        development=_period(_key(raw, "development", RUN_JSON), "development"),
        holdout=_period(_key(raw, "holdout", RUN_JSON), "holdout"),
        rebalance=str(raw.get("rebalance", "?")),
        cost_bps=_float(raw.get("cost_bps")),
        vol_target=None if vol_target is None else _float(vol_target),
        seed=int(raw.get("seed", 0)),
        search=dict(raw.get("search") or {}),
        started=str(raw.get("started", "")),
        finished=str(raw.get("finished", "")),
        seconds=_float(raw.get("seconds")),
        strategies=dict(raw.get("strategies") or {}),
        budget=_budget(raw),
        significance=_significance(raw.get("config")),
    )


def _budget(raw: dict[str, Any]) -> dict[str, Any]:
    """``budget`` as recorded, else worked out from the recorded configuration (a run written
    before the record existed), else empty."""
    recorded = raw.get("budget")
    if isinstance(recorded, dict):
        return dict(recorded)
    config = raw.get("config")
    return budget_record(config) if isinstance(config, dict) else {}


def _significance(config: Any) -> float:
    """``evaluation.significance`` of a dumped configuration, else its default."""
    evaluation = config.get("evaluation") if isinstance(config, dict) else None
    value = evaluation.get("significance") if isinstance(evaluation, dict) else None
    return SIGNIFICANCE if value is None else _float(value)


def _champion(raw: dict[str, Any]) -> Champion:
    name = CHAMPION_METRICS
    genome = _key(raw, "genome", name)
    if not isinstance(genome, dict):
        raise DataError(f"{name}: 'genome' must be an object of genes")
    pbo = raw.get("pbo")
    return Champion(
        trial=int(_key(raw, "trial", name)),
        family=str(raw.get("family", genome.get("family", "?"))),
        genome={str(k): v for k, v in genome.items()},
        fitness=_float(raw.get("fitness")),
        values=tuple(_float(v) for v in raw.get("values") or []),
        holdout=_floats(raw.get("holdout") or {}, name),
        dsr=_floats(_key(raw, "dsr", name), name),
        pbo=None if pbo is None else _floats(pbo, name),
        verdict={key: raw[key] for key in VERDICT_KEYS if key in raw},
    )
