"""The portfolio search handed to the generic engine: genome, objectives, fingerprint.

This module is the seam between :mod:`evofolio.search.engine` (which knows only Optuna and
its workers) and the portfolio domain: it checks the gene space against the registries, gives
the engine a picklable ``suggest`` callable (:func:`~evofolio.search.space.suggest_genome`
over the registered features and the config's strategies), the objective names and
directions, and guards the run directory with its fingerprint
(:mod:`evofolio.search.fingerprint`).

Objectives: ``fitness`` (maximised) or, in multi-objective mode, ``sharpe`` (maximised),
``max_drawdown`` and ``turnover`` (minimised), in the order
:func:`evofolio.search.fitness.evaluate` returns them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import optuna

from evofolio.allocators.registry import check_model
from evofolio.config import GeneValue, RunConfig, SearchConfig
from evofolio.features import FEATURES
from evofolio.search import engine
from evofolio.search.engine import Direction, EvaluatorFactory, SearchEvent, SearchPlan
from evofolio.search.engine.islands import Island, split_budget
from evofolio.search.fingerprint import check_fingerprint, record_fingerprint
from evofolio.search.space import check_space, suggest_genome
from evofolio.strategies import resolve_strategies

__all__ = [
    "MULTI_DIRECTIONS",
    "MULTI_OBJECTIVES",
    "SINGLE_OBJECTIVE",
    "enqueue_genomes",
    "islands_of",
    "objective_names",
    "run_search",
    "search_plan",
]

SINGLE_OBJECTIVE = "fitness"
MULTI_OBJECTIVES = ("sharpe", "max_drawdown", "turnover")
MULTI_DIRECTIONS: tuple[Direction, ...] = ("maximize", "minimize", "minimize")


def objective_names(multi_objective: bool) -> tuple[str, ...]:
    """The names of a trial's values, in order."""
    return MULTI_OBJECTIVES if multi_objective else (SINGLE_OBJECTIVE,)


def searched_families(search: SearchConfig) -> list[str]:
    """The families the search evolves: ``search.families``, or the one ``[search.space.fixed]``
    pins the ``family`` gene to."""
    pinned = search.space.fixed.get("family")
    return [str(pinned)] if pinned is not None else list(search.families)


def islands_of(search: SearchConfig) -> tuple[Island, ...]:
    """One island per searched family with ``search.islands`` (none otherwise): each has
    ``population x generations`` spent (complete or pruned) trials times its weight in
    ``search.family_budget`` over the mean weight (a family not named weighs 1), shared by
    largest remainders (at least one each: the targets add up to ``population x generations
    x families`` unless a tiny weight was lifted to one trial). Each island's cap on
    evaluated trials is ``search.max_trials`` shared the same way, else 3 x its target.

    >>> from evofolio.config import SearchConfig
    >>> search = SearchConfig(population=4, generations=5, family_budget={"asset": 2.0})
    >>> [(i.name, i.target) for i in islands_of(search)]
    [('asset', 30), ('portfolio', 15), ('asset_attention', 15)]
    """
    if not search.islands:
        return ()
    families = searched_families(search)
    weights = [float(search.family_budget.get(name, 1.0)) for name in families]
    total = search.population * search.generations * len(families)
    targets = split_budget(total, weights)
    caps = (
        split_budget(search.max_trials, weights)
        if search.max_trials is not None and search.max_trials >= len(families)
        else [3 * target for target in targets]
    )
    return tuple(
        Island(name, target, cap) for name, target, cap in zip(families, targets, caps, strict=True)
    )


def search_plan(config: RunConfig, run_dir: str | Path, poll_seconds: float = 1.0) -> SearchPlan:
    """The engine's plan for ``config``'s search; ``ConfigError`` (naming the key) if a corner
    of the gene space cannot decode or ``[model]`` names an unregistered feature/strategy."""
    search = config.search
    check_model(config, "config")
    features = tuple(FEATURES)
    strategies = tuple(resolve_strategies(config.strategies.names))
    check_space(search, config, features, strategies)
    islands = islands_of(search)
    target = (
        sum(island.target for island in islands)
        if islands
        else search.population * search.generations
    )
    multi = search.multi_objective
    return SearchPlan(
        search=search,
        run_dir=Path(run_dir),
        suggest=functools.partial(
            suggest_genome, search=search, feature_names=features, strategy_names=strategies
        ),
        objectives=objective_names(multi),
        directions=MULTI_DIRECTIONS if multi else ("maximize",),
        seed=config.seed,
        target=target,
        max_trials=search.max_trials or 3 * target,
        poll_seconds=poll_seconds,
        orphan_seconds=max(60.0, 20.0 * search.heartbeat_seconds),
        islands=islands,
        island_param="family" if islands else "",
    )


def run_search(
    config: RunConfig,
    run_dir: str | Path,
    evaluator_factory: EvaluatorFactory,
    *,
    storage_url: str | None = None,
    study_name: str | None = None,
    jobs: int | None = None,
    on_event: Callable[[SearchEvent], None] | None = None,
    poll_seconds: float = 1.0,
    fingerprint: Mapping[str, Any] | None = None,
    shared: bool = False,
    exclusive: bool = False,
) -> engine.SearchResult:
    """Run (or resume) the portfolio search of ``config`` in ``run_dir`` with the engine
    (:func:`evofolio.search.engine.run_search`: the arguments mean the same there).

    With ``fingerprint`` (:mod:`evofolio.search.fingerprint`), a run directory or study made
    from other inputs is refused before anything is written, and a new one remembers it.
    """
    run_dir = Path(run_dir)
    if fingerprint is not None:
        check_fingerprint(run_dir, fingerprint)
    plan = search_plan(config, run_dir, poll_seconds)

    def guard(study: optuna.Study) -> None:
        if fingerprint is not None:
            check_fingerprint(run_dir, fingerprint, study)
            record_fingerprint(run_dir, fingerprint, study)

    return engine.run_search(
        plan,
        evaluator_factory,
        storage_url=storage_url,
        study_name=study_name,
        jobs=jobs,
        on_event=on_event,
        on_open=guard,
        shared=shared,
        exclusive=exclusive,
    )


def enqueue_genomes(
    config: RunConfig,
    run_dir: str | Path,
    genomes: Iterable[Mapping[str, GeneValue]],
    *,
    storage_url: str | None = None,
    study_name: str | None = None,
) -> int:
    """Queue known genomes (e.g. from :func:`~evofolio.search.space.encode`) for evaluation
    by the next :func:`run_search` on the same study; genes a genome lacks are sampled.
    Returns the number queued."""
    plan = search_plan(config, run_dir)
    return engine.enqueue_genomes(plan, genomes, storage_url=storage_url, study_name=study_name)
