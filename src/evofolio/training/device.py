"""Device selection: CPU by default, CUDA when present or asked for."""

from __future__ import annotations

import torch

from evofolio.errors import ConfigError


def select_device(preference: str = "auto") -> torch.device:
    """The torch device to train on.

    Args:
        preference: ``"auto"`` (CUDA when available, else CPU), ``"cpu"``, ``"cuda"`` or
            ``"cuda:<index>"``.

    Returns:
        The chosen ``torch.device``.

    Raises:
        ConfigError: the preference is unknown, or CUDA is asked for but not available.
    """
    pref = preference.strip().lower()
    if pref == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if pref == "cpu":
        return torch.device("cpu")
    if pref == "cuda" or pref.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise ConfigError(
                f"device: {preference!r} was requested but CUDA is not available "
                f"(torch {torch.__version__}); use 'cpu' or 'auto'"
            )
        try:
            device = torch.device(pref)
        except RuntimeError as exc:
            raise ConfigError(f"device: cannot parse {preference!r}: {exc}") from None
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ConfigError(
                f"device: {preference!r} requested but only "
                f"{torch.cuda.device_count()} CUDA device(s) exist"
            )
        return device
    raise ConfigError(f"device: unknown preference {preference!r}; use 'auto', 'cpu' or 'cuda'")
