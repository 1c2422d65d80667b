"""``[search.space]`` and ``[search]``: the genes' ranges derived from the gene table.

:class:`SpaceConfig` has one field per gene of :data:`~evofolio.config.genes.GENES`, named by
the gene's ``space`` key, built from the table (its type, default, description and checks);
there is no second list of gene names or ranges. A range is ``[low, high]`` (both ends
included, low <= high) of the type of the config field the gene sets; a choice list holds at
least one value of that type. ``fixed`` pins a gene to one value (it stops evolving, but keeps
its place in the fixed-length genome).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, Field, create_model, model_validator

from evofolio.config.genes import GENES, Gene
from evofolio.config.sections import TrainingConfig, _Section

__all__ = ["Crossover", "GeneValue", "Sampler", "SearchConfig", "SpaceConfig"]

GeneValue = bool | int | float | str

Crossover = Literal["uniform", "blxalpha", "sbx", "vsbx", "undx", "spx"]

Sampler = Literal["nsga2", "random", "tpe"]
# How a champion is taken from the Pareto front of a multi-objective search (``evolve
# --pareto-pick``): the point with the best Sharpe ratio, the shallowest drawdown or the
# lowest turnover.
PARETO_PICKS = ("sharpe", "drawdown", "turnover")


class _SpaceBase(_Section):
    """The genes' ranges and choices; ``fixed`` pins a gene to one value (it stops evolving).

    Ranges are ``[low, high]``, both ends included. Every gene stays in every genome (a
    pinned gene has one possible value), so the genome keeps a fixed length. Gene names:
    ``family``, those of :data:`evofolio.config.genes.GENES`, ``feature_<name>`` and
    ``strategy_<name>``.
    """

    fixed: dict[str, GeneValue] = Field(
        {}, description="gene name -> value, e.g. {layers = 1, feature_ret_1 = true}"
    )

    def bounds(self, gene: str) -> Any:
        """Gene ``gene``'s range ``(low, high)`` or its list of choices."""
        return getattr(self, GENES[gene].space)

    @model_validator(mode="after")
    def _widths_fit_heads(self) -> _SpaceBase:
        bad = [(w, h) for w in self.bounds("width") for h in self.bounds("heads") if w % h]
        if bad:
            raise ValueError(f"width {bad[0][0]} is not a multiple of heads {bad[0][1]}")
        return self


def _ordered(value: tuple[Any, Any]) -> tuple[Any, Any]:
    if value[0] > value[1]:
        raise ValueError(f"range low {value[0]} is above high {value[1]}")
    return value


def _each(check: Any) -> Any:
    def checked(values: list[Any]) -> list[Any]:
        for value in values:
            check(value)
        return values

    return checked


def _value_type(gene: Gene) -> Any:
    if gene.value_type is not None:
        return gene.value_type
    if gene.section != "training":
        raise ValueError(f"gene table: {gene.name} must name its value_type")
    return TrainingConfig.model_fields[gene.field].annotation


def _space_field(gene: Gene) -> tuple[Any, Any]:
    kind = _value_type(gene)
    if gene.kind == "choice":
        field = Field(list(gene.default), min_length=1, description=gene.about)
        if gene.check is None:
            return list[kind], field  # type: ignore[valid-type]
        return Annotated[list[kind], AfterValidator(_each(gene.check))], field  # type: ignore[valid-type]
    low, high = gene.default
    bound = Annotated[tuple[kind, kind], AfterValidator(_ordered)]  # type: ignore[valid-type]
    return bound, Field((low, high), description=gene.about)


if TYPE_CHECKING:
    SpaceConfig = _SpaceBase
else:
    SpaceConfig = create_model(
        "SpaceConfig",
        __base__=_SpaceBase,
        __doc__=_SpaceBase.__doc__,
        __module__=__name__,
        **{gene.space: _space_field(gene) for gene in GENES.values()},
    )


class SearchConfig(_Section):
    """The genetic search (Optuna NSGA-II): budget, operators, fitness folds, storage."""

    sampler: Sampler = Field(
        "nsga2",
        description="how genomes are proposed (Optuna's samplers): nsga2 (the genetic "
        "algorithm), random (random search, the reference NSGA-II should beat) or tpe "
        "(Bayesian); every one trial-seeded, in generations of `population` trials",
    )
    population: int = Field(16, ge=2, description="genomes per generation")
    generations: int = Field(8, ge=1, description="target: population x generations trials")
    max_trials: int | None = Field(
        None, ge=1, description="cap on evaluated trials, failures included (None: 3 x target)"
    )
    mutation_prob: float | None = Field(
        None, ge=0.0, le=1.0, description="per gene; None: 1 / number of genes"
    )
    crossover: Crossover = Field(
        "uniform", description="NSGA-II crossover for numeric genes (nsga2 only)"
    )
    crossover_prob: float = Field(
        0.9, ge=0.0, le=1.0, description="NSGA-II crossover rate (nsga2 only)"
    )
    folds: int = Field(3, ge=1, description="walk-forward folds in the development period")
    min_test_days: int = Field(252, ge=20, description="days per validation fold")
    fold_lambda: float = Field(
        0.5, ge=0.0, description="fitness = mean fold Sharpe - lambda x std across folds"
    )
    multi_objective: bool = Field(
        False, description="Pareto front of (Sharpe, max drawdown, turnover) instead of fitness"
    )
    prune: bool = Field(True, description="stop hopeless trials early (single-objective only)")
    prune_percentile: float = Field(
        25.0,
        gt=0.0,
        lt=100.0,
        description="a trial whose fold Sharpe is below this percentile of its island's "
        "completed trials at the same fold is stopped (50: the median)",
    )
    fit_gflop: float | None = Field(
        500.0,
        gt=0.0,
        description="compute budget of each fit in the search (and of the champion's refit), "
        "unless training.max_gflop is set; caps the epochs of large networks (part of one "
        "epoch when a single one costs more)",
    )
    fit_seconds: float | None = Field(
        None,
        gt=0.0,
        description="wall-time bound of each fit in the search (and of the champion's refit), "
        "unless training.max_seconds is set: training stops after the epoch that reaches it, "
        "keeping its best epoch; a safety net against a stalled machine (None: none)",
    )
    families: list[str] = Field(
        ["asset", "portfolio", "asset_attention"],
        min_length=1,
        description="registered model families to search (the family gene's choices)",
    )
    islands: bool = Field(
        True,
        description="each family in `families` evolves its own population (an island, no "
        "migration): population x generations trials per family, scaled by `family_budget`; "
        "false: one mixed population of population x generations trials",
    )
    family_budget: dict[str, float] = Field(
        {},
        description="islands only: family -> weight of its share of the trials (a family "
        "not named weighs 1); {}: equal shares",
    )
    jobs: int = Field(1, ge=1, description="worker processes on this machine")
    storage: str | None = Field(
        None, description="database URL; None: sqlite file search.db in the run directory"
    )
    study_name: str = Field("evofolio", min_length=1, description="Optuna study name")
    artifacts: str | None = Field(
        None,
        description="where trial files go so every machine sees them: a directory every "
        "machine mounts, or s3://bucket/prefix; None: the run directory (one machine)",
    )
    sync_generations: bool | None = Field(
        None,
        description="no trial of generation g+1 before generation g has its population of "
        "evaluated trials (complete or pruned); None: on when more than one process shares "
        "the study",
    )
    heartbeat_seconds: int = Field(
        30, ge=1, description="a trial silent for 2 x this long is failed and re-queued"
    )
    max_retry: int | None = Field(3, ge=0, description="re-queues of a stale trial's genome")
    space: SpaceConfig = SpaceConfig()

    @model_validator(mode="after")
    def _enough_parents(self) -> SearchConfig:
        if self.crossover in ("undx", "spx") and self.population < 3:
            raise ValueError(f"crossover {self.crossover!r} needs a population of at least 3")
        return self

    @model_validator(mode="after")
    def _budget_of_searched_families(self) -> SearchConfig:
        for name, weight in self.family_budget.items():
            if name not in self.families:
                raise ValueError(
                    f"family_budget.{name}: not a searched family; search.families is "
                    f"{', '.join(self.families)}"
                )
            if not weight > 0.0:
                raise ValueError(f"family_budget.{name}: weight must be > 0, got {weight}")
        return self
