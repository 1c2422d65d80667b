"""The search's samplers: NSGA-II, random search and TPE, each reseeded per trial number.

A trial's random draws depend only on (seed, trial number), so processes sharing a study
(and a resumed run) never replay each other's random genomes, while a single-process search
stays reproducible from its seed. With islands, one sampler per island sits behind an
:class:`~evofolio.search.engine.islands.IslandSampler`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import optuna
from optuna.samplers import NSGAIISampler
from optuna.samplers.nsgaii import (
    BaseCrossover,
    BLXAlphaCrossover,
    SBXCrossover,
    SPXCrossover,
    UNDXCrossover,
    UniformCrossover,
    VSBXCrossover,
)
from optuna.trial import FrozenTrial

from evofolio.config import SearchConfig
from evofolio.search.engine.islands import Island, IslandSampler
from evofolio.search.engine.optuna_private import (
    island_parent_keys,
    keep_nsga2_keys,
    reseed_nsga2,
    reseed_random,
    reseed_tpe,
    tag_generation,
)

__all__ = [
    "CROSSOVERS",
    "TrialSeededNSGAIISampler",
    "TrialSeededRandomSampler",
    "TrialSeededTPESampler",
    "make_sampler",
]

CROSSOVERS: dict[str, type[BaseCrossover]] = {
    "uniform": UniformCrossover,
    "blxalpha": BLXAlphaCrossover,
    "sbx": SBXCrossover,
    "vsbx": VSBXCrossover,
    "undx": UNDXCrossover,
    "spx": SPXCrossover,
}


class TrialSeededNSGAIISampler(NSGAIISampler):
    """NSGA-II whose random draws for a trial depend only on (seed, trial number).

    Processes sharing a study (and a resumed run) thus never replay each other's random
    genomes, while a single-process search stays reproducible from its seed. The reseeding
    happens in ``before_trial``, which Optuna calls before any parameter is sampled.
    """

    def __init__(self, *, seed: int, **options: Any) -> None:
        super().__init__(seed=seed, **options)
        self._base_seed = seed

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        states = np.random.SeedSequence([self._base_seed, trial.number]).generate_state(2)
        reseed_nsga2(self, int(states[0]), int(states[1]))
        # the generation first, pruned trials counted (Optuna's rule counts completed ones
        # only): NSGA-II then reads it back instead of computing its own
        tag_generation(study, trial, int(self._population_size or 1))
        super().before_trial(study, trial)


# Optuna names a GA subclass's bookkeeping keys after the class; keep NSGA-II's own keys, so the
# study reads the same to plain NSGAIISampler, dashboards and search.engine.trial_record.
keep_nsga2_keys(TrialSeededNSGAIISampler)


class TrialSeededRandomSampler(optuna.samplers.RandomSampler):
    """Random search whose draws for a trial depend only on (seed, trial number), its trials
    tagged with generations of ``population`` as NSGA-II's are (the barrier and the display
    treat both alike)."""

    def __init__(self, *, seed: int, population: int) -> None:
        super().__init__(seed=seed)
        self._base_seed, self._population = seed, population

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        state = np.random.SeedSequence([self._base_seed, trial.number]).generate_state(1)
        reseed_random(self, int(state[0]))
        tag_generation(study, trial, self._population)
        super().before_trial(study, trial)


class TrialSeededTPESampler(optuna.samplers.TPESampler):
    """TPE (Bergstra et al. 2011; multivariate, Falkner et al. 2018) whose random draws for a
    trial depend only on (seed, trial number), its first ``population`` trials random, its
    trials tagged with generations as NSGA-II's are."""

    def __init__(self, *, seed: int, population: int) -> None:
        super().__init__(seed=seed, n_startup_trials=population, multivariate=True)
        self._base_seed, self._population = seed, population

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        states = np.random.SeedSequence([self._base_seed, trial.number]).generate_state(2)
        reseed_tpe(self, int(states[0]), int(states[1]))
        tag_generation(study, trial, self._population)
        super().before_trial(study, trial)


def make_sampler(
    search: SearchConfig,
    seed: int,
    islands: Sequence[Island] = (),
    island_param: str = "",
    *,
    sync: bool = False,
) -> optuna.samplers.BaseSampler:
    """The trial-seeded sampler of ``search.sampler``: NSGA-II with the configured operators,
    random search or TPE; with ``islands``, one of them per island behind an
    :class:`~evofolio.search.engine.islands.IslandSampler` (``island_param`` names the
    parameter whose value is the island; ``sync``: keep each island's generations whole)."""
    if islands:
        samplers = {island.name: _one_sampler(search, seed, island.name) for island in islands}
        return IslandSampler(
            samplers, islands, island_param, population=search.population, sync=sync
        )
    return _one_sampler(search, seed, None)


def _one_sampler(
    search: SearchConfig, seed: int, island: str | None
) -> optuna.samplers.BaseSampler:
    if search.sampler == "random":
        return TrialSeededRandomSampler(seed=seed, population=search.population)
    if search.sampler == "tpe":
        return TrialSeededTPESampler(seed=seed, population=search.population)
    sampler = TrialSeededNSGAIISampler(
        population_size=search.population,
        mutation_prob=search.mutation_prob,
        crossover=CROSSOVERS[search.crossover](),
        crossover_prob=search.crossover_prob,
        seed=seed,
    )
    return sampler if island is None else island_parent_keys(sampler, island)
