"""Open the search's Optuna study: storage with heartbeats, the sampler, the pruner.

Storage is an SQLite file ``search.db`` in the run directory unless a database URL is given
(``postgresql://...``), so several processes or machines can share one study by running the
same command. Every trial records a heartbeat; a running trial silent for twice the
heartbeat interval (its process was killed) is failed by the next worker that looks, and
:class:`RequeueCallback` queues a copy of it (same genes, same generation) which the next
``ask`` picks up.
"""

from __future__ import annotations

import copy
import re
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import optuna
import sqlalchemy
from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.trial import FrozenTrial

from evofolio.config import SearchConfig
from evofolio.errors import ConfigError, OutputError
from evofolio.outdir import output_error, storage_errno
from evofolio.run_layout import SEARCH_DB
from evofolio.search.engine.evaluator import Direction
from evofolio.search.engine.islands import Island, IslandPruner
from evofolio.search.engine.samplers import make_sampler
from evofolio.search.engine.trial_record import ERROR_ATTR, FAILURE_ATTR, PROGRESS_ATTR, WORKER_ATTR

__all__ = [
    "RequeueCallback",
    "check_storage",
    "default_storage_url",
    "driver_hint",
    "engine_options",
    "make_storage",
    "masked_url",
    "normalized_url",
    "open_study",
    "quiet_optuna",
    "storage_failure",
    "storage_path",
]

SQLITE_TIMEOUT_S = 60
SERVER_POOL_SIZE = 1
SERVER_MAX_OVERFLOW = 2
SERVER_POOL_RECYCLE_S = 600
RUN_ATTRS = frozenset({WORKER_ATTR, FAILURE_ATTR, ERROR_ATTR, PROGRESS_ATTR})


@contextmanager
def quiet_optuna() -> Iterator[None]:
    """Silence Optuna's experimental-feature warnings and its heartbeat-with-ask warning.

    Heartbeats are meant for ``Study.optimize``; this engine runs the heartbeat thread
    itself around ``ask``/``tell`` (see :mod:`evofolio.search.engine.workers`).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        warnings.filterwarnings("ignore", message="Heartbeat of storage")
        yield


def default_storage_url(run_dir: Path) -> str:
    """The SQLite URL of ``run_dir/search.db`` (absolute path)."""
    return f"sqlite:///{(Path(run_dir) / SEARCH_DB).resolve()}"


class RequeueCallback(RetryHeartbeatStaleTrialCallback):
    """Optuna's re-queueing of a failed trial's genome, minus the failed run's attributes.

    The copy keeps the genes, the generation and the retry history, but not ``worker``,
    ``failure`` or ``error``, which describe the run that died, not the one to come.
    """

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        clean = copy.copy(trial)
        clean.user_attrs = {k: v for k, v in trial.user_attrs.items() if k not in RUN_ATTRS}
        with quiet_optuna():
            super().__call__(study, clean)


def storage_path(url: str) -> str:
    """What to name in a message about the storage ``url``: an SQLite database's file,
    else the URL with its password masked."""
    if url.startswith("sqlite:///"):
        return url[len("sqlite:///") :]
    return masked_url(url)


def storage_failure(
    error: BaseException, url: str | None = None, where: str | Path | None = None
) -> OutputError | None:
    """``error`` as one :class:`~evofolio.errors.OutputError` line when the storage is at
    fault (a full disk, a read-only directory, an I/O error: see
    :func:`evofolio.outdir.storage_errno`), else None. It names the database of ``url`` when
    the error came from it (SQLite's ``database or disk is full`` through SQLAlchemy and
    Optuna's ``StorageInternalError``), else the file the ``OSError`` names, else ``where``.
    """
    if isinstance(error, OutputError):
        return error
    if storage_errno(error) is None:  # (atomic writers have already asked the disk)
        return None
    chain: list[BaseException] = []
    item: BaseException | None = error
    while item is not None and item not in chain:
        chain.append(item)
        item = item.__cause__ or item.__context__
    from_database = any(
        isinstance(item, sqlalchemy.exc.SQLAlchemyError | optuna.exceptions.StorageInternalError)
        for item in chain
    )
    if from_database and url is not None:
        return output_error(error, storage_path(url))
    named = next(
        (item.filename for item in chain if isinstance(item, OSError) and item.filename), None
    )
    return output_error(error, named or where or "the search's storage")


def masked_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (for messages and logs)."""
    try:
        parsed = sqlalchemy.engine.make_url(url)
    except Exception:  # not a URL SQLAlchemy can parse: mask anything like user:pass@
        return re.sub(r"(//[^/:@]*:)[^@/]*@", r"\1***@", url)
    return parsed.render_as_string(hide_password=True)


def _first_line(error: BaseException, url: str) -> str:
    """The driver's message, first line only, with any full copy of ``url`` masked.

    Only whole URLs (as given, as normalized, as SQLAlchemy renders them) are replaced by
    :func:`masked_url`; the bare password is never searched for, so a short password such
    as ``"o"`` neither garbles the message nor reveals itself by the gaps it leaves.
    """
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    masked = masked_url(url)
    forms = {url, normalized_url(url)}
    for form in list(forms):
        try:
            forms.add(sqlalchemy.engine.make_url(form).render_as_string(hide_password=False))
        except Exception:
            continue
    for form in sorted(forms, key=len, reverse=True):
        if form != masked:
            text = text.replace(form, masked)
    return text


def driver_hint(url: str) -> str:
    """How to install the database driver ``url``'s dialect needs (for a missing module)."""
    scheme = url.split(":", 1)[0].lower()
    if scheme.startswith("mysql") or scheme.startswith("mariadb"):
        return (
            "install the driver: pip install pymysql, and use a "
            "'mysql+pymysql://user:password@host/database' URL"
        )
    if scheme.startswith("postgres"):
        return "install the driver: pip install 'evofolio[postgres]'"
    return "install the SQLAlchemy driver for this database"


def engine_options(url: str) -> dict[str, Any]:
    """SQLAlchemy engine options for ``url``: SQLite waits for its lock; a server database
    gets a small pool checked before use (at most :data:`SERVER_POOL_SIZE` +
    :data:`SERVER_MAX_OVERFLOW` connections per process: the study's queries and the
    heartbeat thread), so many workers stay below the server's ``max_connections``."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": SQLITE_TIMEOUT_S}}
    return {
        "pool_size": SERVER_POOL_SIZE,
        "max_overflow": SERVER_MAX_OVERFLOW,
        "pool_pre_ping": True,
        "pool_recycle": SERVER_POOL_RECYCLE_S,
    }


def normalized_url(url: str) -> str:
    """``postgresql://`` / ``postgres://`` URLs use psycopg 3 (``evofolio[postgres]``);
    other URLs (``sqlite:///``, ``mysql+pymysql://``, ``postgresql+psycopg2://``) are kept."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


def make_storage(url: str, search: SearchConfig) -> RDBStorage:
    """An RDB storage with heartbeats and re-queueing of stale trials.

    Raises ``OutputError`` naming the database when the storage cannot be written (full
    disk, read-only directory), ``ConfigError`` naming ``url`` (password masked) in one line
    when it is malformed,
    its driver is missing (the hint fits the dialect: ``pip install 'evofolio[postgres]'``,
    ``pip install pymysql`` with a ``mysql+pymysql://`` URL), or the server is unreachable
    or refuses the credentials; nothing is created then.
    """
    with quiet_optuna():
        try:
            storage = RDBStorage(
                normalized_url(url),
                engine_kwargs=engine_options(url),
                heartbeat_interval=search.heartbeat_seconds,
                grace_period=2 * search.heartbeat_seconds,
                heartbeat_stale_trial_callback=RequeueCallback(max_retry=search.max_retry),
            )
        except Exception as error:  # sqlalchemy raises many kinds for a bad URL
            failure = storage_failure(error, url)
            if failure is not None:  # a full disk or a read-only directory, not the URL
                raise failure from None
            hint = ""
            if isinstance(error, ModuleNotFoundError | ImportError):
                hint = f" ({driver_hint(url)})"
            raise ConfigError(
                f"search.storage: cannot open {masked_url(url)!r}: {_first_line(error, url)}{hint}"
            ) from None
    if url.startswith("sqlite"):
        _tune_sqlite(storage.engine)
    return storage


def check_storage(url: str | None, search: SearchConfig) -> None:
    """Open a server database URL now (:func:`make_storage` and one connection), so a bad
    URL, a missing driver or an unreachable server fails in one line before the data load
    and the classic panel (minutes on a cold cache), not after them.

    ``None`` (the run directory's SQLite file) and ``sqlite://`` URLs are left to the search:
    opening them would create the database file before the inputs are checked.

    Raises:
        ConfigError: as :func:`make_storage`, naming the URL with its password masked.
    """
    if url is None or url.startswith("sqlite"):
        return
    storage = make_storage(url, search)
    try:
        with storage.engine.connect():
            pass
    except Exception as error:  # the pool may fail on its own first checkout
        raise ConfigError(
            f"search.storage: cannot open {masked_url(url)!r}: {_first_line(error, url)}"
        ) from None
    finally:
        storage.engine.dispose()


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _tune_sqlite(engine: sqlalchemy.engine.Engine) -> None:
    """WAL journal: readers never block the writer, and commits skip the fsync.

    A killed process loses nothing it committed; only a power cut may lose the last
    commits (never the file's consistency). WAL needs every process on one machine: to
    spread a search over machines use a server database (PostgreSQL), as SQLite requires.
    """
    sqlalchemy.event.listen(engine, "connect", _sqlite_pragmas)
    engine.dispose()  # connections opened while Optuna created the tables lack the pragmas


def open_study(
    search: SearchConfig,
    storage: RDBStorage,
    study_name: str,
    *,
    seed: int,
    directions: Sequence[Direction],
    islands: Sequence[Island] = (),
    island_param: str = "",
    sync: bool = False,
) -> optuna.Study:
    """Create or load the study, with the sampler of ``search.sampler`` (:func:`make_sampler`,
    one per island with ``islands``) and a pruner.

    The percentile pruner (``search.prune_percentile``; 50 is Optuna's median pruner) is used
    only for a single objective with ``search.prune``; with islands it compares a trial with
    its own island's trials. Raises ``ConfigError`` if an existing
    study optimises other ``directions``.
    """
    wanted = list(directions)
    pruner: optuna.pruners.BasePruner = (
        optuna.pruners.PercentilePruner(  # Optuna's percentile is the share of trials KEPT
            100.0 - search.prune_percentile,
            n_startup_trials=search.population,
            n_warmup_steps=0,
        )
        if search.prune and len(wanted) == 1
        else optuna.pruners.NopPruner()
    )
    if islands and search.prune and len(wanted) == 1:
        pruner = IslandPruner(pruner, island_param)
    study = optuna.create_study(
        storage=storage,
        study_name=study_name,
        sampler=make_sampler(search, seed, islands, island_param, sync=sync),
        pruner=pruner,
        directions=wanted,
        load_if_exists=True,
    )
    found = [direction.name.lower() for direction in study.directions]
    if found != wanted:
        raise ConfigError(
            f"study {study_name!r} in {masked_url(storage.url)!r} optimises {found}, not {wanted} "
            "(search.multi_objective changed?); choose another search.study_name"
        )
    return study
