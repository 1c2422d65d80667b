"""What the portfolio search hands the engine: objectives and their directions, the budget,
and a suggest callable that draws a genome of the configured space."""

from __future__ import annotations

import pickle
from pathlib import Path

import optuna

from evofolio.config import parse_config
from evofolio.search.plan import search_plan


def test_single_objective_plan(tmp_path: Path) -> None:
    config = parse_config({"seed": 4, "search": {"population": 3, "generations": 5}})
    plan = search_plan(config, tmp_path)
    assert (plan.objectives, plan.directions) == (("fitness",), ("maximize",))
    # islands (the default): population x generations per family, 3 families
    assert (plan.target, plan.max_trials, plan.seed) == (45, 135, 4)
    assert [(i.name, i.target) for i in plan.islands] == [
        ("asset", 15),
        ("portfolio", 15),
        ("asset_attention", 15),
    ]
    assert plan.can_prune
    mixed = search_plan(
        parse_config({"seed": 4, "search": {"population": 3, "generations": 5, "islands": False}}),
        tmp_path,
    )
    assert (mixed.target, mixed.max_trials, mixed.islands) == (15, 45, ())


def test_multi_objective_plan_minimises_drawdown_and_turnover(tmp_path: Path) -> None:
    config = parse_config({"search": {"multi_objective": True, "max_trials": 20}})
    plan = search_plan(config, tmp_path)
    assert dict(zip(plan.objectives, plan.directions, strict=True)) == {
        "sharpe": "maximize",
        "max_drawdown": "minimize",
        "turnover": "minimize",
    }
    assert plan.max_trials == 20 and not plan.can_prune  # Optuna prunes one objective only


def test_the_suggest_callable_draws_the_configured_space_and_pickles(tmp_path: Path) -> None:
    space = {"hidden": [24, 24], "fixed": {"family": "portfolio"}}
    plan = search_plan(parse_config({"search": {"space": space}}), tmp_path)
    suggest = pickle.loads(pickle.dumps(plan.suggest))  # sent to spawned workers
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study()
    genome = suggest(study.ask())
    assert (genome.family, genome.hidden) == ("portfolio", 24)
