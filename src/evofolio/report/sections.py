"""The report's sections as HTML fragments, in the order of the page.

Each ``*_section`` function takes the run record (and the
:class:`~evofolio.report.markup.Figures` collector, which numbers and embeds Plotly figures
without their library) and returns one ``<section>``. Every text from the run directory is
escaped here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from html import escape
from typing import Any

from evofolio.metrics import METRIC_LABELS
from evofolio.report import plots, search_plots, search_stats, text
from evofolio.report.markup import Figures, kv_table, note, num, paragraph, section
from evofolio.report.rundir import RunRecord
from evofolio.report.tables import TABLE_COLUMNS, format_metric

__all__ = [
    "active_block",
    "assumptions_section",
    "champion_section",
    "holdout_section",
    "html_metrics_table",
    "ordered_strategies",
    "performance_section",
    "search_section",
    "survivorship_section",
]

# Columns where a smaller value is better (the rest: larger is better).
SMALLER_IS_BETTER = {
    "volatility",
    "downside_deviation",
    "max_drawdown",
    "cvar_95",
    "annual_turnover",
}
GLOSSARY = {
    "mean_return": "annualised mean daily return",
    "volatility": "annualised standard deviation of daily returns",
    "sharpe": "E(R) / Std (no risk-free rate)",
    "downside_deviation": "annualised downside deviation (returns below 0)",
    "sortino": "E(R) / downside deviation",
    "max_drawdown": "largest fall from a running peak",
    "calmar": "compound annual growth / maximum drawdown",
    "cvar_95": "average daily loss on the worst 5% of days",
    "positive_share": "share of days with a positive return",
    "profit_loss_ratio": "average gain on up days / average loss on down days",
    "annual_turnover": "traded amount per year (1 = the whole portfolio once)",
}


def ordered_strategies(metrics: Mapping[str, object]) -> list[str]:
    """Champion first, the classic rules in file order, the equal blend last."""
    middle = [n for n in metrics if n not in (plots.CHAMPION, plots.EQUAL_BLEND)]
    first = [plots.CHAMPION] if plots.CHAMPION in metrics else []
    last = [plots.EQUAL_BLEND] if plots.EQUAL_BLEND in metrics else []
    return first + middle + last


def _best(metrics: Mapping[str, Mapping[str, float]], key: str) -> float:
    values = [m.get(key, math.nan) for m in metrics.values()]
    finite = [v for v in values if not math.isnan(v)]
    if not finite:
        return math.nan
    return min(finite) if key in SMALLER_IS_BETTER else max(finite)


def _metrics_table(metrics: Mapping[str, Mapping[str, float]]) -> str:
    """Portfolios × metrics as an HTML table, the champion first, the best value bold."""
    head = "".join(
        f'<th title="{escape(GLOSSARY.get(k, ""))}">{escape(METRIC_LABELS.get(k, k))}</th>'
        for k in TABLE_COLUMNS
    )
    best = {key: _best(metrics, key) for key in TABLE_COLUMNS}
    rows = []
    for name in ordered_strategies(metrics):
        values = metrics[name]
        cells = "".join(
            f'<td class="{"best" if values.get(k, math.nan) == best[k] else ""}">'
            f"{escape(format_metric(k, values.get(k, math.nan)))}</td>"
            for k in TABLE_COLUMNS
        )
        css = ' class="champion"' if name == plots.CHAMPION else ""
        rows.append(f'<tr{css} data-strategy="{escape(name)}"><th>{escape(name)}</th>{cells}</tr>')
    return (
        f'<div class="scroll"><table class="metrics"><thead><tr><th>Portfolio</th>{head}</tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


html_metrics_table = _metrics_table


def holdout_section(record: RunRecord) -> str:
    """The holdout table, the deflated Sharpe ratio and the probability of overfitting."""
    metrics = dict(record.metrics)
    if plots.CHAMPION not in metrics and record.champion.holdout:
        metrics[plots.CHAMPION] = record.champion.holdout
    first, last = record.run.holdout
    days = metrics.get(plots.CHAMPION, {}).get("n_days", math.nan)
    glossary = "; ".join(f"{METRIC_LABELS[k]}: {v}" for k, v in GLOSSARY.items())
    dsr = record.champion.dsr
    dsr_rows = {
        "Deflated Sharpe ratio vs zero": num(dsr.get("dsr", math.nan), 3),
        "Probabilistic Sharpe ratio (vs 0)": num(dsr.get("psr", math.nan), 3),
        "Sharpe ratio (annualised)": num(dsr.get("sr", math.nan) * math.sqrt(252)),
        "Best of the trials by luck, SR* (annualised)": num(
            dsr.get("sr_star", math.nan) * math.sqrt(252)
        ),
        "Trials tried, N (see Search) / observations": f"{num(dsr.get('n_trials', math.nan), 0)} / "
        f"{num(dsr.get('n_obs', math.nan), 0)}",
    }
    n_complete = len(search_stats.completed(record.trials))
    pbo = record.champion.pbo
    pbo_block = note("PBO: not computed.")
    if pbo is not None:
        pbo_block = kv_table(
            {
                "Probability of backtest overfitting": num(pbo.get("pbo", math.nan), 3),
                "Combinations / blocks / configurations": " / ".join(
                    num(pbo.get(k, math.nan), 0)
                    for k in ("n_combinations", "n_blocks", "n_configs")
                ),
            }
        )
    return section(
        "holdout",
        "Holdout: champion vs the classic strategies",
        [
            paragraph(
                f"Out of sample, {first} to {last} ({num(days, 0)} trading days), net of "
                f"costs. The holdout was touched once, by the champion, after the search. "
                "Bold: best in its column."
            ),
            _metrics_table(metrics),
            paragraph(glossary, "caption"),
            '<div class="stats"><div class="stat" id="dsr">',
            "<h3>Deflated Sharpe ratio vs zero (not the verdict)</h3>",
            kv_table(dsr_rows),
            paragraph(text.dsr_sentence(dsr), "reading"),
            '</div><div class="stat" id="pbo"><h3>Probability of backtest overfitting</h3>',
            pbo_block,
            paragraph(text.pbo_sentence(pbo, n_complete), "reading"),
            "</div></div>",
        ],
    )


def active_block(returns: Any, benchmark: str, figures: Figures, who: str = "champion") -> str:
    """The cumulative active return of ``who`` (the ``champion`` rows) over ``benchmark``,
    net, with its final value in words; a note when either has no returns."""
    present = set(returns["strategy"])
    if plots.CHAMPION not in present or benchmark not in present:
        return note(f"No cumulative active return: no returns of the {who} or of {benchmark}.")
    final = float(plots.active_wealth(returns, benchmark).iloc[-1])
    return figures.embed(
        plots.active_return_figure(returns, benchmark, who),
        f"The {who}'s growth of 1 divided by {benchmark}'s, minus 1, both net of costs: "
        f"{final:+.1%} at the end. Rising where the {who} did better than {benchmark}.",
    )


def survivorship_section(record: RunRecord) -> str:
    """The survivorship bias of a ragged universe over the holdout (equal weight on the
    point-in-time universe beside the survivors only); "" for a rectangle."""
    bias = record.champion.verdict.get("survivorship")
    if not bias:
        return ""
    honest, only = bias["point_in_time"], bias["survivors_only"]
    rows = {
        "Assets / alive at the last date / exits": f"{bias['assets']} / {bias['survivors']} / "
        f"{bias['exits']}",
        "Delistings applied (equal weight, holdout)": str(bias["delistings_applied"]),
        "Equal weight, point in time: Sharpe / mean return": f"{num(honest['sharpe'])} / "
        f"{num(100 * honest['mean_return'], 1)} %",
        "Equal weight, survivors only: Sharpe / mean return": f"{num(only['sharpe'])} / "
        f"{num(100 * only['mean_return'], 1)} %",
        "Survivorship bias (Sharpe, survivors only minus point in time)": (
            f"{round(bias['bias_sharpe'], 2) + 0.0:+.2f}"
        ),
    }
    return section(
        "survivorship",
        "Survivorship bias of this universe",
        [
            paragraph(
                "The universe is ragged (assets list and delist). Every result above is point "
                "in time: an asset is held only while it is a member, alive and warm, and a "
                "delisting closes the position at the last price times (1 + its delisting "
                "return). Below, equal weight over the holdout on the assets alive at the "
                "data's last date only, as a survivorship-biased backtest would see them."
            ),
            kv_table(rows),
        ],
    )


def performance_section(record: RunRecord, figures: Figures) -> str:
    """Cumulative returns (log scale), the cumulative active return over the benchmark and
    drawdowns of every strategy."""
    return section(
        "performance",
        "Cumulative returns and drawdowns",
        [
            figures.embed(plots.cumulative_returns_figure(record.returns)),
            active_block(record.returns, record.benchmark, figures),
            figures.embed(plots.drawdowns_figure(record.returns)),
        ],
    )


def _selection_sentence(record: RunRecord) -> str:
    champion = record.champion
    values = champion.values
    if record.run.multi_objective and len(values) >= 3:
        return (
            "Chosen on the development period by the multi-objective search: validation Sharpe "
            f"ratio {num(values[0])}, maximum drawdown {format_metric('max_drawdown', values[1])}"
            f", annual turnover {format_metric('annual_turnover', values[2])}."
        )
    score = champion.fitness if not math.isnan(champion.fitness) else (values or [math.nan])[0]
    return (
        "Chosen on the development period with fitness (mean fold Sharpe − λ·std across the "
        f"walk-forward folds) {num(score, 3)}."
    )


def champion_section(record: RunRecord, figures: Figures) -> str:
    """The champion's genome in words and its weights over the holdout."""
    champion = record.champion
    sentences = "".join(
        f"<li>{escape(s)}</li>" for s in text.genome_sentences(champion.genome, champion.family)
    )
    has_weights = bool((record.held["strategy"] == plots.CHAMPION).any())
    weights = (
        figures.embed(plots.weights_figure(record.held, record.run.assets))
        if has_weights
        else note("No champion rows in holdout/held.parquet: no weights to show.")
    )
    details = record.config if record.config is not None else champion.genome
    label = "Full configuration" if record.config is not None else "Genes"
    return section(
        "champion",
        f"The champion: trial {champion.trial} ({champion.family} family)",
        [
            paragraph(_selection_sentence(record)),
            f'<ul class="genome">{sentences}</ul>',
            weights,
            f"<details><summary>{label} (JSON)</summary><pre>"
            f"{escape(json.dumps(details, indent=2, default=str))}</pre></details>",
        ],
    )


def search_section(record: RunRecord, figures: Figures) -> str:
    """Fitness per generation, failures, Pareto front, families and feature choices."""
    trials, search = record.trials, record.run.search
    done = search_stats.completed(trials)
    body = [
        paragraph(
            f"{trials['generation'].nunique()} generations of population "
            f"{search.get('population', '?')} evaluated genomes, pruned ones included (target "
            f"{search.get('generations', '?')} generations, {search.get('folds', '?')} "
            f"walk-forward folds, λ = {search.get('fold_lambda', '?')}). "
            + search_stats.trial_count_sentence(trials)
        )
    ]
    if len(trials):
        body.append(figures.embed(search_plots.trial_states_figure(trials)))
    errors = search_stats.error_counts(trials)
    if errors:
        items = "".join(f"<li><code>{escape(m)}</code> ({n}×)</li>" for m, n in errors)
        body.append(f'<p>Most frequent errors of failed trials:</p><ul class="errors">{items}</ul>')
    if done.empty:
        body.append(note("No trial completed: there is no fitness to plot."))
        return section("search", "The search", body)
    body.append(figures.embed(search_plots.fitness_by_generation_figure(trials)))
    body.append(
        figures.embed(
            search_plots.efficiency_figure(trials),
            f"The search's efficiency curve ({search.get('sampler', 'nsga2')} sampler): the "
            "best validation score found so far against the trials evaluated (pruned ones "
            "included), over all trials and, per family, over that family's own trials. "
            "Validation scores only, the same that chose the champion: a curve that stops "
            "rising says more trials bought little there; it does not say how a random search "
            "would have done (evofolio validate --samplers nsga2,random answers that).",
        )
    )
    if record.run.multi_objective and "max_drawdown" in done.columns:
        body.append(figures.embed(search_plots.pareto_figure(trials, record.champion.trial)))
    else:
        body.append(note("Single-objective search: there is no Pareto front to show."))
    families = done.get(search_stats.FAMILY)
    n_families = 0 if families is None else families.nunique()
    body.append(figures.embed(search_plots.family_fitness_figure(trials)))
    if n_families <= 1:
        body.append(note("Only one model family was searched: no comparison between families."))
    final = search_stats.feature_frequency(trials)
    if final is None:
        body.append(note("No feature genes in the trials: feature selection not shown."))
    else:
        who = "genomes"
        if final.family_only:
            who = "asset-family genomes (the family that reads features)"
        caption = f"Over the {final.size} completed {who} of generation {final.generation}."
        body.append(figures.embed(search_plots.feature_frequency_figure(final), caption))
    return section("search", "The search", body)


def _classic_text(strategies: dict[str, Any]) -> str:
    """The classic rules' window and covariance estimator, as recorded in ``run.json``."""
    if not strategies:
        return "n/a (not recorded by this run)"
    chosen = strategies.get("covariance", "?")
    setting = strategies.get("covariance_setting", chosen)
    how = (
        f"{chosen} (auto: Ledoit-Wolf shrinkage when the assets outnumber 0.1 x the window, "
        "else the sample covariance)"
        if setting == "auto"
        else str(chosen)
    )
    return f"refit on a trailing {strategies.get('window', '?')}-day window; covariance {how}"


def assumptions_section(record: RunRecord) -> str:
    """Periods, costs, rebalancing and the limits of the data."""
    run = record.run
    search = run.search
    rows = {
        "Data": f"{run.source} (market series: {run.market_source or 'n/a'})",
        "Assets": f"{len(run.assets)}: {', '.join(run.assets)}",
        "Development period (search)": f"{run.development[0]} to {run.development[1]}",
        "Holdout period (champion only, once)": f"{run.holdout[0]} to {run.holdout[1]}",
        "Rebalancing": text.rebalance_text(run.rebalance),
        "Trading costs": f"{num(run.cost_bps, 1)} bps of the traded amount, on every trade",
        "Volatility target": "none"
        if run.vol_target is None
        else f"{100 * run.vol_target:.0f}% a year per asset",
        "Search": f"population {search.get('population', '?')} × "
        f"{search.get('generations', '?')} generations; families "
        f"{', '.join(search.get('families', [])) or '?'}; "
        f"{'multi' if run.multi_objective else 'single'}-objective",
        "Classic rules": _classic_text(run.strategies),
        "Seed": str(run.seed),
        "Run": f"{run.started} to {run.finished} ({num(run.seconds, 0)} s)",
        "evofolio version": run.version,
    }
    return section(
        "assumptions",
        "Periods, assumptions and the data's limits",
        [
            kv_table(rows),
            paragraph(
                "Weights decided at the close of a day earn the next day's returns; costs are "
                "charged on the traded amount, and weights drift with prices between rebalances."
            ),
            paragraph(text.dataset_note(run.source), "callout"),
        ],
    )
