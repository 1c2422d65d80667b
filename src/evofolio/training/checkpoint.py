"""Model checkpoints that load with ``torch.load(..., weights_only=True)``.

A checkpoint is one dict of tensors and plain Python values (``None``, bool, int, float,
str, list, tuple, dict with str keys): the family name of the network (the allocator's
``family``, the key of :data:`evofolio.allocators.registry.FAMILIES`), its config
as a dict, its ``state_dict``, the feature names, the feature-scaler state and any extra
metadata. NumPy arrays and scalars are accepted in ``scaler_state`` and ``extra``: arrays
are stored as tensors under a marker and come back as arrays; scalars come back as Python
numbers. Anything else is refused with ``TypeError`` rather than pickled.

The format has a version, ``format_version`` (:data:`FORMAT_VERSION`), and each file names the
evofolio release that wrote it (``writer``). A reader takes its own format only: a file of
another format is refused in one line naming the format and the writer, and what to do
(upgrade evofolio for a newer file, train again for an older one); there is no older format
to migrate yet. Reading never unpickles anything beyond tensors and plain values
(``torch.load(weights_only=True)``), and every file that is not such a checkpoint (missing,
empty, a Git LFS pointer, truncated, a pickle of other objects, another program's weights, a
member of the wrong type or size) is one :class:`~evofolio.errors.DataError` naming it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from evofolio.errors import DataError
from evofolio.outdir import atomic_file
from evofolio.version import __version__

FORMAT_VERSION = 1
REQUIRED = ("model_config", "state_dict", "feature_names", "scaler_state", "extra")
"""The members every checkpoint holds besides ``format_version`` and ``model``."""
_ARRAY = "__ndarray__"


def encode_value(value: Any, where: str) -> Any:
    """``value`` as tensors and plain Python values (``TypeError`` for anything else)."""
    if isinstance(value, np.generic):  # before float: np.float64 subclasses float
        return value.item()
    if value is None or isinstance(value, bool | int | float | str | torch.Tensor):
        return value
    if isinstance(value, np.ndarray):
        return {_ARRAY: torch.from_numpy(np.ascontiguousarray(value).copy())}
    if isinstance(value, list | tuple):
        items = [encode_value(v, f"{where}[{i}]") for i, v in enumerate(value)]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"checkpoint {where}: dict keys must be str")
        return {k: encode_value(v, f"{where}.{k}") for k, v in value.items()}
    raise TypeError(f"checkpoint {where}: cannot store {type(value).__name__} safely")


def decode_value(value: Any) -> Any:
    """The value :func:`encode_value` stored (arrays back as NumPy arrays)."""
    if isinstance(value, dict):
        if set(value) == {_ARRAY}:
            return value[_ARRAY].numpy()
        return {k: decode_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    if isinstance(value, tuple):
        return tuple(decode_value(v) for v in value)
    return value


def save_checkpoint(
    path: str | os.PathLike[str],
    name: str,
    model: nn.Module,
    model_config: dict[str, Any],
    feature_names: Sequence[str],
    scaler_state: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``model`` and what is needed to use it to ``path`` (atomically).

    Args:
        path: file to write; its parent directory is created.
        name: the network's family name (what :func:`load_checkpoint` is asked for).
        model: the network.
        model_config: keyword arguments of the model's config class (``asdict(config)``).
        feature_names: the ``F`` feature names, in input order.
        scaler_state: the fitted feature scaler's state.
        extra: anything else worth keeping (training config, fold dates, metrics).

    Returns:
        The path written.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format_version": FORMAT_VERSION,
        "writer": f"evofolio {__version__}",
        "model": name,
        "model_config": encode_value(dict(model_config), "model_config"),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "feature_names": [str(name) for name in feature_names],
        "scaler_state": encode_value(dict(scaler_state), "scaler_state"),
        "extra": encode_value(dict(extra or {}), "extra"),
    }
    with atomic_file(target) as temporary:
        torch.save(payload, temporary)
    return target


def read_weights_only(
    path: str | os.PathLike[str], map_location: str | torch.device = "cpu", what: str = ""
) -> Any:
    """What ``torch.load(path, weights_only=True)`` reads (tensors and plain values, nothing
    unpickled); ``DataError`` starting with ``what`` (default: the path) if the file is
    missing or cannot be read that way."""
    name = what or str(path)
    try:
        return torch.load(Path(path), map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise DataError(f"{name}: file not found") from None
    except IsADirectoryError:
        raise DataError(f"{name}: a directory, not a model file") from None
    except PermissionError:
        raise DataError(f"{name}: cannot be read (permission denied)") from None
    except Exception as exc:
        raise DataError(f"{name}: {_unreadable(Path(path), exc)}") from None


_LFS_POINTER = b"version https://git-lfs"


def _unreadable(path: Path, error: Exception) -> str:
    """Why ``path`` is no file ``torch.load(weights_only=True)`` reads, in a few words."""
    try:
        with path.open("rb") as handle:
            head = handle.read(64)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or type(exc).__name__})"
    text = " ".join(str(error).split())
    if not head:
        return "empty file (0 bytes): not a model file"
    if head.startswith(_LFS_POINTER):
        return (
            "a Git LFS pointer, not the weights: fetch them (git lfs pull) or train the model again"
        )
    if "Unsupported global" in text:
        return (
            "holds pickled Python objects, not only tensors: refused unread (model files are "
            "read with weights_only, nothing is unpickled)"
        )
    if head.startswith(b"PK"):
        return (
            "truncated or damaged (an incomplete PyTorch archive): copy the file again or "
            "train the model again"
        )
    if not head.startswith(b"\x80"):  # neither a zip archive nor a legacy pickle
        return "cannot be read: not a PyTorch model file (unknown content)"
    first = text if len(text) <= 160 else text[:157] + "..."
    return f"cannot be read safely ({first})"


def check_format(payload: Any, name: str) -> None:
    """``DataError`` starting with ``name`` unless ``payload`` is a checkpoint of this format:
    a file of another format says which format and which evofolio wrote it, and what to do."""
    if not isinstance(payload, dict) or "format_version" not in payload:
        kind = "a table without format_version" if isinstance(payload, dict) else "a "
        if not isinstance(payload, dict):
            kind += type(payload).__name__
        raise DataError(
            f"{name}: not an evofolio checkpoint ({kind}; evofolio {__version__} reads "
            f"checkpoint format {FORMAT_VERSION})"
        )
    version = payload["format_version"]
    if version == FORMAT_VERSION and not isinstance(version, bool):
        return
    writer = payload.get("writer")
    by = writer if isinstance(writer, str) else "another version of evofolio"
    newer = isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION
    advice = (
        "upgrade evofolio (pip install -U evofolio) to read it, or train the model again"
        if newer
        else "train the model again with this version"
    )
    raise DataError(
        f"{name}: checkpoint format {version!r}, written by {by}; evofolio {__version__} "
        f"reads format {FORMAT_VERSION} only: {advice}"
    )


def load_checkpoint(
    path: str | os.PathLike[str],
    networks: dict[str, Any],
    map_location: str | torch.device = "cpu",
) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the model saved at ``path``, in eval mode.

    ``networks`` maps the family names the caller accepts to their network classes (each
    built as ``cls(cls.config_cls(**model_config))``).

    Returns:
        The model and the payload dict (``model``, ``model_config``, ``feature_names``,
        ``scaler_state``, ``extra``, ``format_version``; ``state_dict`` removed).

    Raises:
        DataError: the file is missing, unreadable, or not an evofolio checkpoint.
    """
    source = Path(path)
    payload = read_weights_only(source, map_location, f"checkpoint {source}")
    check_format(payload, f"checkpoint {source}")
    name = payload.get("model")
    if not isinstance(name, str) or name not in networks:
        raise DataError(
            f"checkpoint {source}: holds a {name!r} network, not a {' / '.join(networks)} one"
        )
    lacking = [key for key in REQUIRED if key not in payload]
    if lacking:
        writer = payload.get("writer")
        other = isinstance(writer, str) and writer != f"evofolio {__version__}"
        by = f"{writer}, another version" if other else "another version of evofolio"
        raise DataError(
            f"checkpoint {source}: no {lacking[0]!r} (written by {by}, or damaged): "
            "train the model again"
        )
    if not isinstance(payload["state_dict"], dict) or not all(
        isinstance(v, torch.Tensor) for v in payload["state_dict"].values()
    ):
        raise DataError(f"checkpoint {source}: its state_dict is not a table of tensors")
    if not isinstance(payload["model_config"], dict):
        raise DataError(f"checkpoint {source}: invalid model_config (not a table)")
    cls: Any = networks[name]
    config = decode_value(payload["model_config"])
    try:
        model = cls(cls.config_cls(**config))
    except (TypeError, ValueError) as exc:
        raise DataError(f"checkpoint {source}: invalid model_config ({exc})") from None
    try:
        model.load_state_dict(payload.pop("state_dict"))
    except (RuntimeError, TypeError, AttributeError) as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        telling = [line for line in lines if "size mismatch" in line or "key(s)" in line]
        first = (telling or lines or [type(exc).__name__])[0]
        raise DataError(
            f"checkpoint {source}: its weights do not fit the network its model_config "
            f"describes ({first}): the file was altered or mixed with another"
        ) from None
    model.eval()
    for key in ("scaler_state", "extra"):
        payload[key] = decode_value(payload[key])
    payload["model_config"] = config
    return model, payload
