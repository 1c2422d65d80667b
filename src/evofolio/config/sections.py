"""The sections of the run configuration (``[data]``, ``[backtest]``, ``[model]``, ...).

Every section forbids unknown keys, so a typo in a config file is an error that names the
key, never a silently ignored setting. ``[search]`` and ``[search.space]`` are in
:mod:`evofolio.config.space`, the whole :class:`~evofolio.config.RunConfig` in
:mod:`evofolio.config.run`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
)

Rebalance = Literal["daily", "weekly", "monthly"] | int
Covariance = Literal["auto", "empirical", "ledoit_wolf", "oas", "shrunk", "denoise", "gerber"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataConfig(_Section):
    """Where the prices come from and how gaps are treated."""

    source: str = Field(
        "sp500", description="sp500, factors, ftse100, nasdaq, a .csv/.parquet path or yahoo:T1,..."
    )
    format: Literal["auto", "wide", "long"] = Field("auto", description="layout of a price file")
    market: str | None = Field(None, description="PATH[:COLUMN] of the market series (beta)")
    max_ffill_days: int = Field(5, ge=0, description="forward-fill gaps up to this many days")
    max_missing_frac: float = Field(0.10, ge=0.0, le=1.0, description="drop assets above this")
    holdout_start: dt.date | None = Field(
        None,
        description="first holdout date; default 2018-01-01 for sp500, 2021-01-01 for "
        "factors, 2019-01-01 for ftse100, 2022-01-01 for nasdaq, else the last 20 %",
    )
    timezone: str | None = Field(
        None,
        description="IANA zone (e.g. Europe/Berlin) whose calendar date stamps with a UTC "
        "offset get; default the stamp's own offset",
    )
    on_suspect_jump: Literal["warn", "error", "ignore"] = Field(
        "warn", description="one-day jumps like an unadjusted split or a unit switch"
    )
    price_column: str | None = Field(
        None,
        description="the price column of a long file, or the field of a file with several "
        "per asset (Close, Adj Close, ...); default the adjusted close when there is one",
    )
    ragged: bool | None = Field(
        None,
        description="true: prices may start late and end early, each asset living from its "
        "first to its last price (implied by universe); false: a rectangle, assets missing "
        "too much dropped; unset: true when an asset starts or ends more than max_ffill_days "
        "dates after the first or before the last price",
    )
    universe: str | None = Field(
        None,
        description="membership file: rows of asset,start,end (optional delisting_return) or "
        "a wide 0/1 table by date",
    )
    delisting_return: float = Field(
        -0.30,
        ge=-1.0,
        description="return booked when a life ends before the last date (Shumway 1997: -0.30; "
        "0 for mergers)",
    )


class BacktestConfig(_Section):
    """How weights become returns: rebalancing, costs, optional volatility targeting."""

    rebalance: Rebalance = Field(
        "monthly", description="daily, weekly, monthly (first trading day) or every N days"
    )
    cost_bps: float = Field(10.0, ge=0.0, description="proportional cost on the traded amount")
    vol_target: float | None = Field(
        None, gt=0.0, description="annualised per-asset volatility target (Zhang et al. eq. 7)"
    )
    vol_span: int = Field(50, ge=2, description="EWMA span of the volatility estimate")

    @field_validator("rebalance")
    @classmethod
    def _positive_every(cls, value: Rebalance) -> Rebalance:
        if isinstance(value, int) and value < 1:
            raise ValueError("an integer rebalance period must be >= 1 day")
        return value


class StrategiesConfig(_Section):
    """The classic allocation rules (baselines and Model 2's inputs)."""

    names: list[str] | None = Field(None, description="registry names; None means all")
    window: int = Field(252, ge=20, description="trailing days each rule is refit on")
    covariance: Covariance = Field(
        "auto",
        description="covariance estimator of the rules that use risk (skfolio's): auto is "
        "ledoit_wolf when assets > 0.1 x window, else empirical (the sample covariance)",
    )


DEFAULT_FEATURES = (
    "norm_price",
    "ret_1",
    "ret_5",
    "ret_21",
    "vol_21",
    "beta_63",
    "rsi_14",
    "drawdown",
)


class ModelConfig(BaseModel):
    """``[model]``: the model family and its settings.

    ``family`` names a registered family (:data:`evofolio.allocators.registry.FAMILIES`:
    ``asset``, Model 1, the asset-level LSTM; ``portfolio``, Model 2, over the classic
    strategies; ``asset_attention``, Model 1 with a causal Transformer encoder). Every other
    key is a setting of that family, and the family's own parameters are its schema: the
    fields of its network's hyperparameters (``hidden`` -> ``network__hidden``, with their
    bounds) and its other settings (``features``, ``strategies``, ``horizon``). A key the
    family does not read or a value out of bounds is one error naming the key, raised where a
    configuration is loaded (:func:`evofolio.allocators.registry.check_model`); this layer
    holds the keys as given (``settings()``), a key left out takes the family's default.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    family: str = Field(
        "asset",
        description="a registered model family: asset (Model 1, asset-level LSTM), portfolio "
        "(Model 2, over classic strategies), asset_attention (Model 1 with a causal "
        "Transformer encoder); the other [model] keys are that family's settings",
    )

    def settings(self) -> dict[str, Any]:
        """The family's settings given, every ``[model]`` key but ``family``."""
        return dict(self.model_extra or {})

    def get(self, key: str, default: Any = None) -> Any:
        """The setting ``key`` if given, else ``default``."""
        return self.settings().get(key, default)


class TrainingConfig(_Section):
    """How each network is trained: the one declaration of the training settings and their
    bounds, read by the training loop (:func:`evofolio.training.train`) as they are."""

    epochs: int = Field(100, ge=1, description="maximum passes over the training rows")
    lr: float = Field(3e-3, gt=0.0, description="learning rate")
    weight_decay: float = Field(0.0, ge=0.0, description="L2 penalty (decoupled for adamw)")
    optimizer: Literal["adam", "adamw"] = Field("adam", description="adam or adamw")
    grad_clip: float | None = Field(1.0, gt=0.0, description="gradient norm clip")
    seq_len: int = Field(50, ge=0, description="burn-in / lookback days before each chunk")
    chunk_len: int = Field(100, ge=2, description="days per training chunk (TBPTT)")
    batch_size: int = Field(16, ge=1, description="chunks per optimiser step")
    val_frac: float = Field(0.1, ge=0.0, lt=1.0, description="last part of training: validation")
    patience: int | None = Field(10, ge=1, description="early stopping (None: off)")
    objective: Literal["sharpe", "sortino", "utility"] = Field(
        "sharpe", description="training loss: negative Sharpe, Sortino or mean-variance utility"
    )
    cost_bps: float = Field(0.0, ge=0.0, description="turnover cost term in the loss")
    risk_aversion: float = Field(1.0, gt=0.0, description="for the utility objective")
    threads: int | None = Field(
        None,
        ge=1,
        description="torch threads in each fit (None: the process's, see evofolio.compute)",
    )
    device: str = Field("auto", description="auto (CUDA when present), cpu, cuda or cuda:N")

    @field_validator("device")
    @classmethod
    def _known_device(cls, value: str) -> str:
        if re.fullmatch(r"auto|cpu|cuda(:[0-9]+)?", value) is None:
            raise ValueError(f"expected auto, cpu, cuda or cuda:N, got '{value}'")
        return value

    max_gflop: float | None = Field(
        None,
        gt=0.0,
        description="compute budget per fit in GFLOP: caps the epochs, or trains part of one "
        "epoch when one costs more (None: none)",
    )
    max_seconds: float | None = Field(
        None,
        gt=0.0,
        description="wall-time bound per fit: training stops after the epoch that reaches it, "
        "keeping the best epoch so far (None: none)",
    )


class WalkForwardConfig(_Section):
    """How `train` walks forward through the development period."""

    retrain_years: int = Field(2, ge=1, description="retrain every K calendar years")
    train_years: int | None = Field(None, ge=1, description="rolling window; None: expanding")
    min_train_days: int = Field(756, ge=60, description="dates before the first test block")
    purge_days: int = Field(1, ge=0, description="dates dropped between train and test")


class EvaluationConfig(_Section):
    """How the verdict is judged: the benchmark, the tests' levels and the cost grid."""

    benchmark: str = Field(
        "equal_weight",
        description="a registered classic strategy, or best_classic: the classic rule with the "
        "best Sharpe on the development period's validation dates (never chosen on the holdout)",
    )
    confidence: float = Field(0.90, gt=0.0, lt=1.0, description="level of confidence intervals")
    significance: float = Field(
        0.05, gt=0.0, lt=0.5, description="test level of the verdict (DSR >= 1 - this; p < this)"
    )
    n_boot: int = Field(2000, ge=100, description="bootstrap resamples of each holdout test")
    cost_grid_bps: list[float] = Field(
        [0.0, 5.0, 10.0, 20.0, 50.0], min_length=1, description="holdout replayed at these costs"
    )

    @field_validator("cost_grid_bps")
    @classmethod
    def _costs(cls, value: list[float]) -> list[float]:
        if any(not c >= 0.0 for c in value):
            raise ValueError("every cost must be >= 0 bps")
        return sorted(set(value))


class ChampionConfig(_Section):
    """How the champion is refitted before it trades the holdout."""

    seeds: int = Field(
        5,
        ge=1,
        description="refits of the champion's genome with seeds seed..seed+K-1; the "
        "holdout portfolio is their seed ensemble (the daily average of their weights)",
    )


class ValidateConfig(_Section):
    """``evofolio validate``: the whole search walked forward over the development period."""

    outer_years: int = Field(3, ge=1, description="calendar years traded by each outer search")
    first_test: int | None = Field(
        None,
        ge=1900,
        le=2200,
        description="year of the first outer test period (None: the first year that starts "
        "after the middle of the development period)",
    )
    generations_after_first: int = Field(
        2, ge=1, description="generations of each outer search after the first (warm-started)"
    )
    subsets: int = Field(0, ge=0, description="random asset subsets, each validated in full")
    subset_size: int | None = Field(None, ge=2, description="assets per random subset")
