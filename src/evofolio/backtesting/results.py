"""What a backtest produces, and how it is written to disk."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evofolio.metrics import summarize

FALLBACK_COLUMNS = ("date", "cause", "held")
"""Columns of a fallback table: decision date, why the rule could not be applied, what was held
instead (``"previous"``: the last decided weights; ``"equal_weight"``: 1/N, when there were none).
"""


def no_fallbacks() -> pd.DataFrame:
    """An empty fallback table (see :data:`FALLBACK_COLUMNS`)."""
    return pd.DataFrame(
        {"date": pd.DatetimeIndex([]), "cause": pd.Series([], dtype=object), "held": []},
        columns=list(FALLBACK_COLUMNS),
    ).astype({"held": object})


@dataclass(frozen=True)
class BacktestResult:
    """The outcome of simulating decided weights over a period.

    ``weights`` are the targets decided at the close of each decision date (decision dates ×
    assets). ``held`` are the weights actually held after trading at each date's close
    (dates × assets; they drift between rebalances and, with volatility targeting, need not sum
    to 1: the rest is cash). ``gross``, ``net``, ``turnover`` and ``costs`` are indexed by the
    date on which a return is realised: the value at *t+1* is the return from the close of *t*
    to the close of *t+1*, net of the cost of the trade made at the close of *t*, and that
    trade's one-way turnover ``sum |w_target - w_drifted|``.

    ``fallbacks`` lists the decision dates at which the allocator could not apply its rule (a
    classic rule whose optimiser failed) and what it held instead, one row per date (columns
    :data:`FALLBACK_COLUMNS`); :attr:`fallback_count` is its length.
    """

    weights: pd.DataFrame
    held: pd.DataFrame
    gross: pd.Series
    net: pd.Series
    turnover: pd.Series
    costs: pd.Series
    fallbacks: pd.DataFrame = field(default_factory=no_fallbacks)
    delistings: pd.DataFrame | None = None
    """With a ragged universe, one row per delisting applied to a held position: ``asset``,
    ``last_price`` (date), ``booked`` (the date the delisting return is booked), ``weight``
    (held at the last price's close) and ``delisting_return``."""

    @property
    def fallback_count(self) -> int:
        """How many decisions fell back (the rule could not be applied); 0 for a clean run."""
        return len(self.fallbacks)

    def metrics(self, net: bool = True) -> dict[str, float]:
        """The summary metrics (see :func:`evofolio.metrics.summarize`) of the returns."""
        returns = (self.net if net else self.gross).to_numpy(dtype=np.float64)
        return summarize(returns, turnover=self.turnover.to_numpy(dtype=np.float64))

    def returns_frame(self) -> pd.DataFrame:
        """Daily ``gross``, ``net``, ``turnover`` and ``cost`` columns, indexed by date."""
        frame = pd.DataFrame(
            {"gross": self.gross, "net": self.net, "turnover": self.turnover, "cost": self.costs}
        )
        frame.index.name = "date"
        return frame
