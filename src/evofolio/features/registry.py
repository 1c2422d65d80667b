"""The feature registry: a plain dict from name to :class:`Feature`.

Adding a feature is one function and one :class:`Feature` entry in its family module's
``FAMILY`` tuple; the contract tests in ``tests/features`` pick it up automatically
(causality, warm-up, shape).
"""

from __future__ import annotations

from collections.abc import Sequence

from evofolio.errors import ConfigError
from evofolio.features import beta, price, returns, technical, volatility
from evofolio.features.base import Feature, FeatureFn

__all__ = ["FEATURES", "Feature", "FeatureFn", "max_warmup", "resolve_names"]

FEATURES: dict[str, Feature] = {}
for _family in (price, returns, volatility, beta, technical):
    for _feature in _family.FAMILY:
        if _feature.name in FEATURES:
            raise RuntimeError(f"feature {_feature.name!r} is registered twice")
        FEATURES[_feature.name] = _feature


def max_warmup(names: Sequence[str]) -> int:
    """The longest warm-up among the named features (the rows ``build_panel`` drops)."""
    return max((FEATURES[name].warmup for name in names), default=0)


def resolve_names(names: Sequence[str] | None) -> tuple[str, ...]:
    """Validate a feature selection and return it as a tuple, order kept.

    ``None`` selects every registered feature, in registry order. An empty, unknown or
    duplicated name raises :class:`~evofolio.errors.ConfigError` naming the culprit and
    listing the valid names.
    """
    if names is None:
        return tuple(FEATURES)
    if isinstance(names, str):
        names = [names]
    chosen = tuple(names)
    if not chosen:
        raise ConfigError(f"no features selected; choose from {sorted(FEATURES)}")
    unknown = [name for name in chosen if name not in FEATURES]
    if unknown:
        raise ConfigError(f"unknown feature(s) {unknown}; valid features are {sorted(FEATURES)}")
    duplicated = sorted({name for name in chosen if chosen.count(name) > 1})
    if duplicated:
        raise ConfigError(f"feature(s) {duplicated} selected more than once")
    return chosen
