"""``search.sampler``: NSGA-II, random search or TPE, each trial-seeded and in generations.

Random search is the reference the genetic algorithm must beat at the same budget; every
sampler tags its trials with generations of ``population`` by NSGA-II's rule, so the barrier,
the live display and the report treat them alike, and a run directory refuses to resume a
study with another sampler."""

from __future__ import annotations

import functools
from pathlib import Path

import optuna
import pandas as pd
import pytest
from search_helpers import StubEvaluator, search_config
from test_fingerprint import _data, _print

from evofolio.config import SearchConfig, parse_config
from evofolio.errors import ConfigError
from evofolio.search.engine.optuna_private import GENERATION_KEY, tag_generation
from evofolio.search.engine.samplers import (
    TrialSeededNSGAIISampler,
    TrialSeededRandomSampler,
    TrialSeededTPESampler,
    make_sampler,
)
from evofolio.search.fingerprint import RunDirMismatchError
from evofolio.search.plan import run_search

optuna.logging.set_verbosity(optuna.logging.WARNING)


def test_the_sampler_is_a_setting_of_the_search() -> None:
    kinds = {
        "nsga2": TrialSeededNSGAIISampler,
        "random": TrialSeededRandomSampler,
        "tpe": TrialSeededTPESampler,
    }
    for name, cls in kinds.items():
        sampler = make_sampler(SearchConfig(sampler=name), seed=1)  # type: ignore[arg-type]
        assert type(sampler) is cls
    assert SearchConfig().sampler == "nsga2"
    with pytest.raises(ConfigError, match="search.sampler"):
        parse_config({"search": {"sampler": "grid"}})


def _draws(name: str, seed: int, n: int = 8) -> list[float]:
    search = SearchConfig(sampler=name, population=4)  # type: ignore[arg-type]
    study = optuna.create_study(sampler=make_sampler(search, seed))
    out = []
    for _ in range(n):
        trial = study.ask()
        x = trial.suggest_float("x", 0.0, 1.0)
        study.tell(trial, (x - 0.3) ** 2)
        out.append(x)
    return out


@pytest.mark.parametrize("name", ["random", "tpe"])
def test_a_seeded_sampler_repeats_and_another_seed_does_not(name: str) -> None:
    assert _draws(name, 3) == _draws(name, 3)
    assert _draws(name, 3) != _draws(name, 4)


def test_tpe_leaves_random_sampling_after_the_first_generation() -> None:
    # TPE's draws after its population of random start-up trials move towards the optimum
    draws = _draws("tpe", 0, n=40)
    late = sum(abs(x - 0.3) for x in draws[-10:]) / 10
    early = sum(abs(x - 0.3) for x in draws[:4]) / 4
    assert late < early


def test_generations_follow_nsga2_s_rule() -> None:
    study = optuna.create_study()
    generations = []
    for value in (1.0, 2.0, None, 3.0, 4.0):
        trial = study.ask()
        frozen = study._storage.get_trial(trial._trial_id)
        generations.append(tag_generation(study, frozen, population=2))
        if value is None:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
        else:
            study.tell(trial, value)
    # two completed trials close a generation; a failed trial does not count
    assert generations == [0, 0, 1, 1, 1]
    assert [t.system_attrs[GENERATION_KEY] for t in study.trials] == generations


@pytest.mark.parametrize("name", ["random", "tpe"])
def test_a_search_by_another_sampler_fills_its_generations(name: str, tmp_path: Path) -> None:
    config = search_config(population=3, generations=2)
    search = config.search.model_copy(update={"sampler": name})
    config = config.model_copy(update={"search": search})
    result = run_search(
        config, tmp_path / "run", functools.partial(StubEvaluator), poll_seconds=0.1
    )
    frame = pd.read_parquet(result.trials_path)
    done = frame[frame["state"] == "COMPLETE"]
    assert result.counts.complete == 6
    assert sorted(done["generation"].value_counts().to_dict().items()) == [(0, 3), (1, 3)]


def test_a_run_directory_refuses_another_sampler(tmp_path: Path) -> None:
    config = search_config(population=3, generations=1)
    data = _data(tmp_path, "a", 1)
    run_dir = tmp_path / "run"
    search = functools.partial(StubEvaluator)
    run_search(config, run_dir, search, fingerprint=_print(config, data), poll_seconds=0.1)
    other = config.model_copy(
        update={"search": config.search.model_copy(update={"sampler": "random"})}
    )
    with pytest.raises(RunDirMismatchError, match=r"sampler"):
        run_search(other, run_dir, search, fingerprint=_print(other, data), poll_seconds=0.1)


@pytest.mark.parametrize("name", ["random", "tpe"])
def test_a_trial_s_draws_depend_on_its_number_not_on_the_sampler_s_history(name: str) -> None:
    # processes sharing a study each hold a sampler: trial n must get the same genome
    # whichever process, after whatever else it drew, asks for it
    search = SearchConfig(sampler=name, population=4)  # type: ignore[arg-type]
    fresh = make_sampler(search, 7)
    busy = make_sampler(search, 7)
    other = optuna.create_study(sampler=busy)
    for _ in range(5):  # the busy sampler draws elsewhere first
        trial = other.ask()
        other.tell(trial, trial.suggest_float("x", 0.0, 1.0))
    draws = []
    for sampler in (fresh, busy):
        study = optuna.create_study(sampler=sampler)
        trial = study.ask()
        draws.append(trial.suggest_float("x", 0.0, 1.0))
    assert draws[0] == draws[1]


def test_the_comparison_of_samplers_tests_their_stitched_tracks() -> None:
    import dataclasses

    from evofolio.backtesting import TradingRules, simulate
    from evofolio.search.evaluation.stitched import samplers_summary
    from synthetic import random_prices

    prices = random_prices(n_days=600, n_assets=3, seed=2)
    weights = pd.DataFrame(1.0 / 3, index=prices.index[:-1], columns=prices.columns)
    track = simulate(weights, prices, TradingRules("daily", 0.0))
    config = parse_config({"evaluation": {"n_boot": 200}})

    def procedure(result: object) -> dict[str, object]:
        summary = {
            "metrics": {"champion": {"sharpe": 0.5}},
            "holdout_tests": {
                "benchmark": "equal_weight",
                "differences": [
                    {
                        "baseline": "equal_weight",
                        "difference": 0.0,
                        "ci_low": -0.1,
                        "ci_high": 0.1,
                        "p_holm": 1.0,
                    }
                ],
            },
            "verdict": {"outcome": "no_evidence"},
        }
        return {**summary, "track": {"champion": result}}

    same = samplers_summary(config, {"nsga2": procedure(track), "random": procedure(track)})
    (pair,) = same["pairs"]
    assert pair["difference"] == 0.0 and pair["p_value"] == pytest.approx(1.0)
    edge = dataclasses.replace(track, net=track.net + 0.002)  # 50 bps a day better, always
    ahead = samplers_summary(config, {"nsga2": procedure(edge), "random": procedure(track)})
    (pair,) = ahead["pairs"]
    assert pair["difference"] > 0 and pair["p_value"] < 0.01 and pair["ci_low"] > 0
    assert pair["p_holm"] == pair["p_value"]  # one pair: nothing to adjust
