"""Rich tables for the terminal: metrics comparisons and data summaries."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from rich.table import Table

from evofolio.metrics import METRIC_LABELS

PERCENT = {
    "mean_return",
    "volatility",
    "downside_deviation",
    "max_drawdown",
    "cvar_95",
    "positive_share",
    "annual_turnover",
}
TABLE_COLUMNS = (
    "mean_return",
    "volatility",
    "sharpe",
    "downside_deviation",
    "sortino",
    "max_drawdown",
    "calmar",
    "cvar_95",
    "positive_share",
    "profit_loss_ratio",
    "annual_turnover",
)


def format_metric(key: str, value: float) -> str:
    """A metric as text: percentages for rates, two decimals for ratios."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if key in PERCENT:
        return f"{100.0 * value:.1f}%"
    if key == "n_days":
        return f"{int(value)}"
    return f"{value:.2f}"


def metrics_table(
    rows: Mapping[str, Mapping[str, float]],
    title: str,
    columns: Sequence[str] = TABLE_COLUMNS,
    extra: Mapping[str, str] | None = None,
) -> Table:
    """One row per portfolio, one column per metric. ``extra`` adds columns (key -> label)."""
    extra = dict(extra or {})
    table = Table(title=title, title_justify="left")
    table.add_column("Portfolio", style="bold")
    for key in columns:
        table.add_column(METRIC_LABELS.get(key, key), justify="right")
    for label in extra.values():
        table.add_column(label, justify="right")
    for name, metrics in rows.items():
        cells = [format_metric(key, metrics.get(key, math.nan)) for key in [*columns, *extra]]
        table.add_row(name, *cells)
    return table


def records_table(records: Sequence[Mapping[str, object]], title: str) -> Table:
    """A plain table from a list of uniform dicts (column order from the first record)."""
    table = Table(title=title, title_justify="left")
    if not records:
        return table
    for key in records[0]:
        table.add_column(str(key), justify="left" if key in ("asset", "status") else "right")
    for record in records:
        table.add_row(*(str(value) for value in record.values()))
    return table
