"""The run configuration: pydantic models read from TOML.

Every section forbids unknown keys, so a typo in a config file is an error that names the
key, never a silently ignored setting. The CLI's options override the file's values.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from evofolio.errors import ConfigError

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


class ModelConfig(_Section):
    """Which network and its architecture (the genetic search overrides these per genome)."""

    family: str = Field(
        "asset",
        description="a registered model family (evofolio.allocators.families.FAMILIES): asset "
        "(Model 1, asset-level LSTM), portfolio (Model 2, over classic strategies), "
        "asset_attention (Model 1 with a causal Transformer encoder)",
    )
    encoder: Literal["joint", "shared"] = Field(
        "shared", description="Model 1: one LSTM over all assets (joint) or per asset (shared)"
    )
    layers: int = Field(1, ge=1, le=3, description="stacked LSTM or attention layers")
    hidden: int = Field(16, ge=8, le=256, description="LSTM hidden units")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout between layers")
    heads: int = Field(2, ge=1, le=8, description="asset_attention: attention heads")
    width: int = Field(
        32, ge=8, le=256, description="asset_attention: model width (a multiple of heads)"
    )
    max_weight: float | None = Field(None, gt=0.0, le=1.0, description="cap per asset")
    temperature: float = Field(1.0, gt=0.0, description="softmax temperature")
    features: list[str] = Field(
        list(DEFAULT_FEATURES), min_length=1, description="Model 1 input features"
    )
    strategies: list[str] | None = Field(
        None, description="Model 2 input strategies (None: all; at least 2)"
    )
    mode: Literal["blend", "select"] = Field("blend", description="Model 2 mode")
    horizon: int = Field(5, ge=1, description="Model 2 select mode: days ahead to predict")

    @model_validator(mode="after")
    def _width_fits_heads(self) -> ModelConfig:
        if self.width % self.heads:
            raise ValueError(f"width {self.width} is not a multiple of heads {self.heads}")
        return self


class TrainingConfig(_Section):
    """How each network is trained (see evofolio.training.TrainConfig)."""

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
    threads: int | None = Field(None, ge=1, description="torch threads (None: torch's default)")
    device: str = Field("auto", description="auto (CUDA when present), cpu or cuda")
    max_gflop: float | None = Field(
        None, gt=0.0, description="compute budget per fit (caps the epochs; None: none)"
    )


class WalkForwardConfig(_Section):
    """How `train` walks forward through the development period."""

    retrain_years: int = Field(2, ge=1, description="retrain every K calendar years")
    train_years: int | None = Field(None, ge=1, description="rolling window; None: expanding")
    min_train_days: int = Field(756, ge=60, description="dates before the first test block")
    purge_days: int = Field(1, ge=0, description="dates dropped between train and test")


GeneValue = bool | int | float | str

Crossover = Literal["uniform", "blxalpha", "sbx", "vsbx", "undx", "spx"]


_RANGES = ("layers", "hidden", "dropout", "lr", "weight_decay", "seq_len", "chunk_len", "cost_bps")


class SpaceConfig(_Section):
    """The genes' ranges and choices; ``fixed`` pins a gene to one value (it stops evolving).

    Ranges are ``[low, high]``, both ends included. Every gene stays in every genome (a
    pinned gene has one possible value), so the genome keeps a fixed length. Gene names:
    those of :data:`evofolio.search.genes.GENES` (family, encoder, layers, hidden, heads,
    width, dropout, lr, weight_decay, seq_len, chunk_len, objective, cost_bps, max_weight,
    mode), ``feature_<name>`` and ``strategy_<name>``.
    """

    encoders: list[Literal["joint", "shared"]] = Field(
        ["joint", "shared"], min_length=1, description="Model 1 encoders to choose from"
    )
    layers: tuple[int, int] = Field((1, 3), description="LSTM layers")
    hidden: tuple[int, int] = Field((8, 256), description="hidden units (log scale)")
    dropout: tuple[float, float] = Field((0.0, 0.5), description="dropout between layers")
    lr: tuple[float, float] = Field((1e-4, 1e-2), description="learning rate (log scale)")
    weight_decay: tuple[float, float] = Field((1e-6, 1e-3), description="(log scale)")
    seq_len: tuple[int, int] = Field((10, 120), description="burn-in days before each chunk")
    chunk_len: tuple[int, int] = Field((50, 250), description="days per training chunk")
    objectives: list[Literal["sharpe", "sortino", "utility"]] = Field(
        ["sharpe", "sortino", "utility"], min_length=1, description="training losses"
    )
    cost_bps: tuple[float, float] = Field((0.0, 20.0), description="cost term in the loss")
    max_weight: list[float] = Field(
        [1.0, 0.5, 0.3], min_length=1, description="per-asset caps to choose from (1.0: none)"
    )
    modes: list[Literal["blend", "select"]] = Field(
        ["blend", "select"], min_length=1, description="Model 2 modes to choose from"
    )
    heads: list[int] = Field(
        [1, 2, 4], min_length=1, description="asset_attention: attention heads to choose from"
    )
    widths: list[int] = Field(
        [16, 32, 64],
        min_length=1,
        description="asset_attention: model widths to choose from (multiples of every head count)",
    )
    fixed: dict[str, GeneValue] = Field(
        {}, description="gene name -> value, e.g. {layers = 1, feature_ret_1 = true}"
    )

    @field_validator(*_RANGES)
    @classmethod
    def _ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] > value[1]:
            raise ValueError(f"range low {value[0]} is above high {value[1]}")
        return value

    @model_validator(mode="after")
    def _widths_fit_heads(self) -> SpaceConfig:
        bad = [(w, h) for w in self.widths for h in self.heads if w % h]
        if bad:
            raise ValueError(f"width {bad[0][0]} is not a multiple of heads {bad[0][1]}")
        return self

    @field_validator("max_weight")
    @classmethod
    def _caps(cls, value: list[float]) -> list[float]:
        if any(not 0.0 < cap <= 1.0 for cap in value):
            raise ValueError("every max_weight choice must lie in (0, 1]")
        return value


class SearchConfig(_Section):
    """The genetic search (Optuna NSGA-II): budget, operators, fitness folds, storage."""

    population: int = Field(16, ge=2, description="genomes per generation")
    generations: int = Field(8, ge=1, description="target: population x generations trials")
    max_trials: int | None = Field(
        None, ge=1, description="cap on evaluated trials, failures included (None: 3 x target)"
    )
    mutation_prob: float | None = Field(
        None, ge=0.0, le=1.0, description="per gene; None: 1 / number of genes"
    )
    crossover: Crossover = Field("uniform", description="NSGA-II crossover for numeric genes")
    crossover_prob: float = Field(0.9, ge=0.0, le=1.0, description="NSGA-II crossover rate")
    folds: int = Field(3, ge=1, description="walk-forward folds in the development period")
    min_test_days: int = Field(252, ge=20, description="days per validation fold")
    fold_lambda: float = Field(
        0.5, ge=0.0, description="fitness = mean fold Sharpe - lambda x std across folds"
    )
    multi_objective: bool = Field(
        False, description="Pareto front of (Sharpe, max drawdown, turnover) instead of fitness"
    )
    prune: bool = Field(True, description="stop hopeless trials early (single-objective only)")
    fit_gflop: float | None = Field(
        500.0,
        gt=0.0,
        description="compute budget of each fit in the search (and of the champion's refit), "
        "unless training.max_gflop is set; caps the epochs of large networks",
    )
    families: list[str] = Field(
        ["asset", "portfolio", "asset_attention"],
        min_length=1,
        description="registered model families to search (the family gene's choices)",
    )
    jobs: int = Field(1, ge=1, description="worker processes on this machine")
    storage: str | None = Field(
        None, description="database URL; None: sqlite file search.db in the run directory"
    )
    study_name: str = Field("evofolio", min_length=1, description="Optuna study name")
    artifacts: str | None = Field(
        None,
        description="where trial files go so every machine sees them: a directory every "
        "machine mounts, or s3://bucket/prefix; None: the run directory (one machine)",
    )
    sync_generations: bool | None = Field(
        None,
        description="no trial of generation g+1 before generation g has its population of "
        "completed trials; None: on when more than one process shares the study",
    )
    heartbeat_seconds: int = Field(
        30, ge=1, description="a trial silent for 2 x this long is failed and re-queued"
    )
    max_retry: int | None = Field(3, ge=0, description="re-queues of a stale trial's genome")
    space: SpaceConfig = SpaceConfig()

    @model_validator(mode="after")
    def _enough_parents(self) -> SearchConfig:
        if self.crossover in ("undx", "spx") and self.population < 3:
            raise ValueError(f"crossover {self.crossover!r} needs a population of at least 3")
        return self


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
        3, ge=1, description="generations of each outer search after the first (warm-started)"
    )
    subsets: int = Field(0, ge=0, description="random asset subsets, each validated in full")
    subset_size: int | None = Field(None, ge=2, description="assets per random subset")


class RunConfig(_Section):
    """The whole configuration of a run."""

    # ``[validate]`` in TOML; the attribute is ``validation`` (``BaseModel.validate`` exists).
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )

    seed: int = Field(0, ge=0, description="one seed for every random choice of the run")
    data: DataConfig = DataConfig()
    backtest: BacktestConfig = BacktestConfig()
    strategies: StrategiesConfig = StrategiesConfig()
    model: ModelConfig = ModelConfig()
    training: TrainingConfig = TrainingConfig()
    walk_forward: WalkForwardConfig = WalkForwardConfig()
    search: SearchConfig = SearchConfig()
    evaluation: EvaluationConfig = EvaluationConfig()
    champion: ChampionConfig = ChampionConfig()
    validation: ValidateConfig = Field(ValidateConfig(), alias="validate")


_UNION_TAGS = {"int", "float", "str", "bool", "date", "none"}


def _describe(error: ValidationError, source: str) -> str:
    first = error.errors()[0]
    parts: list[str] = []
    for part in first["loc"]:
        text = str(part)
        if "[" in text or text in _UNION_TAGS:  # pydantic's tag for a union member
            break
        parts.append(text)
    key = ".".join(parts) or "(root)"
    if first["type"] == "extra_forbidden":
        return f"{source}: unknown config key '{key}'"
    return f"{source}: invalid value for '{key}': {first['msg']}"


def parse_config(values: dict[str, Any], source: str = "config") -> RunConfig:
    """Validate a mapping (e.g. parsed TOML) into a :class:`RunConfig`."""
    try:
        return RunConfig.model_validate(values)
    except ValidationError as error:
        raise ConfigError(_describe(error, source)) from None


def load_config(path: str | Path | None) -> RunConfig:
    """Read a TOML file into a :class:`RunConfig`; ``None`` gives the defaults."""
    if path is None:
        return RunConfig()
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        message = str(error).splitlines()[0]
        raise ConfigError(f"{path}: not valid TOML: {message}") from None
    return parse_config(values, str(path))


def preset_names() -> list[str]:
    """The names of the configurations shipped in :mod:`evofolio.presets`."""
    folder = resources.files("evofolio.presets")
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def load_preset(name: str) -> RunConfig:
    """A shipped configuration by name (e.g. ``zhang2020``)."""
    if name not in preset_names():
        raise ConfigError(f"unknown preset '{name}'; choose from: {', '.join(preset_names())}")
    text = resources.files("evofolio.presets").joinpath(f"{name}.toml").read_text("utf-8")
    return parse_config(tomllib.loads(text), f"preset {name}")


def override(config: RunConfig, section: str, **values: Any) -> RunConfig:
    """Return ``config`` with the given keys of one section replaced (``None`` values skipped)."""
    given = {key: value for key, value in values.items() if value is not None}
    if not given:
        return config
    merged = config.model_dump()
    merged[section].update(given)
    return parse_config(merged, "command line")
