"""Performance metrics: plain functions, array in, float out (numpy, scipy and arch only).

* :mod:`~evofolio.metrics.performance`: return, risk and risk-adjusted ratios of a series
  of simple periodic returns (the conventions the torch objectives must match).
* :mod:`~evofolio.metrics.deflated_sharpe`: probabilistic and deflated Sharpe ratios.
* :mod:`~evofolio.metrics.pbo`: probability of backtest overfitting (CSCV).
* :mod:`~evofolio.metrics.sharpe_inference`: Ledoit-Wolf Sharpe-difference test and
  stationary-bootstrap Sharpe intervals (resampling by :mod:`arch.bootstrap`).
* :mod:`~evofolio.metrics.track_record`: minimum track record length.
* :mod:`~evofolio.metrics.multiple_testing`: Holm-adjusted p-values.
* :mod:`~evofolio.metrics.summary`: one report row of every metric.
"""

from evofolio.metrics.deflated_sharpe import (
    DSRResult,
    deflated_sharpe_from_returns,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    probabilistic_sharpe_ratio,
)
from evofolio.metrics.multiple_testing import holm_adjust
from evofolio.metrics.pbo import PBO_BLOCK_NOTE, PBOResult, probability_of_backtest_overfitting
from evofolio.metrics.performance import (
    annual_turnover,
    cagr,
    calmar_ratio,
    cvar,
    downside_deviation,
    max_drawdown,
    mean_return,
    mean_variance_utility,
    positive_share,
    profit_loss_ratio,
    sharpe_ratio,
    sortino_ratio,
    volatility,
)
from evofolio.metrics.sharpe_inference import (
    SharpeDifference,
    SharpeInterval,
    sharpe_confidence_interval,
    sharpe_difference_test,
)
from evofolio.metrics.summary import METRIC_LABELS, summarize
from evofolio.metrics.track_record import (
    MinTRL,
    min_track_record_from_returns,
    minimum_track_record_length,
)

__all__ = [
    "METRIC_LABELS",
    "PBO_BLOCK_NOTE",
    "DSRResult",
    "MinTRL",
    "PBOResult",
    "SharpeDifference",
    "SharpeInterval",
    "annual_turnover",
    "cagr",
    "calmar_ratio",
    "cvar",
    "deflated_sharpe_from_returns",
    "deflated_sharpe_ratio",
    "downside_deviation",
    "expected_max_sharpe",
    "holm_adjust",
    "max_drawdown",
    "mean_return",
    "mean_variance_utility",
    "min_track_record_from_returns",
    "minimum_track_record_length",
    "positive_share",
    "probabilistic_sharpe_ratio",
    "probability_of_backtest_overfitting",
    "profit_loss_ratio",
    "sharpe_confidence_interval",
    "sharpe_difference_test",
    "sharpe_ratio",
    "sortino_ratio",
    "summarize",
    "volatility",
]
