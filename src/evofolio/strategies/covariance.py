"""The covariance estimator the classic rules use: skfolio's estimators, chosen by name.

``empirical`` is skfolio's default (the sample covariance, repaired to the nearest positive
definite matrix when it is singular). With many assets for the window the sample covariance
is singular (N > T) or badly conditioned (N a large share of T), the repair costs an
eigen-decomposition at every decision, and the estimate itself is poor: shrinkage
(Ledoit & Wolf 2004, "A well-conditioned estimator for large-dimensional covariance
matrices"; Chen et al. 2010, OAS) is the field's standard answer.

``auto`` picks ``ledoit_wolf`` when ``n_assets > AUTO_SHRINK_RATIO · window`` (fewer than
10 observations per asset in the window, a classic rule of thumb for a usable sample
covariance) and ``empirical`` otherwise: the 20-stock ``sp500`` with the default 252-day
window (20 ≤ 25.2) keeps the sample covariance; 26 or more assets at 252 days shrink.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from evofolio.errors import ConfigError

if TYPE_CHECKING:
    from skfolio.prior import EmpiricalPrior

AUTO = "auto"
AUTO_SHRINK_RATIO = 0.1
"""``auto`` shrinks when the assets outnumber this share of the window's rows."""
AUTO_SHRINKAGE = "ledoit_wolf"


def _moments(name: str, **settings: Any) -> Callable[[], Any]:
    """A builder of ``skfolio.moments.<name>(**settings)``; skfolio is imported at the first
    build, so that processes that never fit a rule (the search's workers) do not load it."""

    def build() -> Any:
        return getattr(importlib.import_module("skfolio.moments"), name)(**settings)

    build.__name__ = build.__qualname__ = name
    return build


COVARIANCES: dict[str, Callable[[], Any]] = {
    "empirical": _moments("EmpiricalCovariance"),
    "ledoit_wolf": _moments("LedoitWolf", nearest=False),
    "oas": _moments("OAS", nearest=False),
    "shrunk": _moments("ShrunkCovariance", nearest=False),
    "denoise": _moments("DenoiseCovariance"),
    "gerber": _moments("GerberCovariance"),
}
"""Registry name → a fresh skfolio covariance estimator (default settings). The shrinkage
estimators put a positive weight on a scaled identity, so their estimate is positive definite
by construction: skfolio's nearest-positive-definite check (two eigen-decompositions of an
N × N matrix at every fit, the hot path of a wide universe) is switched off for them."""


def resolve_covariance(choice: str, n_assets: int, window: int) -> str:
    """The estimator ``choice`` stands for with ``n_assets`` assets and a ``window``-row window.

    ``auto`` → ``ledoit_wolf`` when ``n_assets > AUTO_SHRINK_RATIO * window``, else
    ``empirical``; any other registered name is returned as is.

    Raises:
        ConfigError: an unknown name (naming the key ``strategies.covariance``).
    """
    if choice == AUTO:
        return AUTO_SHRINKAGE if n_assets > AUTO_SHRINK_RATIO * window else "empirical"
    if choice not in COVARIANCES:
        names = ", ".join([AUTO, *COVARIANCES])
        raise ConfigError(
            f"strategies.covariance: unknown estimator '{choice}'; choose from {names}"
        )
    return choice


def prior_for(covariance: str) -> EmpiricalPrior | None:
    """The prior estimator to give a rule for a resolved ``covariance``; None for
    ``empirical`` (the rule keeps skfolio's own default, bit for bit)."""
    if covariance == "empirical":
        return None
    if covariance not in COVARIANCES:
        raise ConfigError(f"strategies.covariance: '{covariance}' is not a resolved estimator")
    from skfolio.prior import EmpiricalPrior

    return EmpiricalPrior(covariance_estimator=COVARIANCES[covariance]())
