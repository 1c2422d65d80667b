"""Optuna studies rebuilt in memory from ``trials.parquet``, for Optuna's own plots.

The run directory's table is the record of the search wherever its Optuna storage lives
(SQLite beside it, or a PostgreSQL server the report cannot reach), so the report rebuilds
what Optuna's visualisations need from it: :func:`family_study` (one model family's
completed trials, with only the genes that family reads, for
``optuna.visualization.plot_param_importances``) and :func:`timeline_study` (every trial
with its state and times, for ``optuna.visualization.plot_timeline``).

Which genes a family reads comes from the gene table (:func:`evofolio.search.space.reads`,
which :func:`evofolio.search.space.decode` follows too). The ``family`` gene itself is
constant within a family, and so is any gene pinned in ``[search.space.fixed]``: such
genes are left out too.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState

from evofolio.allocators.registry import FAMILIES
from evofolio.config.genes import GENES
from evofolio.report.search_stats import completed
from evofolio.run_layout import PARAM_PREFIX
from evofolio.search.space import reads

__all__ = [
    "LOG_GENES",
    "MIN_IMPORTANCE_TRIALS",
    "family_genes",
    "family_study",
    "timeline_study",
]

PARAM = PARAM_PREFIX
FAMILY = PARAM + "family"
LOG_GENES = frozenset(name for name, gene in GENES.items() if gene.log)
# PED-ANOVA (Optuna's default) compares the best 10 % of trials with all of them: below
# 10 trials that top is a single trial and the importances mean nothing.
MIN_IMPORTANCE_TRIALS = 10
STORAGE_LOGGER = "optuna.storages._in_memory"
STATES = {state.name: state for state in TrialState}


def _ignored(gene: str, family: str) -> bool:
    return gene == "family" or (family in FAMILIES and not reads(family, gene))


def family_genes(trials: pd.DataFrame, family: str) -> list[str]:
    """The genes ``family`` reads that vary across its completed trials, in table order."""
    done = completed(trials)
    if FAMILY in done.columns:
        done = done[done[FAMILY].astype(str) == family]
    genes = []
    for column in done.columns:
        gene = column.removeprefix(PARAM)
        values = done[column]
        if (
            column.startswith(PARAM)
            and not _ignored(gene, family)
            and values.notna().all()
            and values.nunique() > 1
        ):
            genes.append(gene)
    return genes


def _python(value: Any) -> Any:
    """A numpy scalar as the plain Python value Optuna stores."""
    return value.item() if isinstance(value, np.generic) else value


def _distribution(gene: str, values: pd.Series) -> BaseDistribution:
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return CategoricalDistribution(sorted({_python(v) for v in values}, key=str))
    low, high = _python(values.min()), _python(values.max())
    if pd.api.types.is_integer_dtype(values):
        return IntDistribution(int(low), int(high), log=gene in LOG_GENES and low > 0)
    return FloatDistribution(float(low), float(high), log=gene in LOG_GENES and low > 0)


def _time(value: Any, fallback: dt.datetime) -> dt.datetime:
    stamp = pd.Timestamp(value) if value is not None and not pd.isna(value) else None
    return fallback if stamp is None else stamp.floor("us").to_pydatetime()


def _frozen(number: int, state: TrialState, value: float | None, **fields: Any) -> FrozenTrial:
    epoch = dt.datetime(1970, 1, 1)
    start = _time(fields.pop("start", None), epoch)
    return FrozenTrial(
        number=number,
        state=state,
        value=value,
        datetime_start=start,
        datetime_complete=None
        if state == TrialState.RUNNING
        else _time(fields.pop("complete", None), start),
        params=fields.get("params", {}),
        distributions=fields.get("distributions", {}),
        user_attrs={},
        system_attrs={},
        intermediate_values={},
        trial_id=number,
    )


def _memory_study(name: str) -> optuna.Study:
    """An empty in-memory study, maximised, without Optuna's "study created" log line."""
    storage = optuna.storages.InMemoryStorage()
    chatty = logging.getLogger(STORAGE_LOGGER)
    level = chatty.level
    chatty.setLevel(logging.WARNING)
    try:
        storage.create_new_study([StudyDirection.MAXIMIZE], study_name=name)
    finally:
        chatty.setLevel(level)
    return optuna.Study(study_name=name, storage=storage)


def family_study(trials: pd.DataFrame, family: str) -> tuple[optuna.Study, list[str]]:
    """An in-memory study of ``family``'s completed trials and the genes it reads.

    Each trial's value is its score (:func:`evofolio.report.search_stats.completed`: the
    fitness, or the validation Sharpe ratio in multi-objective mode), maximised; its params
    are the genes of :func:`family_genes`, with distributions spanning the values seen.
    """
    genes = family_genes(trials, family)
    done = completed(trials)
    if FAMILY in done.columns:
        done = done[done[FAMILY].astype(str) == family]
    distributions = {gene: _distribution(gene, done[PARAM + gene]) for gene in genes}
    study = _memory_study(f"family-{family}")
    for _, row in done.iterrows():
        params = {gene: _python(row[PARAM + gene]) for gene in genes}
        study.add_trial(
            _frozen(
                int(row["number"]),
                TrialState.COMPLETE,
                float(row["score"]),
                start=row.get("datetime_start"),
                complete=row.get("datetime_complete"),
                params=params,
                distributions=distributions,
            )
        )
    return study, genes


def timeline_study(trials: pd.DataFrame) -> optuna.Study | None:
    """Every trial with a start time, its state, times and score, in an in-memory study
    (no params). A COMPLETE trial without a finite score is shown as failed. None when the
    table has no ``datetime_start`` column or no start time."""
    if "datetime_start" not in trials.columns or trials["datetime_start"].isna().all():
        return None
    scores = completed(trials).set_index("number")["score"]
    study = _memory_study("timeline")
    for _, row in trials.sort_values("number").iterrows():
        if pd.isna(row["datetime_start"]):
            continue
        state = STATES.get(str(row["state"]).upper(), TrialState.FAIL)
        value = float(scores.get(row["number"], math.nan))
        if state == TrialState.COMPLETE and not math.isfinite(value):
            state = TrialState.FAIL  # a completed trial without a score counts as failed
        score = value if state == TrialState.COMPLETE else None
        study.add_trial(
            _frozen(
                int(row["number"]),
                state,
                score,
                start=row["datetime_start"],
                complete=row.get("datetime_complete"),
            )
        )
    return study
