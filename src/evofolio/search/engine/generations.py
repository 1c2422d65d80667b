"""Generations that stay generations when many processes share one NSGA-II study.

Optuna's NSGA-II puts a new trial in generation *g* while *g* has fewer than ``population``
completed trials, and in *g + 1* once it has them. With W processes asking at once, *g*
collects up to ``population - 1 + W`` trials and the parents of *g + 1* are whichever
finished first. With ``search.sync_generations`` a process asks for a new trial only while
the open generation's completed plus running trials stay below the population; otherwise it
waits (failing the trials of dead workers meanwhile) until the generation is complete, or
one of its trials fails and leaves room, or a re-queued genome is waiting to be taken.
"""

from __future__ import annotations

from collections.abc import Sequence

from optuna.trial import FrozenTrial, TrialState

from evofolio.search.engine.progress import generation_of

__all__ = ["generation_barrier", "open_generation"]


def open_generation(trials: Sequence[FrozenTrial], population: int) -> int:
    """The generation Optuna's NSGA-II gives the next new trial (its
    ``get_trial_generation`` rule): the highest generation of a completed trial, or the one
    after it once it holds ``population`` completed trials."""
    done = [generation_of(t) for t in trials if t.state == TrialState.COMPLETE]
    numbers = [g for g in done if g is not None]
    if not numbers:
        return 0
    top = max(numbers)
    return top + 1 if numbers.count(top) >= population else top


def generation_barrier(trials: Sequence[FrozenTrial], population: int) -> int | None:
    """The generation a process must wait for before asking a new trial, or None to go on.

    None when a queued genome waits (a re-queued trial keeps its generation) or when the open
    generation's completed + running trials are fewer than ``population``. Running trials
    not yet sampled (no generation yet) count towards the open generation.
    """
    if any(t.state == TrialState.WAITING for t in trials):
        return None
    current = open_generation(trials, population)
    taken = sum(
        1
        for t in trials
        if (t.state == TrialState.COMPLETE and generation_of(t) == current)
        or (t.state == TrialState.RUNNING and generation_of(t) in (current, None))
    )
    return current if taken >= population else None
