"""The run directory's layout and the trials table's columns: one place, read and written.

``evofolio run`` / ``evolve`` (the search layer) write a run directory; ``evofolio report``
and ``allocate`` (the report and CLI layers) read it. Both take every name from here::

    run.json                 what was run: data, periods, rules, search budget, timings
    search.db                the Optuna storage (SQLite default; resumable)
    fingerprint.json         what the run was made from (data, periods, config); a run
                             directory refuses to resume on other data
    trials.parquet           one row per trial (columns: :data:`TRIAL_COLUMNS`, the
                             objective values, ``params_<gene>``, ``attr_<key>``)
    trials/NNNNN/            one trial: returns.parquet (validation ``net`` returns by
                             date), metrics.json (fitness, values, folds), model.pt
    champion/                config.json, metrics.json (the verdict), weights.parquet,
                             held.parquet, returns.parquet, fallbacks.parquet; and
                             mix.parquet when the champion blends strategies (Model 2):
                             its weights over them at each holdout decision
    champion/models/         the seed ensemble: ensemble.json and seed-<k>.pt
    holdout/                 returns.parquet, held.parquet, weights.parquet,
                             fallbacks.parquet, metrics.json: the champion and every
                             baseline over the holdout period
    families/<family>/       each family's champion (islands): config.json, models/ (its
                             seed ensemble), returns.parquet, held.parquet,
                             weights.parquet (and mix.parquet, as the champion's)
                             over the holdout; the comparison of the
                             families is champion/metrics.json["families"]
    report.html              the self-contained report
    search.lock              held (flock) by the search running here, with its pid, host
                             and start time; workers.lock: held by ``--worker-only``
                             workers (see :mod:`evofolio.runlock`)

Every name is relative to the run directory, with ``/`` separators, so error messages can
name the file as the user sees it in the directory.
"""

from __future__ import annotations

__all__ = [
    "CHAMPION_CONFIG",
    "CHAMPION_DIR",
    "CHAMPION_METRICS",
    "CHAMPION_MIX",
    "CHAMPION_MODELS",
    "FAMILIES_DIR",
    "FINGERPRINT",
    "HOLDOUT_DIR",
    "HOLDOUT_HELD",
    "HOLDOUT_METRICS",
    "HOLDOUT_RETURNS",
    "HOLDOUT_WEIGHTS",
    "MIX",
    "MODELS_DIR",
    "PARAM_PREFIX",
    "PARETO",
    "REPORT",
    "RUN_JSON",
    "SEARCH_DB",
    "SEARCH_LOCK",
    "TRIALS_DIR",
    "TRIALS_TABLE",
    "TRIAL_COLUMNS",
    "TRIAL_METRICS",
    "TRIAL_MODEL",
    "TRIAL_RETURNS",
    "WORKERS_LOCK",
    "trial_dir",
    "trial_file",
]

RUN_JSON = "run.json"
SEARCH_DB = "search.db"
SEARCH_LOCK = "search.lock"
WORKERS_LOCK = "workers.lock"
FINGERPRINT = "fingerprint.json"
TRIALS_TABLE = "trials.parquet"
TRIALS_DIR = "trials"
TRIAL_RETURNS = "returns.parquet"
TRIAL_METRICS = "metrics.json"
TRIAL_MODEL = "model.pt"
CHAMPION_DIR = "champion"
MODELS_DIR = "models"
CHAMPION_MODELS = f"{CHAMPION_DIR}/{MODELS_DIR}"
CHAMPION_CONFIG = f"{CHAMPION_DIR}/config.json"
CHAMPION_METRICS = f"{CHAMPION_DIR}/metrics.json"
MIX = "mix.parquet"
"""Model 2's weights over its strategies at each holdout decision (date, one column per
strategy), in ``champion/`` and ``families/<family>/``; absent for the other families."""
CHAMPION_MIX = f"{CHAMPION_DIR}/{MIX}"
FAMILIES_DIR = "families"
HOLDOUT_DIR = "holdout"
HOLDOUT_RETURNS = f"{HOLDOUT_DIR}/returns.parquet"
HOLDOUT_HELD = f"{HOLDOUT_DIR}/held.parquet"
HOLDOUT_WEIGHTS = f"{HOLDOUT_DIR}/weights.parquet"
HOLDOUT_METRICS = f"{HOLDOUT_DIR}/metrics.json"
REPORT = "report.html"
ALLOCATION = "allocation.json"

# The trials table (trials.parquet), as the search writes it and the report reads it.
PARAM_PREFIX = "params_"
"""``params_<gene>``: one column per gene (Optuna's spelling)."""
PARETO = "pareto"
"""Boolean: the trial is on the study's best front (Optuna's ``study.best_trials``: the
Pareto front in multi-objective mode, the best trial in single-objective mode)."""
TRIAL_COLUMNS = (
    "number",
    "generation",
    "state",
    PARETO,
    "duration_s",
    "datetime_start",
    "datetime_complete",
    "failure",
    "error",
    "retry_of",
    "duplicate_of",
    "worker",
)
"""The columns every trials table has, before the objective values (``fitness``, or
``sharpe``, ``max_drawdown``, ``turnover``), the genes and the evaluator's attributes."""


def trial_dir(number: int) -> str:
    """``trials/NNNNN``: trial ``number``'s own files (5 digits, zero-padded)."""
    return f"{TRIALS_DIR}/{int(number):05d}"


def trial_file(number: int, name: str = TRIAL_RETURNS) -> str:
    """``trials/NNNNN/<name>``, e.g. the trial's validation returns."""
    return f"{trial_dir(number)}/{name}"
