"""The only place that touches Optuna's private attributes (tested against the installed Optuna).

Optuna has no public accessor for three things the search needs:

* a trial's **storage id** (heartbeats and state changes are keyed by it, not by the number),
  and which running trials still beat (a shared search seen from a reader's machine);
* the **random generators of the samplers** (NSGA-II, random, TPE: reseeded per trial so that
  processes sharing a study never replay each other's random genomes);
* the **system-attribute keys** under which NSGA-II records a trial's generation and its
  parents (a subclass would otherwise get keys named after itself; each island caches its
  parents under its own key), and writing that generation on the trials of the other samplers.

If an Optuna release renames any of them, ``tests/search/test_optuna_private.py`` fails here,
in one place, instead of the search misbehaving quietly.
"""

from __future__ import annotations

import optuna
from optuna.samplers import NSGAIISampler
from optuna.trial import FrozenTrial, TrialState

__all__ = [
    "GENERATION_KEY",
    "island_parent_keys",
    "keep_nsga2_keys",
    "live_running_trials",
    "reseed_nsga2",
    "reseed_random",
    "reseed_tpe",
    "tag_generation",
    "trial_id",
]

GENERATION_KEY = "NSGAIISampler:generation"
"""NSGA-II's system attribute holding a trial's generation (0-based)."""


def trial_id(trial: optuna.Trial | FrozenTrial) -> int:
    """The storage id of ``trial`` (distinct from its number when a storage holds several
    studies)."""
    return int(trial._trial_id)


def reseed_nsga2(sampler: NSGAIISampler, genetic_seed: int, random_seed: int) -> None:
    """Reseed NSGA-II's own generator (parents, crossover, which genes mutate) and that of
    its inner random sampler (first generation, mutated values)."""
    sampler._rng.rng.seed(genetic_seed)
    sampler._random_sampler._rng.rng.seed(random_seed)


def keep_nsga2_keys(cls: type[NSGAIISampler]) -> type[NSGAIISampler]:
    """Make subclass ``cls`` record generations and parents under NSGA-II's own keys, so that
    its studies read the same to plain ``NSGAIISampler``, dashboards and evofolio."""
    cls._GENERATION_KEY = NSGAIISampler._get_generation_key()
    cls._PARENT_CACHE_KEY_PREFIX = NSGAIISampler._get_parent_cache_key_prefix()
    return cls


def island_parent_keys(sampler: NSGAIISampler, island: str) -> NSGAIISampler:
    """Make ``sampler`` cache its parent populations under keys of island ``island``, so that
    the islands of one study (each its own NSGA-II, numbering its own generations) never read
    each other's parents. Generations keep NSGA-II's key: each island's sampler sees only its
    own trials."""
    prefix = f"{NSGAIISampler._get_parent_cache_key_prefix()}{island}:"
    # an instance attribute shadows the classmethod NSGA-II calls as self._get_...()
    sampler._get_parent_cache_key_prefix = lambda: prefix  # type: ignore[method-assign]
    return sampler


def reseed_random(sampler: optuna.samplers.RandomSampler, seed: int) -> None:
    """Reseed a random sampler's generator."""
    sampler._rng.rng.seed(seed)


def reseed_tpe(sampler: optuna.samplers.TPESampler, tpe_seed: int, random_seed: int) -> None:
    """Reseed TPE's own generator and that of its inner random sampler (startup trials)."""
    sampler._rng.rng.seed(tpe_seed)
    sampler._random_sampler._rng.rng.seed(random_seed)


def tag_generation(study: optuna.Study, trial: FrozenTrial, population: int) -> int:
    """Give ``trial`` a generation under NSGA-II's key, by NSGA-II's own rule with pruned
    trials counted (the highest generation of the complete or pruned trials while it has
    fewer than ``population`` of them, else the next one). Every sampler tags its trials
    so: NSGA-II's generations are ``population`` evaluated genomes, pruned ones included
    (Optuna's own rule counts completed trials only), and a search by another sampler has
    generations too, for the same barrier, display and report. Returns the generation."""
    known = trial.system_attrs.get(GENERATION_KEY)
    if known is not None:
        return int(known)
    complete = study._get_trials(
        deepcopy=False, states=[TrialState.COMPLETE, TrialState.PRUNED], use_cache=True
    )
    highest, count = 0, 0
    for other in complete:
        generation = other.system_attrs.get(GENERATION_KEY, -1)
        if generation > highest:
            highest, count = generation, 1
        elif generation == highest:
            count += 1
    generation = highest if count < population else highest + 1
    study._storage.set_trial_system_attr(trial._trial_id, GENERATION_KEY, generation)
    # the caller's snapshot too: NSGA-II's before_trial reads it back from ``trial`` and
    # would otherwise compute (and store) its own generation over completed trials only
    trial.system_attrs[GENERATION_KEY] = generation
    return generation


def live_running_trials(study: optuna.Study) -> list[FrozenTrial]:
    """The running trials of ``study`` whose heartbeat is not stale (their process is alive,
    on whatever machine): RDB storage's stale-trial query, without failing any trial."""
    storage = study._storage
    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    stale_ids = getattr(storage, "_get_stale_trial_ids", None)
    if stale_ids is None:
        return list(running)
    stale = set(stale_ids(study._study_id))
    return [trial for trial in running if trial._trial_id not in stale]
