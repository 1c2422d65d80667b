"""Layer 1: price data in, validated once at the edge.

:func:`load_data` reads the embedded S&P 500 dataset, a ``.csv``/``.parquet`` file (wide or
long) or Yahoo Finance, validates the prices (:func:`validate_prices`) and pairs them with a
market series, all in one :class:`MarketData`.
"""

from evofolio.data.load import MarketData, load_data
from evofolio.data.missing import MissingPolicy, MissingReport
from evofolio.data.validate import require_history, validate_prices

__all__ = [
    "MarketData",
    "MissingPolicy",
    "MissingReport",
    "load_data",
    "require_history",
    "validate_prices",
]
