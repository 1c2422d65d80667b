"""evofolio: LSTM portfolio allocators searched by a genetic algorithm, judged out of sample."""

from evofolio.errors import EvofolioError

__all__ = ["EvofolioError", "__version__"]
__version__ = "0.1.0"
