"""Errors a user can cause.

Every problem with the user's data, configuration or paths raises a subclass of
:class:`EvofolioError` whose message names the file, column, row or key at fault. The CLI
turns these into one line on stderr (``error: ...``) and exit code 2, without a traceback.
"""

from __future__ import annotations


class EvofolioError(Exception):
    """Base class of every error a user can cause and fix."""


class DataError(EvofolioError):
    """The price data cannot be read or fails validation."""


class InsufficientHistoryError(DataError):
    """There are too few dates for the requested windows or splits."""


class ConfigError(EvofolioError):
    """The run configuration is invalid (unknown key, bad value, unreadable file)."""


class UsageError(EvofolioError):
    """A command-line argument is invalid (unknown strategy, bad date, bad path)."""


class ParameterError(ConfigError, ValueError):
    """An estimator parameter is unknown or out of its bounds (``set_params``, a constructor
    argument checked at ``fit``); a ``ValueError`` too, as scikit-learn expects.

    ``key`` is the parameter (``network__hidden``), ``reason`` what is wrong with its value,
    so that a caller reading a configuration can name its own key instead."""

    def __init__(self, message: str, key: str | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.reason = reason or message


class SearchRunningError(EvofolioError):
    """A search is running in the run directory: it cannot be read as a finished run
    (``report``, ``allocate``, :func:`evofolio.load_champion`), nor searched by a second
    ``run`` / ``evolve`` (workers started with ``--worker-only`` join it instead). The message
    names the directory and the process (pid, host, start time) holding it."""


class OutputError(EvofolioError):
    """An output cannot be written: a full disk, a read-only directory, an I/O error.

    ``path`` is the file or directory that could not be written, ``reason`` the cause in
    words (``"no space left on device"``) and ``errno`` its number (None when unknown). The
    file being written is left as it was (writes are atomic)."""

    def __init__(
        self,
        message: str,
        path: str | None = None,
        reason: str | None = None,
        errno: int | None = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.reason = reason or message
        self.errno = errno

    def __reduce__(self) -> tuple[type[OutputError], tuple[str, str | None, str, int | None]]:
        # sent back from a search's worker processes whole
        return (type(self), (str(self), self.path, self.reason, self.errno))


class NotFittedError(EvofolioError, AttributeError):
    """An estimator was asked to decide or be saved before ``fit`` (an ``AttributeError`` too,
    as scikit-learn's own ``NotFittedError`` is)."""
