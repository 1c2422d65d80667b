"""Telling a trial's result to the study: values checked, attributes stored, failures kept.

A trial's objective values must be finite and as many as the study's directions; anything
else (a NaN from a diverged training, a wrong count) fails the trial with a message. The
evaluator's attributes are stored as Optuna user attributes after numpy values are turned
into plain numbers and lists.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import FrozenTrial, TrialState

from evofolio.search.evaluator import TrialOutcome
from evofolio.search.progress import ERROR_ATTR, FAILURE_ATTR
from evofolio.search.storage import quiet_optuna

__all__ = ["RELEASED", "failure_message", "finish_trial", "jsonable"]

logger = logging.getLogger(__name__)

RELEASED = "not evaluated: the search reached its target while this trial waited"
MAX_ERROR_CHARS = 2000


def failure_message(error: BaseException) -> str:
    """``Type: message``, shortened to :data:`MAX_ERROR_CHARS`."""
    return f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS]


def jsonable(value: Any) -> Any:
    """``value`` with numpy scalars/arrays, tuples, paths and mappings made JSON-friendly."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if hasattr(value, "tolist"):  # pandas objects
        return jsonable(value.tolist())
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return str(value)
    return value


def _checked(values: Sequence[float], n_objectives: int) -> list[float]:
    numbers = [float(value) for value in values]
    if len(numbers) != n_objectives:
        raise ValueError(f"evaluator returned {len(numbers)} values, expected {n_objectives}")
    if not all(math.isfinite(value) for value in numbers):
        raise ValueError(f"objective values are not finite {numbers} (training diverged?)")
    return numbers


def finish_trial(
    study: optuna.Study,
    trial: optuna.Trial,
    *,
    outcome: TrialOutcome | None = None,
    state: TrialState | None = None,
    failure: str | None = None,
    error: str | None = None,
) -> FrozenTrial | None:
    """Tell ``trial``'s result; ``None`` if another process already failed it as stale.

    Give ``outcome`` (complete), ``state=PRUNED``, or ``failure`` (``"error"``,
    ``"interrupted"`` or ``"released"``) with an ``error`` message (failed).
    """
    values: list[float] | None = None
    try:
        if outcome is not None:
            try:
                values = _checked(outcome.values, len(study.directions))
                for key, value in outcome.attrs.items():
                    trial.set_user_attr(str(key), jsonable(value))
            except (TypeError, ValueError) as problem:  # not UpdateFinishedTrialError
                values, failure, error = None, "error", failure_message(problem)
                logger.warning("trial %d failed: %s", trial.number, error)
        if failure is not None:
            trial.set_user_attr(FAILURE_ATTR, failure)
            trial.set_user_attr(ERROR_ATTR, error)
            state = TrialState.FAIL
        expected = TrialState.COMPLETE if values is not None else state
        with quiet_optuna():
            told = study.tell(trial, values, state=state, skip_if_finished=True)
        if told.state == expected:
            return told
    except UpdateFinishedTrialError:
        pass
    logger.warning(
        "trial %d was failed by another process (no heartbeat) before it finished; "
        "its genome was re-queued",
        trial.number,
    )
    return None
