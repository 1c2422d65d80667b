"""A run directory belongs to one search: the fingerprint of what it was made from.

Running the same command again resumes a search; running it on other data, another
development/holdout split, another search space or other fitness settings must not: the
old trials would decide the new champion. The fingerprint groups everything a trial's
result depends on. It is written to ``run_dir/fingerprint.json`` and to the study's user
attributes (so machines sharing one database agree too) when a search starts, and compared
on every later start: any difference is an error that names the groups that differ and how
to start fresh, raised before anything is written.

Budget settings (population, generations, jobs, storage) and the evaluation settings are not
part of it: raising the budget of a finished search resumes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import optuna
import pandas as pd

from evofolio.backtesting import Periods
from evofolio.config import RunConfig
from evofolio.data import MarketData
from evofolio.errors import UsageError
from evofolio.outdir import write_json
from evofolio.run_layout import FINGERPRINT

__all__ = [
    "FINGERPRINT_ATTR",
    "FINGERPRINT_FILE",
    "RunDirMismatchError",
    "check_fingerprint",
    "fingerprint",
    "record_fingerprint",
]

FINGERPRINT_FILE = FINGERPRINT
FINGERPRINT_ATTR = "evofolio_fingerprint"


class RunDirMismatchError(UsageError):
    """The run directory (or study) was made from other inputs than this run's."""


def _hash(frame: pd.DataFrame | pd.Series) -> str:
    digest = hashlib.sha256()
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    if isinstance(frame, pd.DataFrame):
        digest.update("\x1f".join(map(str, frame.columns)).encode())
    return digest.hexdigest()[:16]


def fingerprint(config: RunConfig, data: MarketData, periods: Periods) -> dict[str, Any]:
    """What a search's trials depend on, in named groups of JSON data."""
    prices = data.prices
    search = config.search
    space = config.search.space.model_dump(mode="json")
    return {
        "data": {
            "assets": [str(a) for a in prices.columns],
            "dates": [f"{prices.index[0]:%Y-%m-%d}", f"{prices.index[-1]:%Y-%m-%d}", len(prices)],
            "prices_sha256": _hash(prices),
            "market_sha256": _hash(data.market),
        },
        "split": {"holdout_start": f"{periods.holdout_start:%Y-%m-%d}"},
        "search space": {
            "space": space,
            "families": list(search.families),
            "sampler": search.sampler,
            "islands": search.islands,
            "family_budget": dict(search.family_budget),
            "model": config.model.model_dump(mode="json"),
            "strategies": config.strategies.model_dump(mode="json"),
        },
        "fitness": {
            "folds": search.folds,
            "min_test_days": search.min_test_days,
            "fold_lambda": search.fold_lambda,
            "multi_objective": search.multi_objective,
            "prune": search.prune,
            "prune_percentile": search.prune_percentile,
            "fit_gflop": search.fit_gflop,
            "fit_seconds": search.fit_seconds,
            "purge_days": config.walk_forward.purge_days,
            "trading rules": config.backtest.model_dump(mode="json"),
            "training": config.training.model_dump(mode="json", exclude={"threads", "device"}),
            "seed": config.seed,
        },
    }


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _shown(key: str, before: Any, after: Any) -> str:
    """``key``, with its old and new values when both are short."""
    a, b = _canonical(before), _canonical(after)
    return f"{key} {a} -> {b}" if len(a) + len(b) <= 60 else key


def _differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    out = []
    for group in sorted(set(old) | set(new)):
        before, after = old.get(group), new.get(group)
        if _canonical(before) == _canonical(after):
            continue
        if isinstance(before, Mapping) and isinstance(after, Mapping):
            keys = sorted(_leaves(before, after, ""))
            out.append(f"{group} ({', '.join(keys)})")
        else:
            out.append(group)
    return out


def _leaves(before: Mapping[str, Any], after: Mapping[str, Any], prefix: str) -> list[str]:
    """Every differing key, down to the leaves of nested tables (``training.epochs 6 -> 2``),
    each with its values when they are short."""
    found = []
    for key in set(before) | set(after):
        a, b = before.get(key), after.get(key)
        if _canonical(a) == _canonical(b):
            continue
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            found.extend(_leaves(a, b, f"{prefix}{key}."))
        else:
            found.append(_shown(f"{prefix}{key}", a, b))
    return found


def _refuse(where: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    differs = _differences(old, new)
    if differs:
        raise RunDirMismatchError(
            f"{where} was made from other inputs: {'; '.join(differs)} differ. Its trials "
            "would decide this run's champion: give another --out (and, with a shared "
            "--storage, another --study) to start fresh, or the original inputs to resume"
        )


def check_fingerprint(
    run_dir: Path, new: Mapping[str, Any], study: optuna.Study | None = None
) -> None:
    """Raise :class:`RunDirMismatchError` if ``run_dir`` or ``study`` remembers another
    fingerprint than ``new``; a directory or study without one is new and passes."""
    path = Path(run_dir) / FINGERPRINT_FILE
    if path.is_file():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise UsageError(f"{path}: not valid JSON ({error}): not a run directory?") from None
        _refuse(f"run directory {run_dir}", old, json.loads(_canonical(new)))
    if study is not None and FINGERPRINT_ATTR in study.user_attrs:
        _refuse(
            f"study '{study.study_name}'",
            study.user_attrs[FINGERPRINT_ATTR],
            json.loads(_canonical(new)),
        )


def record_fingerprint(run_dir: Path, new: Mapping[str, Any], study: optuna.Study) -> None:
    """Remember ``new`` in ``run_dir`` and in ``study`` where they have none yet."""
    plain = json.loads(_canonical(new))
    path = Path(run_dir) / FINGERPRINT_FILE
    if not path.is_file():
        write_json(path, plain)
    if FINGERPRINT_ATTR not in study.user_attrs:
        study.set_user_attr(FINGERPRINT_ATTR, plain)
