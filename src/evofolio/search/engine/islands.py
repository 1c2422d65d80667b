"""Islands: several populations evolving side by side in one Optuna study, without migration.

An island is the set of trials whose *island parameter* (the portfolio search's ``family``
gene) has one value; each island has its own budget of spent (complete or pruned) trials and
its own sampler
instance (NSGA-II, random or TPE, trial-seeded as everywhere), which sees only its island's
trials. One study holds every island, so that trial numbers, trial directories, the trials
table, the deflated Sharpe ratio's N and the PBO matrix, resuming, ``--worker-only`` machines
and the generation barrier all work as with one population; the isolation lives in two
wrappers:

* :class:`IslandView` -- the study as one island sees it (``get_trials`` filtered), the same
  device Optuna's ``HyperbandPruner`` uses to give each bracket its own sampler history;
* :class:`IslandSampler` -- picks the island of a new trial (a queued genome keeps the island
  its parameter names; otherwise the island furthest from its budget, see
  :func:`open_island`), records it on the trial, pins the island parameter to it, and lets
  that island's sampler propose the other genes from its own island's history only.
  :class:`IslandPruner` does the same for the pruner (a trial is compared with its own
  island's trials at the same step).

NSGA-II writes a trial's generation under one key for every island (each island numbers its
own generations: the view hides the others' trials) and caches each island's parents under a
key of its own (:func:`~evofolio.search.engine.optuna_private.island_parent_keys`).
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.trial import FrozenTrial, TrialState

from evofolio.search.engine.trial_record import count_trials, generation_barrier

__all__ = [
    "ISLAND_KEY",
    "Island",
    "IslandPruner",
    "IslandSampler",
    "IslandView",
    "island_of",
    "island_trials",
    "islands_done",
    "open_island",
    "split_budget",
]

ISLAND_KEY = "evofolio:island"
"""The system attribute holding a trial's island (written when it is asked)."""


@dataclass(frozen=True)
class Island:
    """One island: the island parameter's value, its target of spent (complete or pruned)
    trials and its cap on evaluated trials (failures and pruned ones included; 0: 3 x the
    target), so that a family whose genomes all fail ends its own island, not the others'."""

    name: str
    target: int
    cap: int = 0

    @property
    def max_trials(self) -> int:
        return self.cap or 3 * self.target

    def closed(self, trials: Sequence[FrozenTrial], param: str) -> bool:
        """Whether the island holds its target of spent (complete or pruned) trials or
        reached its cap."""
        counts = count_trials(island_trials(trials, self.name, param))
        return counts.spent >= self.target or counts.evaluated >= self.max_trials


def split_budget(total: int, weights: Sequence[float]) -> tuple[int, ...]:
    """``total`` trials shared in proportion to ``weights`` (largest remainders, so the shares
    add up to ``total``), at least one trial each.

    >>> split_budget(60, [2.0, 1.0, 1.0])
    (30, 15, 15)
    """
    if not weights or any(not w > 0.0 for w in weights):
        raise ValueError(f"weights must be positive, got {list(weights)}")
    scale = sum(weights)
    exact = [total * w / scale for w in weights]
    shares = [int(x) for x in exact]
    order = sorted(range(len(exact)), key=lambda i: (shares[i] - exact[i], i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return tuple(max(share, 1) for share in shares)


def island_of(trial: FrozenTrial, param: str) -> str | None:
    """The island of ``trial``: recorded when it was asked, else the value of ``param`` it was
    given (a queued genome) or sampled; ``None`` before either."""
    recorded = trial.system_attrs.get(ISLAND_KEY)
    if recorded is not None:
        return str(recorded)
    fixed = trial.system_attrs.get("fixed_params") or {}
    value = fixed.get(param, trial.params.get(param))
    return None if value is None else str(value)


def island_trials(trials: Sequence[FrozenTrial], island: str, param: str) -> list[FrozenTrial]:
    """The trials of ``island``, in order."""
    return [t for t in trials if island_of(t, param) == island]


def islands_done(trials: Sequence[FrozenTrial], islands: Sequence[Island], param: str) -> bool:
    """Whether every island holds its target of spent (complete or pruned) trials or
    reached its cap."""
    return all(island.closed(trials, param) for island in islands)


def open_island(
    trials: Sequence[FrozenTrial],
    islands: Sequence[Island],
    param: str,
    *,
    population: int,
    sync: bool,
) -> str | None:
    """The island the next new trial should join: among the islands whose spent plus
    running trials are below their target (and, with ``sync``, whose open generation is not
    full, see :func:`~evofolio.search.engine.trial_record.generation_barrier`), the one with
    the smallest share of its target taken (the first in order on a tie), skipping islands at
    their cap of evaluated trials; ``None`` when no island can take a trial now."""
    best: tuple[float, int, str] | None = None
    for index, island in enumerate(islands):
        mine = island_trials(trials, island.name, param)
        counts = count_trials(mine)
        taken = counts.spent + counts.running
        if taken >= island.target or counts.evaluated >= island.max_trials:
            continue
        if sync and generation_barrier(mine, population) is not None:
            continue
        key = (taken / island.target, index, island.name)
        if best is None or key < best:
            best = key
    return None if best is None else best[2]


def _full(
    trials: Sequence[FrozenTrial],
    islands: Sequence[Island],
    name: str,
    param: str,
    population: int,
    sync: bool,
) -> bool:
    island = next((i for i in islands if i.name == name), None)
    if island is None:
        return True
    mine = island_trials(trials, name, param)
    counts = count_trials(mine)
    if counts.spent + counts.running >= island.target or counts.evaluated >= island.max_trials:
        return True
    return sync and generation_barrier(mine, population) is not None


class IslandView:
    """``study`` as the samplers and pruner of one island see it: every attribute is the
    study's, but ``get_trials`` / ``_get_trials`` / ``trials`` return the island's trials only."""

    def __init__(self, study: optuna.Study, island: str, param: str) -> None:
        self._island_study = study
        self._island = island
        self._island_param = param

    def __getattr__(self, name: str) -> Any:
        return getattr(self._island_study, name)

    def _get_trials(
        self,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
        use_cache: bool = False,
    ) -> list[FrozenTrial]:
        trials = self._island_study._get_trials(
            deepcopy=deepcopy, states=states, use_cache=use_cache
        )
        return island_trials(trials, self._island, self._island_param)

    def get_trials(
        self, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        return self._get_trials(deepcopy=deepcopy, states=states)

    @property
    def trials(self) -> list[FrozenTrial]:
        return self.get_trials()


class IslandSampler(optuna.samplers.BaseSampler):
    """One sampler per island (``samplers``: island name -> sampler), each fed its island's
    trials only; the island parameter ``param`` is pinned to the trial's island.

    ``islands`` and ``population``/``sync`` give the rule that places a new trial
    (:func:`open_island`); :meth:`place_next` lets the process that is about to ask say which
    island it checked was open, so that its ``ask`` lands there.
    """

    def __init__(
        self,
        samplers: dict[str, optuna.samplers.BaseSampler],
        islands: Sequence[Island],
        param: str,
        *,
        population: int,
        sync: bool = False,
    ) -> None:
        if set(samplers) != {island.name for island in islands}:
            raise ValueError("one sampler per island")
        self._samplers = samplers
        self._islands = tuple(islands)
        self._param = param
        self._population = population
        self._sync = sync
        self._next: str | None = None
        self._placed: dict[int, str] = {}

    def place_next(self, island: str | None) -> None:
        """The island of the next new trial this process asks (``None``: by the rule)."""
        self._next = island

    def island(self, trial: FrozenTrial) -> str:
        """The island ``trial`` was placed in (it must have been asked)."""
        placed = self._placed.get(trial.number) or island_of(trial, self._param)
        if placed is None or placed not in self._samplers:
            raise RuntimeError(f"trial {trial.number} has no island")
        return placed

    def _view(self, study: optuna.Study, island: str) -> optuna.Study:
        view: Any = IslandView(study, island, self._param)
        return view  # duck-typed as a study (Optuna's samplers read trials through it)

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        island = island_of(trial, self._param)  # a queued genome keeps its island
        if island not in self._samplers:
            trials = study._get_trials(deepcopy=False, use_cache=False)
            fresh = open_island(
                trials, self._islands, self._param, population=self._population, sync=self._sync
            )
            # the island this process checked, unless another filled it since
            hinted = self._next is not None and not _full(
                trials, self._islands, self._next, self._param, self._population, self._sync
            )
            island = self._next if hinted else fresh
        if island is None:  # every island is full: the worker will release this trial
            counts = {
                i.name: len(island_trials(study._get_trials(deepcopy=False), i.name, self._param))
                for i in self._islands
            }
            island = min(self._islands, key=lambda i: counts[i.name] / i.target).name
        self._next = None
        self._placed[trial.number] = island
        study._storage.set_trial_system_attr(trial._trial_id, ISLAND_KEY, island)
        trial.system_attrs[ISLAND_KEY] = island
        self._samplers[island].before_trial(self._view(study, island), trial)

    def infer_relative_search_space(
        self, study: optuna.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        island = self.island(trial)
        space = self._samplers[island].infer_relative_search_space(self._view(study, island), trial)
        return {name: d for name, d in space.items() if name != self._param}

    def sample_relative(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        search_space: dict[str, BaseDistribution],
    ) -> dict[str, Any]:
        island = self.island(trial)
        return self._samplers[island].sample_relative(
            self._view(study, island), trial, search_space
        )

    def sample_independent(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        island = self.island(trial)
        if param_name == self._param:
            return island
        return self._samplers[island].sample_independent(
            self._view(study, island), trial, param_name, param_distribution
        )

    def after_trial(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        island = self._placed.pop(trial.number, None) or island_of(trial, self._param)
        if island in self._samplers:
            self._samplers[island].after_trial(self._view(study, island), trial, state, values)

    def reseed_rng(self) -> None:
        for sampler in self._samplers.values():
            sampler.reseed_rng()


class IslandPruner(optuna.pruners.BasePruner):
    """``pruner`` applied within each island: a trial is compared with its island's trials."""

    def __init__(self, pruner: optuna.pruners.BasePruner, param: str) -> None:
        self._pruner = pruner
        self._param = param

    def prune(self, study: optuna.Study, trial: FrozenTrial) -> bool:
        island = island_of(trial, self._param)
        if island is None:
            return self._pruner.prune(study, trial)
        view: Any = IslandView(study, island, self._param)
        return self._pruner.prune(view, trial)
