"""The search's table of trials: one row per trial, written as ``trials.parquet``.

This is the one schema of the trials table: the report reads these columns as written.
Columns: ``number``, ``generation``, ``state`` (COMPLETE, PRUNED, FAIL, RUNNING, WAITING),
``pareto`` (on the study's best front, from Optuna's ``study.best_trials``: the Pareto front
of the completed trials in multi-objective mode, the best trial in single-objective mode),
the objective values (one column per name the plan gives: ``fitness``, or ``sharpe``,
``max_drawdown``, ``turnover`` for the portfolio search),
``duration_s``, ``datetime_start``, ``datetime_complete``, ``failure`` (error, interrupted,
released, stale), ``error`` (the message), ``retry_of`` (the trial whose genome this one
re-runs), ``duplicate_of`` (the completed trial whose outcome a clone of its genome reused;
its files are there), ``worker`` (host:pid), one ``params_<gene>`` column per gene and one
``attr_<key>`` column per evaluator attribute (fold metrics, ...).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
from optuna.trial import FrozenTrial, TrialState

from evofolio.outdir import write_parquet
from evofolio.run_layout import PARAM_PREFIX, PARETO, TRIAL_COLUMNS
from evofolio.search.engine.trial_record import (
    DUPLICATE_ATTR,
    ERROR_ATTR,
    FAILURE_ATTR,
    PROGRESS_ATTR,
    WORKER_ATTR,
    generation_of,
)

__all__ = ["STALE", "best_numbers", "champion_source", "trials_frame", "write_trials"]

STALE = "its worker stopped sending heartbeats (killed?); the genome was re-queued"
_OWN_ATTRS = {ERROR_ATTR, FAILURE_ATTR, DUPLICATE_ATTR, WORKER_ATTR, PROGRESS_ATTR}


def _cell(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict) else value


def _row(trial: FrozenTrial, names: Sequence[str], front: set[int]) -> dict[str, Any]:
    failure = trial.user_attrs.get(FAILURE_ATTR)
    error = trial.user_attrs.get(ERROR_ATTR)
    if trial.state == TrialState.FAIL and failure is None:
        failure, error = "stale", STALE
    start, end = trial.datetime_start, trial.datetime_complete
    row: dict[str, Any] = {
        "number": trial.number,
        "generation": generation_of(trial),
        "state": trial.state.name,
        PARETO: trial.number in front,
        "duration_s": (end - start).total_seconds() if start and end else None,
        "datetime_start": start,
        "datetime_complete": end,
        "failure": failure if trial.state == TrialState.FAIL else None,
        "error": error if trial.state == TrialState.FAIL else None,
        "retry_of": trial.system_attrs.get("failed_trial"),
        "duplicate_of": trial.user_attrs.get(DUPLICATE_ATTR),
        "worker": trial.user_attrs.get(WORKER_ATTR),
    }
    values = trial.values if trial.state == TrialState.COMPLETE else None
    for index, name in enumerate(names):
        row[name] = values[index] if values else None
    row.update({f"{PARAM_PREFIX}{key}": value for key, value in trial.params.items()})
    row.update(
        {f"attr_{key}": _cell(v) for key, v in trial.user_attrs.items() if key not in _OWN_ATTRS}
    )
    return row


def trials_frame(study: optuna.Study, objectives: Sequence[str]) -> pd.DataFrame:
    """One row per trial of ``study`` (see the module docstring for the columns), the values
    in columns named ``objectives`` (one per direction of the study, in order)."""
    names = list(objectives)
    if len(names) != len(study.directions):
        raise ValueError(f"{len(names)} objective names for {len(study.directions)} directions")
    trials = study.get_trials(deepcopy=False)
    front = best_numbers(study) if any(t.state == TrialState.COMPLETE for t in trials) else set()
    rows = [_row(trial, names, front) for trial in trials]
    frame = pd.DataFrame(rows, columns=None if rows else [*TRIAL_COLUMNS, *names])
    for column in ("generation", "retry_of", "duplicate_of"):
        frame[column] = frame[column].astype("Int64")
    return frame


def best_numbers(study: optuna.Study) -> set[int]:
    """The numbers of Optuna's ``study.best_trials`` (the Pareto front of the completed
    trials; in single-objective mode the best one). The study needs a completed trial."""
    return {trial.number for trial in study.best_trials}


def write_trials(study: optuna.Study, path: str | Path, objectives: Sequence[str]) -> Path:
    """Write :func:`trials_frame` to ``path`` (parquet), replacing it atomically."""
    path = Path(path)
    frame = trials_frame(study, objectives)
    write_parquet(path, frame, index=False)
    return path


def champion_source(trials: pd.DataFrame, number: int) -> int:
    """The trial whose files (``trials/NNNNN/``) hold trial ``number``'s returns: itself, or
    the completed trial it is a clone of (``duplicate_of``)."""
    rows = trials.loc[trials["number"] == number]
    if rows.empty or "duplicate_of" not in trials.columns:
        return number
    original = rows["duplicate_of"].iloc[0]
    return number if original is None or pd.isna(original) else int(original)
