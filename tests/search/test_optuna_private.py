"""The adapter over Optuna's private attributes still fits the installed Optuna."""

from __future__ import annotations

import optuna
from optuna.samplers import NSGAIISampler
from optuna.storages import InMemoryStorage

from evofolio.search.engine.optuna_private import (
    GENERATION_KEY,
    keep_nsga2_keys,
    reseed_nsga2,
    trial_id,
)
from evofolio.search.engine.samplers import TrialSeededNSGAIISampler

optuna.logging.set_verbosity(optuna.logging.WARNING)


def test_trial_id_is_the_storage_id_not_the_number() -> None:
    storage = InMemoryStorage()
    optuna.create_study(storage=storage, study_name="first").ask()
    second = optuna.create_study(storage=storage, study_name="second")
    trial = second.ask()
    assert trial.number == 0 and trial_id(trial) != 0  # the storage's second trial
    frozen = storage.get_trial(trial_id(trial))
    assert frozen.number == 0 and frozen.datetime_start == trial.datetime_start
    assert trial_id(frozen) == trial_id(trial)


def test_reseeding_repeats_both_generators() -> None:
    sampler = NSGAIISampler(seed=0)

    def draws() -> list[float]:
        return [
            float(sampler._rng.rng.random_sample()),
            float(sampler._random_sampler._rng.rng.random_sample()),
        ]

    reseed_nsga2(sampler, 11, 22)
    first = draws()
    reseed_nsga2(sampler, 11, 22)
    assert draws() == first
    reseed_nsga2(sampler, 11, 23)
    again = draws()
    assert again[0] == first[0] and again[1] != first[1]  # each generator has its own seed


def test_a_subclass_keeps_nsga2s_generation_key() -> None:
    class Renamed(NSGAIISampler):
        pass

    assert Renamed._get_generation_key() != GENERATION_KEY  # what keep_nsga2_keys prevents
    keep_nsga2_keys(Renamed)
    assert Renamed._get_generation_key() == GENERATION_KEY == NSGAIISampler._get_generation_key()
    study = optuna.create_study(sampler=TrialSeededNSGAIISampler(seed=0, population_size=2))
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=3)
    assert [t.system_attrs[GENERATION_KEY] for t in study.trials] == [0, 0, 1]
