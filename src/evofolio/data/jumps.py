"""Implausible one-day moves: unadjusted splits and quotes that switch units.

Two kinds of one-day price ratio ``r_t = p_t / p_{t-1}`` look like data errors rather than
markets:

* **persistent jumps near a split ratio**: ``r_t`` within :data:`TOLERANCE` in log terms
  (about 3 %: the day's own move on top of the split) of 1/k or k for k in
  :data:`SPLIT_FACTORS` (1:2, 1:3, 1:4, 1:5, 1:10 and the inverses; also x100), and the
  price does not come back within :data:`REVERSAL_DAYS` days: likely a split (or reverse
  split) the vendor did not back-adjust;
* **jumps that reverse**: ``|log r_t| >= log 1.9`` and within :data:`REVERSAL_DAYS` days the
  price is back to within a quarter of the jump (in log terms) of its level before it:
  likely a quote switching units (pence and pounds, cents and dollars: x100) or a bad tick.

A real crash (-20 %, -35 %) is neither: it is not near a split ratio, or it does not
reverse. The tolerance is what keeps Apple's real -51.8 % day of 2000-09-29 (ratio 0.4815)
from being read as a 2-for-1 split; in skfolio's S&P 500 data the one jump flagged is RRC
on 1990-04-10 (ratio 0.3332 after weeks of a stale quote: a data artefact). The prices are
never changed here: :func:`check_jumps` warns, raises or does nothing as
``data.on_suspect_jump`` says (``"warn"`` by default).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from evofolio.errors import DataError

logger = logging.getLogger(__name__)

OnSuspectJump = Literal["warn", "error", "ignore"]
ON_SUSPECT_JUMP: tuple[OnSuspectJump, ...] = ("warn", "error", "ignore")
SPLIT_FACTORS = (2, 3, 4, 5, 10, 100)
TOLERANCE = 0.03  # |log r - log target|: the day's own move on top of the split
REVERSAL_DAYS = 5
MIN_JUMP = float(np.log(1.9))
_OPTION = "data.on_suspect_jump / --on-suspect-jump (warn, error, ignore)"


@dataclass(frozen=True)
class SuspectJump:
    """One implausible move: ``asset`` went ``ratio`` times its previous close on ``date``."""

    asset: str
    date: pd.Timestamp
    ratio: float
    cause: str

    def message(self, source: str) -> str:
        """One line naming the source, the asset, the date, the ratio and the likely cause."""
        return (
            f"{source}: asset '{self.asset}', {self.date:%Y-%m-%d}: one-day price ratio "
            f"{self.ratio:.4g} ({100 * (self.ratio - 1):+.1f} %): likely {self.cause}; "
            "prices are left as they are"
        )


def find_suspect_jumps(prices: pd.DataFrame) -> list[SuspectJump]:
    """Every suspect one-day move of a clean price frame (dates x assets), by date then asset."""
    values = prices.to_numpy(dtype=np.float64)
    logs = np.log(values)
    steps = np.diff(logs, axis=0)  # steps[i] is the move from date i to date i + 1
    found: list[SuspectJump] = []
    back_until: dict[int, int] = {}  # asset -> last date of a reversal already reported
    for i, j in np.argwhere(np.abs(steps) >= MIN_JUMP - TOLERANCE):
        t, j = int(i) + 1, int(j)
        if t <= back_until.get(j, -1):
            continue  # the way back of a jump already reported
        step = float(steps[i, j])
        after = logs[t + 1 : t + 1 + REVERSAL_DAYS, j] - logs[t - 1, j]
        back = np.flatnonzero(np.abs(after) <= 0.25 * abs(step))
        if back.size:
            back_until[j] = t + 1 + int(back[0])
        cause = _reversal_cause(step) if back.size else _split_cause(step)
        if cause is not None:
            found.append(SuspectJump(str(prices.columns[j]), prices.index[t], np.exp(step), cause))
    found.sort(key=lambda jump: (jump.date, jump.asset))
    return found


def check_jumps(prices: pd.DataFrame, source: str, mode: OnSuspectJump = "warn") -> None:
    """Warn about (``"warn"``), refuse (``"error"``) or skip (``"ignore"``) suspect jumps."""
    if mode not in ON_SUSPECT_JUMP:
        raise DataError(f"unknown on_suspect_jump '{mode}': expected one of warn, error, ignore")
    if mode == "ignore":
        return
    jumps = find_suspect_jumps(prices)
    if not jumps:
        return
    if mode == "error":
        more = f" (and {len(jumps) - 1} more)" if len(jumps) > 1 else ""
        raise DataError(f"{jumps[0].message(source)}{more}; set {_OPTION} to go on")
    for jump in jumps:
        logger.warning("%s; see %s", jump.message(source), _OPTION)


def _split_cause(step: float) -> str | None:
    for factor in SPLIT_FACTORS:
        if abs(abs(step) - np.log(factor)) <= TOLERANCE:
            if factor == 100:
                return "a quote that switched units (x100: pence/pounds, cents/dollars)"
            if step < 0:
                return f"a {factor}-for-1 split left unadjusted (use split-adjusted closes)"
            return f"a 1-for-{factor} reverse split left unadjusted (use split-adjusted closes)"
    return None


def _reversal_cause(step: float) -> str:
    days = f"reversed within {REVERSAL_DAYS} days"
    if abs(abs(step) - np.log(100)) <= TOLERANCE:
        return f"a quote in other units for a few days (x100: pence/pounds), {days}"
    return f"a bad quote (a spike {days})"
