"""Causal per-asset features (layer 2: numpy/pandas only).

``FEATURES`` maps a name to a :class:`Feature`; :func:`build_panel` turns prices into a
``(T, N, F)`` :class:`FeaturePanel`; :class:`FeatureScaler` standardises it, fitted on
training rows only.
"""

from evofolio.features.panel import FeaturePanel, build_panel
from evofolio.features.registry import FEATURES, Feature
from evofolio.features.scaling import FeatureScaler

__all__ = ["FEATURES", "Feature", "FeaturePanel", "FeatureScaler", "build_panel"]
