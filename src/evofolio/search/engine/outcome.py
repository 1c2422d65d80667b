"""Telling a trial's result to the study: values checked, attributes stored, failures kept.

A trial's objective values must be finite and as many as the study's directions; anything
else (a NaN from a diverged training, a wrong count) fails the trial with a message. The
evaluator's attributes are stored as Optuna user attributes after numpy values are turned
into plain numbers and lists (:func:`evofolio.outdir.plain`: NaN is stored as null).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import FrozenTrial, TrialState

from evofolio.outdir import plain
from evofolio.search.engine.evaluator import TrialOutcome
from evofolio.search.engine.storage import quiet_optuna
from evofolio.search.engine.trial_record import ERROR_ATTR, FAILURE_ATTR

__all__ = ["RELEASED", "RELEASED_GENERATION", "failure_message", "finish_trial"]

logger = logging.getLogger(__name__)

RELEASED = "not evaluated: the search reached its target while this trial waited"
RELEASED_GENERATION = "not evaluated: its generation reached its population while this trial waited"
MAX_ERROR_CHARS = 2000


def failure_message(error: BaseException) -> str:
    """``Type: message``, shortened to :data:`MAX_ERROR_CHARS`."""
    return f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS]


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
                    trial.set_user_attr(str(key), plain(value))
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
