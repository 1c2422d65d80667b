"""Tear-sheet computations of the report: the champion next to the benchmark (pandas/numpy).

Plain functions, daily net returns in, tables out. A return dated *t* is the one earned from
the close before *t* to the close of *t* (by weights decided at the earlier close), so every
table here reads only returns up to its own date. Returns are simple (not log) returns;
periods are compounded: ``prod(1 + r) - 1``.

The conventions follow the common tear sheets (pyfolio, quantstats): monthly and yearly
returns compounded from daily ones, drawdown episodes measured on the wealth path, the
rolling Sharpe ratio as the annualised ratio of a trailing window's mean to its standard
deviation (risk-free rate 0, ``ddof=1``, as :func:`evofolio.metrics.sharpe_ratio`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = [
    "PERIODS_PER_YEAR",
    "calendar_year_returns",
    "distance_from_equal_weight",
    "monthly_returns",
    "rolling_sharpe",
    "validation_then_holdout",
    "worst_drawdowns",
]

PERIODS_PER_YEAR = 252
DRAWDOWN_COLUMNS = ("start", "trough", "recovery", "depth", "days")


def _compound(returns: pd.Series) -> float:
    return float(np.prod(1.0 + returns.to_numpy(dtype=float)) - 1.0)


def monthly_returns(returns: pd.Series) -> pd.DataFrame:
    """Compounded return of each calendar month: a (year × month 1..12) table.

    ``returns``: daily simple returns indexed by date. A month without any return is nan
    (so a partial first or last year shows only its months).
    """
    index = pd.DatetimeIndex(returns.index)
    grouped = returns.groupby([index.year, index.month]).apply(_compound)
    table = grouped.unstack()
    table.index.name, table.columns.name = "year", "month"
    return table.reindex(columns=range(1, 13)).astype(float)


def calendar_year_returns(champion: pd.Series, benchmark: pd.Series) -> pd.DataFrame:
    """Compounded return of each calendar year: columns ``champion, benchmark, difference``.

    Both series are daily simple returns indexed by date, over the same dates (the holdout);
    ``difference`` is champion − benchmark, in return units (0.01 = one percentage point).
    A year only partly covered is compounded over its covered days.
    """

    def by_year(series: pd.Series) -> pd.Series:
        return series.groupby(pd.DatetimeIndex(series.index).year).apply(_compound)

    table = pd.DataFrame({"champion": by_year(champion), "benchmark": by_year(benchmark)})
    table["difference"] = table["champion"] - table["benchmark"]
    table.index.name = "year"
    return table


def worst_drawdowns(returns: pd.Series, n: int = 5) -> pd.DataFrame:
    """The ``n`` deepest drawdown episodes of the wealth path ``cumprod(1 + returns)``.

    An episode is a maximal run of dates on which wealth is below its running peak (the
    starting wealth 1 counts as a peak). Columns: ``start`` (the last date at the peak before
    the fall; the first date of ``returns`` when the fall began on it), ``trough`` (the date of
    the lowest wealth), ``recovery`` (the first date wealth is back at the peak; NaT if it
    never is: "not recovered"), ``depth`` (lowest wealth / peak − 1, a negative fraction),
    ``days`` (calendar days from ``start`` to ``recovery``, or to the last date when not
    recovered). Deepest first; fewer rows when there are fewer episodes.
    """
    values = returns.to_numpy(dtype=float)
    dates = pd.DatetimeIndex(returns.index)
    wealth = np.cumprod(1.0 + values)
    peak = np.maximum.accumulate(np.concatenate([[1.0], wealth]))[1:]
    underwater = wealth < peak
    rows = []
    i = 0
    while i < len(values):
        if not underwater[i]:
            i += 1
            continue
        end = i
        while end < len(values) and underwater[end]:
            end += 1
        trough = i + int(np.argmin(wealth[i:end] / peak[i:end]))
        start = dates[i - 1] if i > 0 else dates[0]
        recovered = end < len(values)
        last = dates[end] if recovered else dates[-1]
        rows.append(
            {
                "start": start,
                "trough": dates[trough],
                "recovery": last if recovered else pd.NaT,
                "depth": float(wealth[trough] / peak[trough] - 1.0),
                "days": int((last - start).days),
            }
        )
        i = end
    table = pd.DataFrame(rows, columns=list(DRAWDOWN_COLUMNS))
    table = table.sort_values("depth", kind="stable").head(n).reset_index(drop=True)
    for column in ("start", "trough", "recovery"):
        table[column] = pd.to_datetime(table[column])
    return table


def rolling_sharpe(
    returns: pd.Series, window: int = PERIODS_PER_YEAR, periods_per_year: int = PERIODS_PER_YEAR
) -> pd.Series:
    """Annualised Sharpe ratio over the trailing ``window`` returns, dated at its last day.

    ``mean / std(ddof=1) * sqrt(periods_per_year)`` of the ``window`` returns up to and
    including each date (nan until ``window`` returns exist, and where they are all equal).
    Reference: Sharpe (1994), "The Sharpe ratio", over a moving window as in pyfolio.
    """
    rolling = returns.astype(float).rolling(window, min_periods=window)
    mean, std = rolling.mean(), rolling.std(ddof=1)
    spread = rolling.max() - rolling.min()
    ratio = mean / std * math.sqrt(periods_per_year)
    return ratio.where(spread > 0.0)


def distance_from_equal_weight(weights: pd.DataFrame) -> float:
    """Mean over decision dates of ``sum_i |w_i - 1/N|`` (0 for 1/N, at most 2 - 2/N).

    ``weights``: one row per decision date, one numeric column per asset (N columns); a
    missing weight counts as 0. nan without rows.
    """
    if weights.empty or weights.shape[1] == 0:
        return math.nan
    w = weights.to_numpy(dtype=float, na_value=0.0)
    return float(np.abs(w - 1.0 / w.shape[1]).sum(axis=1).mean())


def validation_then_holdout(validation: pd.Series, holdout: pd.Series) -> pd.DataFrame:
    """Growth of 1 over the validation returns, then continued over the holdout returns.

    Returns a frame indexed by date with ``wealth`` and ``period`` (``"validation"`` or
    ``"holdout"``); the holdout's wealth starts from the validation's last value. Dates of
    ``validation`` on or after the holdout's first date are dropped (they cannot precede it).
    """
    validation = validation.sort_index()
    holdout = holdout.sort_index()
    if len(holdout):
        validation = validation[validation.index < holdout.index[0]]
    chained = pd.concat([validation, holdout]).astype(float)
    period = ["validation"] * len(validation) + ["holdout"] * len(holdout)
    return pd.DataFrame(
        {"wealth": (1.0 + chained).cumprod().to_numpy(), "period": period},
        index=pd.DatetimeIndex(chained.index, name="date"),
    )
