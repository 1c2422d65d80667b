"""The tear-sheet sections of the report: the champion next to the benchmark, and the genes.

:func:`tearsheet_section` (after the holdout table) shows, over the holdout: monthly returns,
calendar-year returns, the worst drawdowns, the rolling one-year Sharpe ratio, validation
then holdout growth, and how far the weights stray from 1/N and how much they trade.
:func:`genes_section` (after the search) shows Optuna's gene importances per model family
and its trial timeline. Each part says in one sentence how to read it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import pandas as pd

from evofolio.report import tearsheet, tearsheet_plots
from evofolio.report.importances import MIN_IMPORTANCE_TRIALS, family_study, timeline_study
from evofolio.report.markup import Figures, note, num, paragraph, section
from evofolio.report.plots import CHAMPION
from evofolio.report.rundir import RunRecord
from evofolio.report.search_stats import FAMILY, completed

__all__ = ["READING", "genes_section", "tearsheet_section"]

READING = {
    "monthly": "Each cell is one calendar month's compounded net return, in percent: look for "
    "runs of red months and for months where the champion and the benchmark differ in colour.",
    "yearly": "Each row compounds one calendar year's net returns (a partial year over its "
    "covered days); the difference column is champion minus benchmark, in percentage points.",
    "drawdowns": "Each row is one fall of the champion's wealth from a peak: when it began, when "
    "it bottomed, when (if ever) wealth regained the peak, how deep it went and how long it "
    "lasted in calendar days; deepest first.",
    "rolling": "Each point is the annualised Sharpe ratio of the previous {window} trading "
    "days: a champion line that stays above the benchmark's shows a lasting edge, one that "
    "crosses it often shows luck.",
    "chain": "Grey: the returns the champion was selected on (its validation folds in the "
    "search, before any holdout date); blue: the refitted champion on the untouched holdout. "
    "A slope that drops at the red line is the search's optimism showing.",
    "concentration": "The distance from 1/N is 0 for equal weights and approaches 2 for a "
    "portfolio in a single asset; turnover is the amount traded a year (1 = the whole "
    "portfolio once): a champion far from 1/N that trades a lot must earn its costs.",
    "importances": "Each bar is the share of the variation in the score (fitness, or validation "
    "Sharpe ratio) that a gene explains within that family's completed trials (Optuna's "
    "PED-ANOVA); genes the family ignores, and genes that never varied, are left out.",
    "timeline": "Each bar is one trial from start to end, coloured by outcome: long failed or "
    "pruned bars are wasted budget, gaps are idle workers.",
}
ROLLING_WINDOW = tearsheet.PERIODS_PER_YEAR


def _percent(value: float) -> str:
    return "-" if math.isnan(value) else f"{100.0 * value:.1f}%"


def _date(value: pd.Timestamp) -> str:
    return "not recovered" if pd.isna(value) else f"{value:%Y-%m-%d}"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], css_id: str) -> str:
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join(
        f"<tr><th>{escape(row[0])}</th>{''.join(f'<td>{escape(c)}</td>' for c in row[1:])}</tr>"
        for row in rows
    )
    return (
        f'<div class="scroll"><table class="metrics" id="{css_id}"><thead><tr>{header}</tr>'
        f"</thead><tbody>{body}</tbody></table></div>"
    )


def _net(record: RunRecord, name: str) -> pd.Series:
    rows = record.returns[record.returns["strategy"] == name].sort_values("date")
    return pd.Series(rows["net"].to_numpy(dtype=float), index=pd.DatetimeIndex(rows["date"]))


def _weights(record: RunRecord, name: str) -> pd.DataFrame:
    assert record.weights is not None
    rows = record.weights[record.weights["strategy"] == name].sort_values("date")
    assets = [a for a in record.run.assets if a in rows.columns] or [
        c
        for c in rows.columns
        if c not in ("date", "strategy") and pd.api.types.is_numeric_dtype(rows[c])
    ]
    return rows[assets]


def _concentration(record: RunRecord, names: Sequence[str]) -> str:
    rows = []
    for name in names:
        distance = math.nan
        if record.weights is not None:
            distance = tearsheet.distance_from_equal_weight(_weights(record, name))
        turnover = record.metrics.get(name, {}).get("annual_turnover", math.nan)
        rows.append([name, num(distance, 3), _percent(turnover)])
    head = ["Portfolio", "Mean distance from 1/N, Σ|w − 1/N|", "Annual turnover"]
    parts = [_table(head, rows, "concentration")]
    if record.weights is None:
        parts.append(note("No holdout/weights.parquet: the distance from 1/N is not shown."))
    return "".join(parts)


def _chain(record: RunRecord, champion: pd.Series, figures: Figures) -> str:
    if record.validation is None or record.validation_trial is None:
        return note("No validation returns for the champion's trial under trials/: not shown.")
    chain = tearsheet.validation_then_holdout(record.validation, champion)
    fig = tearsheet_plots.validation_holdout_figure(
        chain, record.champion.trial, record.validation_trial
    )
    return figures.embed(fig)


def tearsheet_section(record: RunRecord, figures: Figures) -> str:
    """The champion next to ``record.benchmark`` over the holdout (see the module docstring)."""
    benchmark = record.benchmark
    strategies = set(record.strategies)
    title = f"Tear sheet: the champion next to the benchmark ({benchmark})"
    if CHAMPION not in strategies:
        return section("tearsheet", title, [note("No champion in holdout/returns.parquet.")])
    if benchmark not in strategies:
        return section(
            "tearsheet",
            title,
            [note(f"The benchmark '{benchmark}' has no returns in holdout/returns.parquet.")],
        )
    champion, other = _net(record, CHAMPION), _net(record, benchmark)
    body = [
        paragraph(
            f"Over the holdout, net of costs. The benchmark is {benchmark}: it trades the same "
            "dates with the same rules and costs."
        ),
        "<h3>Monthly returns</h3>",
        figures.embed(
            tearsheet_plots.monthly_heatmap_figure(tearsheet.monthly_returns(champion), CHAMPION)
        ),
        figures.embed(
            tearsheet_plots.monthly_heatmap_figure(tearsheet.monthly_returns(other), benchmark)
        ),
        paragraph(READING["monthly"], "reading"),
        "<h3>Calendar years</h3>",
    ]
    years = tearsheet.calendar_year_returns(champion, other)
    rows = [[str(y), *(_percent(float(v)) for v in years.loc[y])] for y in years.index]
    body += [
        _table(["Year", CHAMPION, benchmark, "Difference"], rows, "years"),
        paragraph(READING["yearly"], "reading"),
        "<h3>The champion's worst drawdowns</h3>",
    ]
    worst = tearsheet.worst_drawdowns(champion, 5)
    rows = [
        [
            *(_date(r[c]) for c in ("start", "trough", "recovery")),
            _percent(r["depth"]),
            str(r["days"]),
        ]
        for r in worst.to_dict("records")
    ]
    head = ["Start (peak)", "Trough", "Recovery", "Depth", "Length (days)"]
    body.append(
        _table(head, rows, "drawdowns") if rows else note("No drawdown: wealth never fell.")
    )
    body += [paragraph(READING["drawdowns"], "reading"), "<h3>Rolling one-year Sharpe ratio</h3>"]
    if len(champion) > ROLLING_WINDOW:
        rolling = pd.DataFrame(
            {
                CHAMPION: tearsheet.rolling_sharpe(champion, ROLLING_WINDOW),
                benchmark: tearsheet.rolling_sharpe(other, ROLLING_WINDOW),
            }
        ).dropna(how="all")
        body.append(figures.embed(tearsheet_plots.rolling_sharpe_figure(rolling, ROLLING_WINDOW)))
    else:
        body.append(note(f"The holdout has {len(champion)} days, not more than {ROLLING_WINDOW}."))
    body += [
        paragraph(READING["rolling"].format(window=ROLLING_WINDOW), "reading"),
        "<h3>Validation, then holdout</h3>",
        _chain(record, champion, figures),
        paragraph(READING["chain"], "reading"),
        "<h3>Distance from 1/N and turnover</h3>",
        _concentration(record, [CHAMPION, benchmark]),
        paragraph(READING["concentration"], "reading"),
    ]
    return section("tearsheet", title, body)


def genes_section(record: RunRecord, figures: Figures) -> str:
    """Gene importances per model family (Optuna), and the trials' timeline."""
    trials = record.trials
    done = completed(trials)
    body = ["<h3>Gene importances per model family</h3>"]
    families = done[FAMILY].astype(str) if FAMILY in done.columns else None
    for family in [] if families is None else sorted(families.unique()):
        study, genes = family_study(trials, family)
        n = len(study.trials)
        if n < MIN_IMPORTANCE_TRIALS:
            body.append(
                note(
                    f"{family} family: {n} completed trials, fewer than "
                    f"{MIN_IMPORTANCE_TRIALS}: too few to rank the genes."
                )
            )
        elif not genes:
            body.append(note(f"{family} family: no gene varied across its trials."))
        else:
            body.append(figures.embed(tearsheet_plots.importances_figure(study, family, genes)))
    if families is None or families.empty:
        body.append(note("No completed trial with a model family: no importances."))
    body += [paragraph(READING["importances"], "reading"), "<h3>Trial timeline</h3>"]
    timeline = timeline_study(trials)
    if timeline is None or not timeline.trials:
        body.append(note("trials.parquet has no start times: no timeline."))
    else:
        body.append(figures.embed(tearsheet_plots.timeline_figure(timeline)))
    body.append(paragraph(READING["timeline"], "reading"))
    return section("genes", "The search's genes and timeline", body)
