"""Optuna studies made by hand (in memory), so the real trials-table writer can be tested
on trials whose values, states and genes a test chooses (importable from any test module)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution
from optuna.trial import TrialState, create_trial

from evofolio.search.engine.trial_record import ERROR_ATTR, FAILURE_ATTR, GENERATION_KEY

Direction = Literal["maximize", "minimize"]
MULTI: tuple[Direction, ...] = ("maximize", "minimize", "minimize")


@dataclass(frozen=True)
class Hand:
    """One trial: its generation, values (``None`` unless COMPLETE), state and genes."""

    generation: int
    values: Sequence[float] | None
    state: TrialState = TrialState.COMPLETE
    params: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def _distribution(value: Any) -> BaseDistribution:
    if isinstance(value, bool | str):
        return CategoricalDistribution([False, True] if isinstance(value, bool) else [value])
    return FloatDistribution(-1e9, 1e9)


def hand_study(
    trials: Sequence[Hand], directions: Sequence[Direction] = ("maximize",)
) -> optuna.Study:
    """An in-memory study holding ``trials`` in order (numbers 0, 1, ...)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(directions=list(directions))
    for hand in trials:
        state = hand.state
        attrs = {} if hand.error is None else {FAILURE_ATTR: "error", ERROR_ATTR: hand.error}
        study.add_trial(
            create_trial(
                state=state,
                values=list(hand.values) if state == TrialState.COMPLETE and hand.values else None,
                params=hand.params,
                distributions={k: _distribution(v) for k, v in hand.params.items()},
                system_attrs={GENERATION_KEY: hand.generation},
                user_attrs=attrs,
            )
        )
    return study
