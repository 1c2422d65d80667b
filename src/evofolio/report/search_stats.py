"""Summaries of ``trials.parquet`` for the report: scores, generations, states, features.

Pandas/numpy plus the family registry (which families read the feature genes), on the
columns :mod:`evofolio.search.engine.records` writes (the Pareto front is its ``pareto`` column,
from Optuna). A trial's *score* is its fitness (mean fold Sharpe − λ · std); in
multi-objective mode, where there is no scalar fitness, it is the first objective,
``sharpe`` (the validation Sharpe ratio). Only ``COMPLETE`` trials have scores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evofolio.allocators.registry import FAMILIES
from evofolio.run_layout import PARAM_PREFIX
from evofolio.search.space import reads

__all__ = [
    "COMPLETE",
    "FEATURE_PREFIX",
    "FinalPopulation",
    "completed",
    "error_counts",
    "feature_frequency",
    "generation_summary",
    "score_label",
    "state_counts",
]

COMPLETE = "COMPLETE"
FAMILY = PARAM_PREFIX + "family"
FEATURE_PREFIX = PARAM_PREFIX + "feature_"
SHARPE = "sharpe"
STATE_ORDER = ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")


def _column(trials: pd.DataFrame, name: str) -> pd.Series:
    if name not in trials.columns:
        return pd.Series(math.nan, index=trials.index, dtype=float)
    return pd.to_numeric(trials[name], errors="coerce").astype(float)


def _uses_fitness(trials: pd.DataFrame) -> bool:
    fitness = _column(trials[trials["state"] == COMPLETE], "fitness")
    return bool(np.isfinite(fitness).any())


def score_label(trials: pd.DataFrame) -> str:
    """What the score of :func:`completed` is, for axis titles."""
    if _uses_fitness(trials):
        return "fitness (mean fold Sharpe − λ·std)"
    return "validation Sharpe ratio"


def completed(trials: pd.DataFrame) -> pd.DataFrame:
    """Completed trials with a finite ``score`` column, in trial order."""
    done = trials[trials["state"] == COMPLETE].copy()
    done["score"] = _column(done, "fitness" if _uses_fitness(trials) else SHARPE)
    done = done[np.isfinite(done["score"])]
    return done.sort_values("number")


def generation_summary(trials: pd.DataFrame) -> pd.DataFrame:
    """Per generation of completed trials: ``best``, ``median`` score and ``count``."""
    done = completed(trials)
    grouped = done.groupby("generation")["score"]
    return pd.DataFrame(
        {"best": grouped.max(), "median": grouped.median(), "count": grouped.size()}
    ).sort_index()


EVALUATED = ("COMPLETE", "PRUNED")
"""The states of a trial that was evaluated on validation data (what the search spent)."""


def efficiency_curves(trials: pd.DataFrame) -> dict[str, pd.Series]:
    """The search's efficiency curves: for all the trials and for each family, the best
    score so far (index: how many trials of it were evaluated so far, pruned ones included,
    in trial order; a step before the first completed trial is NaN).

    Raises nothing for an empty table: no curve then."""
    scores = completed(trials).set_index("number")["score"]
    evaluated = trials[trials["state"].astype(str).isin(EVALUATED)].sort_values("number")
    groups: list[tuple[str, pd.DataFrame]] = [("all trials", evaluated)]
    if FAMILY in evaluated.columns and evaluated[FAMILY].nunique() > 1:
        groups += [(str(name), part) for name, part in evaluated.groupby(FAMILY, sort=True)]
    curves = {}
    for name, part in groups:
        if part.empty:
            continue
        best = part["number"].map(scores).astype(float).cummax().ffill()
        curves[name] = pd.Series(best.to_numpy(), index=np.arange(1, len(part) + 1), name=name)
    return curves


def state_counts(trials: pd.DataFrame) -> pd.DataFrame:
    """Trials per generation (rows) and state (columns, in :data:`STATE_ORDER` first)."""
    counts = pd.crosstab(trials["generation"], trials["state"].astype(str))
    order = [s for s in STATE_ORDER if s in counts.columns]
    return counts[order + sorted(set(counts.columns) - set(order))]


def error_counts(trials: pd.DataFrame, limit: int = 5) -> list[tuple[str, int]]:
    """The most frequent error messages of failed trials (first line, shortened)."""
    if "error" not in trials.columns:
        return []
    failed = trials[trials["state"] == "FAIL"]["error"].dropna().astype(str)
    first_lines = failed.map(lambda text: (text.strip().splitlines() or [""])[0][:160])
    counts = first_lines[first_lines != ""].value_counts()
    return [(str(message), int(n)) for message, n in counts.head(limit).items()]


@dataclass(frozen=True)
class FinalPopulation:
    """How often each feature is on in the last generation's completed genomes."""

    generation: int
    size: int
    family_only: bool
    shares: pd.Series


def feature_frequency(trials: pd.DataFrame) -> FinalPopulation | None:
    """Feature shares in the last generation with completed trials, or ``None``.

    Only genomes of the families that read the features (Model 1, ``asset_attention``) use
    them, so when the final population holds any, the shares are over those (``family_only``).
    """
    done = completed(trials)
    columns = [c for c in trials.columns if c.startswith(FEATURE_PREFIX)]
    if done.empty or not columns:
        return None
    last = int(done["generation"].max())
    final = done[done["generation"] == last]
    family = final.get(FAMILY)
    readers = [name for name in FAMILIES if reads(name, "feature_")]
    family_only = family is not None and bool(family.isin(readers).any())
    if family_only:
        final = final[final[FAMILY].isin(readers)]
    on = final[columns].astype("boolean").fillna(False).astype(bool)
    shares = on.mean().rename(lambda c: c[len(FEATURE_PREFIX) :])
    return FinalPopulation(last, len(final), family_only, shares.sort_values(ascending=True))


def trial_counts(trials: pd.DataFrame) -> dict[str, int]:
    """The study's trials, counted once and split into what each count means.

    ``tried``: the configurations tried on validation data, the deflated Sharpe ratio's N
    (completed with their own returns + pruned); ``spent``: what the budget counts (complete,
    clones included, + pruned); ``own``, ``clones`` (completed trials that reused a twin's
    outcome, ``duplicate_of``), ``pruned``, ``failed`` (the evaluation raised), ``lost``
    (failed without being evaluated: worker stopped, interrupted, released, stale),
    ``other`` (running or waiting) and ``total`` (every trial of the study).
    """
    state = trials["state"].astype(str)
    complete = state == COMPLETE
    twin = trials["duplicate_of"] if "duplicate_of" in trials else pd.Series(np.nan, trials.index)
    clones = int((complete & twin.notna()).sum())
    failure = trials["failure"] if "failure" in trials else pd.Series(None, trials.index)
    failed_state = state == "FAIL"
    failed = int((failed_state & (failure == "error")).sum())
    own = int(complete.sum()) - clones
    pruned = int((state == "PRUNED").sum())
    lost = int(failed_state.sum()) - failed
    return {
        "tried": own + pruned,
        "spent": int(complete.sum()) + pruned,
        "own": own,
        "clones": clones,
        "pruned": pruned,
        "failed": failed,
        "lost": lost,
        "other": len(trials) - int(complete.sum()) - pruned - int(failed_state.sum()),
        "total": len(trials),
    }


def trial_count_sentence(trials: pd.DataFrame) -> str:
    """One sentence giving the one trial count the report uses, N, and its parts."""
    c = trial_counts(trials)
    parts = [
        f"N = {c['tried']} configurations tried on validation data ({c['own']} completed + "
        f"{c['pruned']} pruned): the N of the deflated Sharpe ratio and the PBO"
    ]
    if c["clones"]:
        parts.append(
            f"{c['clones']} more completed trials were clones of an earlier genome and reused its "
            "outcome, so they count toward the budget but not again in N"
        )
    if c["failed"]:
        parts.append(f"{c['failed']} failed while evaluated (an error, not a score)")
    if c["lost"]:
        parts.append(
            f"{c['lost']} were never evaluated (a worker stopped or the target was reached; "
            "their genomes were re-queued)"
        )
    if c["other"]:
        parts.append(f"{c['other']} were still running or waiting")
    return "; ".join(parts) + f". The study holds {c['total']} trials in all."
