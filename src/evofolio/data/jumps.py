"""Implausible one-day moves: unadjusted splits and quotes that switch units.

Three kinds of one-day price ratio ``r_t = p_t / p_{t-1}`` look like data errors rather than
markets:

* **persistent jumps near a split ratio**: ``r_t`` within :data:`TOLERANCE` in log terms
  (about 3 %: the day's own move on top of the split) of 1/k or k for k in
  :data:`SPLIT_FACTORS` (3:2, 2, 3, 4, 5, 8, 10, 15, 20, 25, 50 and the inverses; also x100),
  and the price does not come back within :data:`REVERSAL_DAYS` days: likely a split (or
  reverse split) the vendor did not back-adjust. For 3:2 the band is :data:`TOLERANCE_3_2`
  (1 %): real -33 % and +50 % days are common (in skfolio's S&P 500 data: BBY 1991-12-19,
  ratio 0.659; RRC 1998-10-19, 1.535; AMD 2002-10-03, 0.676, and 2016-04-22, 1.523, all
  outside 1 % of 2/3 or 3/2 and inside 3 %). 5:4 is left out on purpose: a real -20 % day
  is a ratio of exactly 0.8;
* **other persistent jumps of x5 or more** (or /5, :data:`IMPLAUSIBLE`), whatever the ratio:
  a data error or an unadjusted corporate action;
* **jumps that reverse**: ``|log r_t| >= log 1.9`` and within :data:`REVERSAL_DAYS` days the
  price is back to within a quarter of the jump (in log terms) of its level before it:
  likely a quote switching units (pence and pounds, cents and dollars: x100) or a bad tick.

A real crash (-20 %, -55 %) is none of these: it is not near a split ratio, or it does not
reverse. The tolerance is what keeps Apple's real -51.8 % day of 2000-09-29 (ratio 0.4815)
from being read as a 2-for-1 split. In skfolio's S&P 500 data the one jump flagged is
RRC on 1990-04-10 (ratio 0.3332 after weeks of a stale quote: a data artefact). The prices
are never changed here: :func:`check_jumps` warns, raises or does nothing as
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
SPLIT_FACTORS = (1.5, 2, 3, 4, 5, 8, 10, 15, 20, 25, 50, 100)
TOLERANCE = 0.03  # |log r - log target|: the day's own move on top of the split
TOLERANCE_3_2 = 0.01  # 3:2 and 2:3 only: real -33 % / +50 % days are common
REVERSAL_DAYS = 5
MIN_JUMP = float(np.log(1.9))  # the smallest jump whose reversal is reported
IMPLAUSIBLE = 5.0  # a persistent one-day ratio beyond x5 or /5 is reported whatever it is
_SCAN = float(np.log(min(SPLIT_FACTORS))) - TOLERANCE_3_2
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
            f"{self.ratio:.4g} ({100 * (self.ratio - 1):+.1f} %): likely {self.cause}"
        )


def find_suspect_jumps(prices: pd.DataFrame) -> list[SuspectJump]:
    """Every suspect one-day move of a clean price frame (dates x assets), by date then asset."""
    values = prices.to_numpy(dtype=np.float64)
    logs = np.log(values)
    steps = np.diff(logs, axis=0)  # steps[i] is the move from date i to date i + 1
    found: list[SuspectJump] = []
    back_until: dict[int, int] = {}  # asset -> last date of a reversal already reported
    for i, j in np.argwhere(np.abs(steps) >= _SCAN):
        t, j = int(i) + 1, int(j)
        if t <= back_until.get(j, -1):
            continue  # the way back of a jump already reported
        step = float(steps[i, j])
        after = logs[t + 1 : t + 1 + REVERSAL_DAYS, j] - logs[t - 1, j]
        back = np.flatnonzero(np.abs(after) <= 0.25 * abs(step))
        if back.size:
            back_until[j] = t + 1 + int(back[0])
        if back.size:
            cause = _reversal_cause(step) if abs(step) >= MIN_JUMP - TOLERANCE else None
        else:
            cause = _split_cause(step)
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
        logger.warning("%s; prices are left as they are; see %s", jump.message(source), _OPTION)


def _split_cause(step: float) -> str | None:
    for factor in SPLIT_FACTORS:
        tolerance = TOLERANCE_3_2 if factor == 1.5 else TOLERANCE
        if abs(abs(step) - np.log(factor)) <= tolerance:
            if factor == 100:
                return "a quote that switched units (x100: pence/pounds, cents/dollars)"
            new, old = (3, 2) if factor == 1.5 else (int(factor), 1)
            if step < 0:
                return f"a {new}-for-{old} split left unadjusted (use split-adjusted closes)"
            return f"a {old}-for-{new} reverse split left unadjusted (use split-adjusted closes)"
    if abs(step) >= np.log(IMPLAUSIBLE):
        return "an implausible one-day move (data error or unadjusted corporate action)"
    return None


def _reversal_cause(step: float) -> str:
    days = f"reversed within {REVERSAL_DAYS} days"
    if abs(abs(step) - np.log(100)) <= TOLERANCE:
        return f"a quote in other units for a few days (x100: pence/pounds), {days}"
    return f"a bad quote (a spike {days})"
