"""The base of every network's hyperparameters: one frozen pydantic model per family,
declared beside its network (the ``network`` parameter of the family's allocator, nested in
its ``get_params`` as ``network__<field>``). Their ``Field`` bounds are the bounds.

The networks themselves are built from a frozen dataclass (``config_cls``) that adds what
the data decides (number of assets or strategies, of features):
``network_cls(network_cls.config_cls(n_assets=..., n_features=..., **params.model_dump()))``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["NetworkParams", "first_error"]


def first_error(error: ValidationError) -> tuple[str, str]:
    """Pydantic's first complaint: the dotted field (``"(root)"`` for a model-level check)
    and the message, for one-line errors that name the key."""
    first = error.errors()[0]
    return ".".join(str(part) for part in first["loc"]) or "(root)", str(first["msg"])


class NetworkParams(BaseModel):
    """Base of every family's network hyperparameters: frozen, unknown keys refused, and
    strict (``"32"`` is not an integer, ``"false"`` not a boolean: a value of the wrong type
    is an error, never converted)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    @classmethod
    def check(cls, config: Any) -> None:
        """Validate the hyperparameter fields of a network's dataclass ``config`` against
        this model's bounds (``ValueError`` naming the field): the bounds are declared here
        only, the dataclass adds the sizes the data decides."""
        values = {name: getattr(config, name) for name in cls.model_fields}
        try:
            cls.model_validate(values)
        except ValidationError as error:
            field, message = first_error(error)
            raise ValueError(f"{field}: {message}, got {values.get(field)!r}") from None
