"""`evofolio evolve` and `evofolio run`: the genetic search, the champion, the holdout."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from evofolio.cli.common import (
    ConfigOpt,
    DataOpt,
    DelistingOpt,
    DeviceOpt,
    FormatOpt,
    MarketOpt,
    PriceColumnOpt,
    QuietOpt,
    RaggedOpt,
    SuspectJumpOpt,
    TimezoneOpt,
    UniverseOpt,
    VerboseOpt,
    classic_progress,
    console,
    handle_errors,
    resolve_config,
    setup_logging,
)
from evofolio.cli.search_display import SearchDisplay
from evofolio.config.space import PARETO_PICKS
from evofolio.errors import UsageError

if TYPE_CHECKING:
    from evofolio.api.search import RunResult
    from evofolio.config import RunConfig

PopulationOpt = Annotated[
    int | None,
    typer.Option(help="Genomes per generation (default from the config; run: 12, evolve: 16)."),
]
GenerationsOpt = Annotated[
    int | None, typer.Option(help="Generations (default from the config; run: 5, evolve: 8).")
]
JobsOpt = Annotated[
    int | None,
    typer.Option("--jobs", "-j", help="Genomes evaluated at once, each in its own process."),
]
StorageOpt = Annotated[
    str | None,
    typer.Option(
        help="Optuna storage URL (default: sqlite in the run directory); e.g. "
        "postgresql://user@host/db to spread workers over machines."
    ),
]
ArtifactsOpt = Annotated[
    str | None,
    typer.Option(
        help="Where every machine's trial files and the champion go: a directory all machines "
        "mount, or s3://bucket/prefix (default: the run directory, one machine)."
    ),
]
StudyOpt = Annotated[str | None, typer.Option("--study", help="Study name (default: evofolio).")]
SeedOpt = Annotated[int | None, typer.Option(help="Random seed of the whole run (default 0).")]
PickOpt = Annotated[
    str,
    typer.Option(
        help=f"Multi-objective: champion from the Pareto front by {', '.join(PARETO_PICKS)}."
    ),
]


def run_and_print(
    config: RunConfig, out: Path, pick: str, *, report: bool, **search: Any
) -> RunResult:
    """Run the pipeline (:func:`evofolio.run`, ``search``: its population, generations, jobs,
    storage, study and seed options) with a live display, print the holdout table."""
    if pick not in PARETO_PICKS:
        raise UsageError(f"--pareto-pick must be one of {', '.join(PARETO_PICKS)}, got '{pick}'")
    from evofolio.api.search import run  # torch and the search: only when a command runs
    from evofolio.report.tables import metrics_table

    jobs = search.get("jobs") or config.search.jobs
    with SearchDisplay() as display, classic_progress(display.progress, jobs, status_column=True):
        result = run(
            config,
            out=out,
            pareto_pick=pick,
            report=report,
            **search,
            on_event=display,
            on_stage=lambda text: console.print(text),
        )
    periods = result.pipeline.periods
    config = result.config
    title = (
        f"holdout {periods.holdout[0]:%Y-%m-%d} to {periods.holdout[-1]:%Y-%m-%d} "
        f"(never seen by the search), rebalance {config.backtest.rebalance}, "
        f"{config.backtest.cost_bps:g} bps (net)"
    )
    console.print(metrics_table(result.holdout_rows(), title))
    stats = result.pipeline.statistics
    pbo = "n/a (needs 2 completed trials)" if stats.pbo is None else f"{stats.pbo.pbo:.2f}"
    dsr = stats.dsr.dsr
    active = "n/a" if stats.active_pbo is None else f"{stats.active_pbo.pbo:.2f}"
    console.print(
        f"champion: trial {result.champion_trial} ({result.champion_config.model.family}), "
        f"a seed ensemble of {config.champion.seeds}; N = {stats.n_evaluated} configurations "
        f"tried ({stats.n_configs} completed + {stats.n_pruned} pruned; a clone of an earlier "
        "genome counts once, the report's Search section lists every trial); probability of "
        f"backtest overfitting {active} on the "
        f"returns over {stats.benchmark}, {pbo} on the raw returns; deflated Sharpe vs zero "
        f"{'n/a' if math.isnan(dsr) else f'{dsr:.2f}'} (not the verdict)",
        soft_wrap=True,
    )
    return result


def print_families(comparison: dict[str, Any] | None) -> None:
    """One line per searched family: its champion's validation fitness and holdout Sharpe
    with its interval; then the pairwise differences (Holm-adjusted)."""
    if not comparison:
        return
    level = round(100 * float(comparison["confidence"]))
    for row in comparison["families"]:
        counts = row["trials"]
        tried = f"{counts['completed']} completed, {counts['pruned']} pruned"
        if row["trial"] is None:
            console.print(f"family {row['family']}: no completed trial ({tried})")
            continue
        sharpe = row["holdout"]["sharpe"]
        interval = row["sharpe_interval"]
        mark = " (the champion)" if row["overall_champion"] else ""
        console.print(
            f"family {row['family']}{mark}: trial {row['trial']}, validation "
            f"{row['validation']['objective']} {_num(row['validation']['champion'])} "
            f"({tried}); holdout Sharpe {_num(sharpe)} ({level} % CI "
            f"[{_num(interval['low'])}, {_num(interval['high'])}]); "
            f"{_num(row.get('distance_from_equal_weight'))} from 1/N, correlation "
            f"{_num(row.get('correlation_with_benchmark'))} with {comparison['benchmark']}",
            soft_wrap=True,
        )
    for pair in comparison["pairs"]:
        console.print(
            f"  {pair['first']} - {pair['second']}: Sharpe difference "
            f"{_num(pair['difference'], '+')} ({level} % CI [{_num(pair['ci_low'], '+')}, "
            f"{_num(pair['ci_high'], '+')}], Holm-adjusted p = {_num(pair['p_holm'])})",
            soft_wrap=True,
        )


def _num(value: float | None, sign: str = "") -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:{sign}.2f}"


def print_verdict(result: RunResult) -> None:
    """The family champions, the seed spread, the break-even costs, and the verdict as the
    last line."""
    print_families(result.verdict.get("families"))
    seeds = result.verdict["seeds"]["holdout_sharpe"]
    costs = result.verdict["costs"]
    breaks = costs["break_even_bps"]

    def bps(key: str) -> str:
        value = breaks[key]
        if value is not None:
            return f"{value:.1f} bps"
        if costs["no_break_even"].get(key) == "behind":
            return "none (behind at 0 bps)"
        return f"none (ahead up to {costs['max_bps']:g} bps)"

    if seeds["min"] is not None:
        benchmark = result.pipeline.benchmark.name
        versus = f"break-even cost vs {benchmark} {bps('benchmark')}"
        if costs["best_classic"] != benchmark:  # the best classic rule is another one
            versus += f", vs {costs['best_classic']} {bps('best_classic')}"
        console.print(
            f"holdout Sharpe by seed: min {seeds['min']:.2f}, median {seeds['median']:.2f}, "
            f"max {seeds['max']:.2f}; {versus}"
        )
    console.print(f"verdict: {result.verdict['verdict']['text']}", soft_wrap=True)


@handle_errors
def evolve_command(
    config: ConfigOpt = None,
    data: DataOpt = None,
    fmt: FormatOpt = None,
    market: MarketOpt = None,
    timezone: TimezoneOpt = None,
    on_suspect_jump: SuspectJumpOpt = None,
    price_column: PriceColumnOpt = None,
    ragged: RaggedOpt = None,
    universe: UniverseOpt = None,
    delisting_return: DelistingOpt = None,
    population: PopulationOpt = None,
    generations: GenerationsOpt = None,
    jobs: JobsOpt = None,
    storage: StorageOpt = None,
    study: StudyOpt = None,
    artifacts: ArtifactsOpt = None,
    worker_only: Annotated[
        bool,
        typer.Option(
            "--worker-only",
            help="Only evaluate trials of the shared study (--storage, --artifacts, --study) "
            "until its target, then exit; the coordinator picks the champion.",
        ),
    ] = False,
    seed: SeedOpt = None,
    pareto_pick: PickOpt = "sharpe",
    device: DeviceOpt = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Run directory.")] = Path("runs/evolve"),
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Evolve the model families (asset, portfolio, asset_attention) with a genetic algorithm
    on the development period, then refit the champion and trade the holdout once.

    Running the same command again resumes the search (completed trials are kept); several
    processes or machines may share one `--storage` (with `--artifacts`, and
    `--worker-only` on all machines but the coordinator). Writes trials.parquet, trials/,
    champion/ and holdout/ under the run directory.
    """
    setup_logging(verbose, quiet)
    base = resolve_config(
        config,
        data,
        fmt,
        market,
        timezone=timezone,
        on_suspect_jump=on_suspect_jump,
        price_column=price_column,
        device=device,
        ragged=ragged,
        universe=universe,
        delisting_return=delisting_return,
    )
    if worker_only:
        if storage is None:
            raise UsageError("--worker-only needs --storage (the coordinator's database URL)")
        from evofolio.api.search import search_worker

        with SearchDisplay() as display:
            done = search_worker(
                base,
                out=out,
                storage=storage,
                artifacts=artifacts,
                study=study,
                jobs=jobs,
                population=population,
                generations=generations,
                seed=seed,
                on_event=display,
            )
        console.print(
            f"worker done: study {done.study_name!r} holds {done.counts.spent} evaluated "
            f"trials ({done.counts.pruned} pruned; target {done.target}); the coordinator picks "
            "the champion"
        )
        return
    result = run_and_print(
        base,
        out,
        pareto_pick,
        report=False,
        population=population,
        generations=generations,
        jobs=jobs,
        storage=storage,
        study=study,
        artifacts=artifacts,
        seed=seed,
    )
    console.print(f"wrote {out}/trials.parquet, champion/, holdout/, families/")
    print_verdict(result)


@handle_errors
def run_command(
    config: ConfigOpt = None,
    data: DataOpt = None,
    fmt: FormatOpt = None,
    market: MarketOpt = None,
    timezone: TimezoneOpt = None,
    on_suspect_jump: SuspectJumpOpt = None,
    price_column: PriceColumnOpt = None,
    ragged: RaggedOpt = None,
    universe: UniverseOpt = None,
    delisting_return: DelistingOpt = None,
    quick: Annotated[
        bool,
        typer.Option(
            "--quick",
            help="The same pipeline on a demonstration budget (quick preset: 1 min 56 s on sp500, "
            "1 min 07 s on 15 assets x 8 years, 2 cores; see benchmarks/RESULTS.md).",
        ),
    ] = False,
    population: PopulationOpt = None,
    generations: GenerationsOpt = None,
    jobs: JobsOpt = None,
    storage: StorageOpt = None,
    study: StudyOpt = None,
    artifacts: ArtifactsOpt = None,
    seed: SeedOpt = None,
    pareto_pick: PickOpt = "sharpe",
    device: DeviceOpt = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Run directory.")] = Path("runs/run"),
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """The main job: data → features → strategy panel → genetic search over the model
    families → champion → holdout backtest against every classic strategy → report.html.

    Without --config it uses the `default` budget (configs/default.toml; 6 min 40 s from a
    fresh clone on an idle 2-core machine, see benchmarks/RESULTS.md); --quick uses the
    `quick` one (1 min 56 s on sp500 with 2 cores, the strategy panel cached).
    """
    setup_logging(verbose, quiet)
    if quick and config is not None:
        raise UsageError("give --quick or --config, not both")
    base = resolve_config(
        config,
        data,
        fmt,
        market,
        timezone=timezone,
        on_suspect_jump=on_suspect_jump,
        price_column=price_column,
        ragged=ragged,
        universe=universe,
        delisting_return=delisting_return,
        preset="quick" if quick else "default",
        device=device,
    )
    result = run_and_print(
        base,
        out,
        pareto_pick,
        report=True,
        population=population,
        generations=generations,
        jobs=jobs,
        storage=storage,
        study=study,
        artifacts=artifacts,
        seed=seed,
    )
    console.print(f"wrote {result.report}")
    print_verdict(result)
