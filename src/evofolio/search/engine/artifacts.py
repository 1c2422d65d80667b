"""Trial files every machine can read: Optuna artifact stores.

On one machine a trial's files stay in its run directory (``trials/NNNNN/``). When several
machines share a study, ``search.artifacts`` names a store every one of them reaches:

* a directory every machine mounts (Optuna's ``FileSystemArtifactStore``), or
* ``s3://bucket/prefix`` (Optuna's ``Boto3ArtifactStore``; ``pip install 'evofolio[s3]'``;
  the endpoint and credentials come from the standard AWS environment variables, e.g.
  ``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``).

A worker uploads the files of its trial's directory **before** telling the trial complete,
so every completed trial has them; the artifacts are referenced from the trial in the study
(Optuna's ``artifacts:`` system attributes, which optuna-dashboard lists). The machine that
finishes the run downloads what it reads (:func:`download_trial_files`). Files of the study
as a whole (the champion) are uploaded with :func:`upload_study_file` and found again by
the study user attribute that names them.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import IO, Any, BinaryIO

import optuna
from optuna.artifacts import FileSystemArtifactStore, download_artifact, upload_artifact
from optuna.artifacts import get_all_artifact_meta as _all_meta
from optuna.storages import BaseStorage
from optuna.trial import FrozenTrial

from evofolio.errors import ConfigError
from evofolio.search.engine.storage import quiet_optuna

__all__ = [
    "ArtifactStore",
    "PrefixedStore",
    "download_study_file",
    "download_trial_files",
    "open_store",
    "trial_artifact_names",
    "upload_study_file",
    "upload_trial_files",
]

logger = logging.getLogger(__name__)

ArtifactStore = Any
"""Optuna's artifact-store protocol: ``open_reader(id)``, ``write(id, body)``, ``remove(id)``."""
STUDY_FILE_ATTR = "evofolio_artifact:"


class PrefixedStore:
    """An artifact store whose ids live under ``prefix/`` of another store (a bucket's
    folder: Optuna's ``Boto3ArtifactStore`` takes a bucket only)."""

    def __init__(self, store: ArtifactStore, prefix: str) -> None:
        self.store = store
        self.prefix = prefix.strip("/")

    def _key(self, artifact_id: str) -> str:
        return f"{self.prefix}/{artifact_id}" if self.prefix else artifact_id

    def open_reader(self, artifact_id: str) -> BinaryIO:
        reader: BinaryIO = self.store.open_reader(self._key(artifact_id))
        return reader

    def write(self, artifact_id: str, content_body: BinaryIO | IO[bytes]) -> None:
        self.store.write(self._key(artifact_id), content_body)

    def remove(self, artifact_id: str) -> None:
        self.store.remove(self._key(artifact_id))


def _s3_store(spec: str) -> ArtifactStore:
    bucket, _, prefix = spec[len("s3://") :].partition("/")
    if not bucket:
        raise ConfigError(f"search.artifacts: {spec!r} names no bucket (s3://bucket/prefix)")
    try:
        import boto3
        from optuna.artifacts import Boto3ArtifactStore
    except ImportError:
        raise ConfigError(
            f"search.artifacts: {spec!r} needs boto3: pip install 'evofolio[s3]'"
        ) from None
    client = boto3.client("s3")
    try:
        client.head_bucket(Bucket=bucket)
    except Exception as error:  # botocore raises ClientError, EndpointConnectionError, ...
        first = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        raise ConfigError(f"search.artifacts: cannot reach bucket of {spec!r}: {first}") from None
    return PrefixedStore(Boto3ArtifactStore(bucket, client=client), prefix)


def open_store(spec: str | None) -> ArtifactStore | None:
    """The artifact store ``spec`` names (None: none, the run directory is the store).

    Raises ``ConfigError`` naming ``spec`` when the directory cannot be created or written,
    boto3 is missing, or the bucket cannot be reached.
    """
    if spec is None or not spec.strip():
        return None
    if spec.startswith("s3://"):
        return _s3_store(spec)
    path = Path(spec).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        raise ConfigError(f"search.artifacts: cannot write to {spec!r}: {error}") from None
    return FileSystemArtifactStore(path.resolve())


def upload_trial_files(
    store: ArtifactStore, storage: BaseStorage, trial: optuna.Trial, directory: Path
) -> list[str]:
    """Upload every file of ``directory`` (flat) as an artifact of ``trial``; returns the
    file names uploaded (in name order)."""
    names = []
    for path in sorted(Path(directory).iterdir()):
        if path.is_file():
            with quiet_optuna():
                upload_artifact(
                    artifact_store=store,
                    file_path=str(path),
                    study_or_trial=trial,
                    storage=storage,
                )
            names.append(path.name)
    return names


def trial_artifact_names(storage: BaseStorage, trial: FrozenTrial) -> list[str]:
    """The file names stored as artifacts of ``trial``."""
    with quiet_optuna():
        return sorted(meta.filename for meta in _all_meta(trial, storage=storage))


def _download(store: ArtifactStore, artifact_id: str, target: Path) -> None:
    """Download to a temporary name, then rename: a reader never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(handle)
    os.unlink(partial)
    try:
        download_artifact(artifact_store=store, file_path=partial, artifact_id=artifact_id)
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def download_trial_files(
    store: ArtifactStore, storage: BaseStorage, trial: FrozenTrial, directory: Path
) -> list[str]:
    """Download ``trial``'s artifacts that ``directory`` lacks; returns the names fetched.

    A file already there is kept (the trial ran on this machine, or was fetched before).
    """
    fetched = []
    with quiet_optuna():
        metas = _all_meta(trial, storage=storage)
    for meta in metas:
        target = Path(directory) / meta.filename
        if target.is_file():
            continue
        _download(store, meta.artifact_id, target)
        fetched.append(meta.filename)
    return sorted(fetched)


def upload_study_file(store: ArtifactStore, study: optuna.Study, path: Path) -> str:
    """Upload ``path`` as an artifact of ``study``, named by the study user attribute
    ``evofolio_artifact:<file name>`` (a later upload of the same name replaces it)."""
    with quiet_optuna():
        artifact_id = upload_artifact(
            artifact_store=store, file_path=str(path), study_or_trial=study
        )
    study.set_user_attr(STUDY_FILE_ATTR + Path(path).name, artifact_id)
    return artifact_id


def download_study_file(store: ArtifactStore, study: optuna.Study, name: str, target: Path) -> bool:
    """Download the study's file ``name`` (see :func:`upload_study_file`) to ``target``;
    False when the study has none."""
    artifact_id = study.user_attrs.get(STUDY_FILE_ATTR + name)
    if artifact_id is None:
        return False
    if target.exists():
        target.unlink()
    _download(store, str(artifact_id), Path(target))
    return True
