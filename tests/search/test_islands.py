"""Islands: one population per family in one study, each with its own budget, genes, parents,
generations and pruning; the budget split by hand."""

from __future__ import annotations

import functools
from collections import Counter
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState
from search_helpers import StubEvaluator, search_config

from evofolio.config import parse_config
from evofolio.errors import ConfigError
from evofolio.search.engine.islands import (
    ISLAND_KEY,
    Island,
    IslandView,
    island_of,
    open_island,
    split_budget,
)
from evofolio.search.engine.optuna_private import GENERATION_KEY
from evofolio.search.engine.storage import make_storage
from evofolio.search.plan import islands_of, run_search, search_plan
from evofolio.search.space import reads

FAMILIES = ("asset", "portfolio", "asset_attention")


def test_the_budget_is_shared_by_largest_remainders() -> None:
    assert split_budget(60, [1.0, 1.0, 1.0]) == (20, 20, 20)
    assert split_budget(60, [2.0, 1.0, 1.0]) == (30, 15, 15)
    # 10 x (1/3, 1/3, 1/3) = 3.33 each: the one left over goes to the first
    assert split_budget(10, [1.0, 1.0, 1.0]) == (4, 3, 3)
    # 7 x (0.5, 0.3, 0.2) = 3.5, 2.1, 1.4: the largest remainders are 0.5 and 0.4
    assert split_budget(7, [5.0, 3.0, 2.0]) == (4, 2, 1)
    assert split_budget(1, [1.0, 1.0]) == (1, 1)  # at least one trial each


def test_each_family_has_population_x_generations_trials_times_its_weight() -> None:
    search = parse_config(
        {"search": {"population": 4, "generations": 5, "family_budget": {"portfolio": 0.5}}}
    ).search
    # 60 trials in all, weights 1 : 0.5 : 1 -> 24, 12, 24
    assert [(i.name, i.target) for i in islands_of(search)] == [
        ("asset", 24),
        ("portfolio", 12),
        ("asset_attention", 24),
    ]
    equal = parse_config({"search": {"population": 4, "generations": 5}}).search
    assert {i.target for i in islands_of(equal)} == {20}
    pinned = parse_config({"search": {"space": {"fixed": {"family": "portfolio"}}}}).search
    assert [i.name for i in islands_of(pinned)] == ["portfolio"]
    assert islands_of(parse_config({"search": {"islands": False}}).search) == ()


@pytest.mark.parametrize(
    ("budget", "message"),
    [
        ({"tcn": 1.0}, "family_budget.tcn: not a searched family"),
        ({"asset": 0.0}, "family_budget.asset: weight must be > 0"),
    ],
)
def test_a_bad_family_budget_is_a_config_error_naming_the_key(
    budget: dict[str, float], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config({"search": {"family_budget": budget}})


def _run(tmp_path: Path, jobs: int = 1, **search: object) -> optuna.Study:
    config = search_config(islands=True, **search)
    factory = functools.partial(StubEvaluator, 0.0)
    result = run_search(config, tmp_path / "run", factory, jobs=jobs, poll_seconds=0.05)
    return result.study


def test_every_island_reaches_its_own_target_with_its_own_genes(tmp_path: Path) -> None:
    study = _run(tmp_path, population=3, generations=2, family_budget={"asset": 4.0}, prune=False)
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    # 3 x 2 x 3 families = 18 trials, weights 4 : 1 : 1
    assert Counter(t.params["family"] for t in complete) == {
        "asset": 12,
        "portfolio": 3,
        "asset_attention": 3,
    }
    for trial in complete:
        assert trial.system_attrs[ISLAND_KEY] == trial.params["family"]
        assert all(reads(trial.params["family"], gene) for gene in trial.params)
    # each island numbers its own generations, of `population` completed trials each
    generations = Counter((t.params["family"], t.system_attrs[GENERATION_KEY]) for t in complete)
    assert generations == {
        **{("asset", g): 3 for g in range(4)},
        **{(f, 0): 3 for f in ("portfolio", "asset_attention")},
    }


def test_an_island_breeds_from_its_own_parents_only(tmp_path: Path) -> None:
    study = _run(tmp_path, population=3, generations=3, prune=False)
    attrs = study._storage.get_study_system_attrs(study._study_id)
    parents = {k: v for k, v in attrs.items() if k.startswith("NSGAIISampler:parent:")}
    assert parents, "NSGA-II bred no generation"
    by_id = {t._trial_id: t for t in study.trials}
    for key, ids in parents.items():
        island = key.removeprefix("NSGAIISampler:parent:").rsplit(":", 1)[0]
        assert island in FAMILIES
        assert {by_id[i].params["family"] for i in ids} == {island}


def test_generations_stay_whole_in_each_island_with_two_processes(tmp_path: Path) -> None:
    study = _run(
        tmp_path,
        jobs=2,
        population=2,
        generations=2,
        families=["asset", "portfolio"],
        sync_generations=True,
        prune=False,
    )
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    generations = Counter((t.params["family"], t.system_attrs[GENERATION_KEY]) for t in complete)
    assert generations == {(f, g): 2 for f in ("asset", "portfolio") for g in range(2)}


def _trial(study: optuna.Study, family: str, value: float | None, steps: list[float]) -> None:
    trial = study.ask()
    trial.suggest_categorical("family", [family])
    for step, intermediate in enumerate(steps):
        trial.report(intermediate, step)
    if value is not None:
        study.tell(trial, value)


def test_the_pruner_compares_a_trial_with_its_own_island(tmp_path: Path) -> None:
    config = search_config(islands=True, population=2, families=["asset", "portfolio"])
    plan = search_plan(config, tmp_path)
    storage = make_storage(f"sqlite:///{tmp_path / 'db.sqlite'}", config.search)
    study = plan.open(storage, "pruning")
    # portfolio's trials report high values, asset's low ones
    for family, level in (("asset", 0.1), ("portfolio", 2.0)):
        for _ in range(2):
            study.sampler.place_next(family)  # type: ignore[attr-defined]
            trial = study.ask()
            trial.suggest_categorical("family", list(FAMILIES[:2]))
            trial.report(level, 0)
            study.tell(trial, level)
    study.sampler.place_next("asset")  # type: ignore[attr-defined]
    trial = study.ask()
    assert trial.suggest_categorical("family", list(FAMILIES[:2])) == "asset"
    trial.report(0.5, 0)  # above asset's median (0.1), below the whole study's (1.05)
    assert not trial.should_prune()
    study.sampler.place_next("portfolio")  # type: ignore[attr-defined]
    other = study.ask()
    assert other.suggest_categorical("family", list(FAMILIES[:2])) == "portfolio"
    other.report(0.5, 0)  # far below portfolio's median
    assert other.should_prune()


def test_a_new_trial_joins_the_island_furthest_from_its_target(tmp_path: Path) -> None:
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'x.db'}")
    islands = (Island("a", 4), Island("b", 2))
    for family, value in (("a", 1.0), ("a", 1.0), ("b", 1.0)):
        trial = study.ask()
        study._storage.set_trial_system_attr(trial._trial_id, ISLAND_KEY, family)
        study.tell(trial, value)
    trials = study.get_trials()
    # a: 2 of 4 taken (0.5), b: 1 of 2 (0.5): a tie goes to the first
    assert open_island(trials, islands, "family", population=2, sync=False) == "a"
    trial = study.ask()
    study._storage.set_trial_system_attr(trial._trial_id, ISLAND_KEY, "a")
    trials = study.get_trials()  # a: 3 of 4 (0.75, one running), b: 0.5
    assert open_island(trials, islands, "family", population=2, sync=False) == "b"
    # with whole generations, a's generation is full (2 complete of population 2): b
    assert open_island(trials, islands, "family", population=2, sync=True) == "b"
    view = IslandView(study, "a", "family")
    assert [island_of(t, "family") for t in view.get_trials()] == ["a", "a", "a"]


def test_only_the_bottom_quarter_of_an_island_is_pruned(tmp_path: Path) -> None:
    """search.prune_percentile 25: a trial is stopped below the 25th percentile of its
    island's completed trials at the same fold; one between that and the median runs on."""
    config = search_config(
        islands=True, population=2, generations=5, families=["asset", "portfolio"]
    )
    assert config.search.prune_percentile == 25.0
    study = search_plan(config, tmp_path).open(
        make_storage(f"sqlite:///{tmp_path / 'db.sqlite'}", config.search), "quarter"
    )
    for value in (1.0, 2.0, 3.0, 4.0):  # 25th percentile 1.75, median 2.5
        study.sampler.place_next("asset")  # type: ignore[attr-defined]
        trial = study.ask()
        trial.suggest_categorical("family", ["asset", "portfolio"])
        trial.report(value, 0)
        study.tell(trial, value)
    for value, pruned in ((2.4, False), (1.7, True)):
        study.sampler.place_next("asset")  # type: ignore[attr-defined]
        trial = study.ask()
        trial.suggest_categorical("family", ["asset", "portfolio"])
        trial.report(value, 0)
        assert bool(trial.should_prune()) is pruned, value


class _PortfolioFails(StubEvaluator):
    """Every ``portfolio`` genome raises (a family broken on this data); the others score."""

    def __call__(self, trial, genome, context):  # type: ignore[no-untyped-def]
        if genome.family == "portfolio":
            raise RuntimeError("planted: this family fails")
        return super().__call__(trial, genome, context)


def test_a_family_whose_genomes_all_fail_closes_its_own_island_only(tmp_path: Path) -> None:
    config = search_config(
        islands=True, population=2, generations=2, families=["asset", "portfolio"], prune=False
    )
    plan = search_plan(config, tmp_path / "run")
    assert [(i.name, i.target, i.max_trials) for i in plan.islands] == [
        ("asset", 4, 12),
        ("portfolio", 4, 12),
    ]
    result = run_search(config, tmp_path / "run", _PortfolioFails, poll_seconds=0.05)
    trials = result.study.get_trials()
    by_family = Counter((t.params["family"], t.state.name) for t in trials)
    # asset reaches its target; portfolio stops at its own cap of evaluated trials
    assert by_family[("asset", "COMPLETE")] == 4
    assert by_family[("portfolio", "FAIL")] == 12 and by_family[("portfolio", "COMPLETE")] == 0


def test_a_hint_for_an_island_filled_meanwhile_falls_back_to_an_open_one(tmp_path: Path) -> None:
    config = search_config(
        islands=True, population=2, generations=1, families=["asset", "portfolio"]
    )
    study = search_plan(config, tmp_path).open(
        make_storage(f"sqlite:///{tmp_path / 'db.sqlite'}", config.search), "hint"
    )
    for _ in range(2):  # asset's target (2 x 1) taken by another process
        study.sampler.place_next("asset")  # type: ignore[attr-defined]
        trial = study.ask()
        trial.suggest_categorical("family", ["asset", "portfolio"])
        study.tell(trial, 1.0)
    study.sampler.place_next("asset")  # type: ignore[attr-defined]
    trial = study.ask()
    assert trial.suggest_categorical("family", ["asset", "portfolio"]) == "portfolio"
