"""The whole run configuration, and reading it from TOML, presets and the command line.

Every section forbids unknown keys, so a typo in a config file is an error that names the
key, never a silently ignored setting; every value of a file is of its field's own TOML type
(:mod:`evofolio.config.strict`: ``"false"`` is no boolean). The CLI's options override the
file's values.
"""

from __future__ import annotations

import contextvars
import datetime
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evofolio.config.sections import (
    BacktestConfig,
    ChampionConfig,
    DataConfig,
    EvaluationConfig,
    ModelConfig,
    StrategiesConfig,
    TrainingConfig,
    ValidateConfig,
    WalkForwardConfig,
    _Section,
)
from evofolio.config.space import SearchConfig
from evofolio.config.strict import check_types
from evofolio.errors import ConfigError

__all__ = [
    "RunConfig",
    "check_mapping",
    "load_config",
    "load_preset",
    "override",
    "parse_config",
    "preset_names",
]


_SOURCE: contextvars.ContextVar[str] = contextvars.ContextVar("source", default="RunConfig")
"""What a :class:`RunConfig` being validated came from (a file, ``command line``), for its
error messages."""


_VALIDATING: contextvars.ContextVar[bool] = contextvars.ContextVar("validating", default=False)
"""Whether :meth:`RunConfig.model_validate` is running (it checked the types itself)."""


class RunConfig(_Section):
    """The whole configuration of a run.

    Built from keywords (``RunConfig(search={"population": 8})``) or a mapping
    (``RunConfig.model_validate({...})``, :func:`parse_config`), every key is checked: an
    unknown key or a bad value raises :class:`~evofolio.errors.ConfigError` in one line
    naming the dotted key (``RunConfig: unknown config key 'serach'``), as a bad TOML file
    does, never pydantic's raw ``ValidationError``.

    ``RunConfig()`` holds the built-in defaults: what ``evofolio evolve``, ``backtest`` and
    ``train`` use without ``--config``. ``evofolio run`` and :func:`evofolio.run` without a
    config use the ``default`` preset instead (``load_preset("default")``), the main job's
    budget, which differs in ``backtest.rebalance`` (weekly), ``training.epochs`` (60),
    ``search.population`` (5), ``search.generations`` (4), ``search.fit_gflop`` (150.0),
    ``search.fit_seconds`` (120.0) and ``search.jobs`` (2).
    """

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

    def __init__(self, /, **values: Any) -> None:
        # pydantic runs this for model_validate too: the error names the source it was given
        if not _VALIDATING.get():  # RunConfig(**values) typed in Python: strict types too
            check_types(_as_written(values), RunConfig, "RunConfig")
        try:
            super().__init__(**values)
        except ValidationError as error:
            raise ConfigError(_describe(error, _SOURCE.get())) from None

    @classmethod
    def model_validate(cls, obj: Any, *, context: Any | None = None, **options: Any) -> RunConfig:
        """Validate a mapping; :class:`~evofolio.errors.ConfigError` naming the key (and
        ``context["source"]``, e.g. the file, when given) otherwise."""
        source = context.get("source") if isinstance(context, dict) else None
        if source is None and isinstance(obj, Mapping):
            # a mapping typed in Python is held to a file's strict types: "false" is text,
            # not a boolean, and "3" no integer (parse_config's callers check their own)
            check_types(_as_written(obj), cls, "RunConfig")
        token = _SOURCE.set(str(source or "RunConfig"))
        validating = _VALIDATING.set(True)
        try:
            return super().model_validate(obj, context=context, **options)
        except ValidationError as error:
            raise ConfigError(_describe(error, _SOURCE.get())) from None
        finally:
            _VALIDATING.reset(validating)
            _SOURCE.reset(token)


def _as_written(values: Mapping[str, Any]) -> dict[str, Any]:
    """A mapping typed in Python, as :func:`check_types` reads a TOML file's: sections given
    as models are validated already (left out), and an ISO date string is a date (Python
    has no unquoted date literal)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, BaseModel):
            continue
        if isinstance(value, Mapping):
            out[key] = _as_written(value)
        elif isinstance(value, str) and _ISO_DATE.fullmatch(value):
            out[key] = datetime.date.fromisoformat(value)
        else:
            out[key] = value
    return out


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

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
    message = str(first["msg"]).removeprefix("Value error, ")  # pydantic's wrapper words
    return f"{source}: invalid value for '{key}': {message}"


def check_mapping(values: Mapping[str, Any], source: str = "config") -> None:
    """Hold a configuration typed in Python as a mapping to a TOML file's strict types
    (:mod:`evofolio.config.strict`; an ISO date string counts as a date): ``ConfigError``
    naming ``source``, the dotted key, the value and the type expected."""
    check_types(_as_written(values), RunConfig, source)


def parse_config(values: dict[str, Any], source: str = "config") -> RunConfig:
    """Validate a mapping (e.g. parsed TOML) into a :class:`RunConfig`; ``ConfigError``
    naming ``source`` and the key otherwise."""
    return RunConfig.model_validate(values, context={"source": source})


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
    check_types(values, RunConfig, str(path))
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
    values = tomllib.loads(text)
    check_types(values, RunConfig, f"preset {name}")
    return parse_config(values, f"preset {name}")


def override(config: RunConfig, section: str, **values: Any) -> RunConfig:
    """Return ``config`` with the given keys of one section replaced (``None`` values skipped)."""
    given = {key: value for key, value in values.items() if value is not None}
    if not given:
        return config
    merged = config.model_dump()
    merged[section].update(given)
    return parse_config(merged, "command line")
