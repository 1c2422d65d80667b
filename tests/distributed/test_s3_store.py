"""The S3 artifact store against a local S3-compatible server (moto's standalone server).

A trial's files go to ``s3://bucket/prefix`` through a PostgreSQL study and come back on
another "machine"; the champion is published and fetched the same way. Skipped (with the
reason) where boto3 or moto[server] is not installed: see docs/guide/machines.md.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest

from evofolio.config import SearchConfig
from evofolio.errors import ConfigError
from evofolio.search.engine.artifacts import (
    download_trial_files,
    open_store,
    upload_trial_files,
)
from evofolio.search.engine.storage import make_storage
from evofolio.search.jobs.handoff import fetch_champion, publish_champion

boto3 = pytest.importorskip("boto3", reason="boto3 not installed (pip install 'evofolio[s3]')")
moto_server = pytest.importorskip("moto.server", reason="moto[server] not installed")

pytestmark = [pytest.mark.postgres]

BUCKET = "evofolio-test"


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for key, value in {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    try:
        yield endpoint
    finally:
        server.stop()


def test_trial_files_and_champion_travel_through_s3(
    tmp_path: Path, postgres_url: str, s3_endpoint: str
) -> None:
    spec = f"s3://{BUCKET}/runs/one"
    search = SearchConfig(artifacts=spec)
    storage = make_storage(postgres_url, search)
    study = optuna.create_study(storage=storage, study_name="s3-study")
    made = tmp_path / "machine-a" / "trials" / "00000"
    made.mkdir(parents=True)
    (made / "returns.parquet").write_bytes(b"PAR1 not really")
    (made / "metrics.json").write_text('{"fitness": 0.5}')
    trial = study.ask()
    store = open_store(spec)
    assert upload_trial_files(store, storage, trial, made) == ["metrics.json", "returns.parquet"]
    study.tell(trial, 0.5)
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert len(keys) == 2 and all(key.startswith("runs/one/") for key in keys)

    elsewhere = tmp_path / "machine-b"
    fetched = download_trial_files(store, storage, study.trials[0], elsewhere)
    assert fetched == ["metrics.json", "returns.parquet"]
    assert (elsewhere / "returns.parquet").read_bytes() == b"PAR1 not really"

    champion = tmp_path / "machine-a" / "champion"
    (champion / "models").mkdir(parents=True)
    (champion / "config.json").write_text('{"seed": 1}')
    (champion / "models" / "ensemble.json").write_text('{"members": []}')
    assert publish_champion(search, study, tmp_path / "machine-a")
    fourth = tmp_path / "machine-d"
    fetch_champion(postgres_url, "s3-study", spec, fourth)
    assert (fourth / "champion" / "config.json").read_text() == '{"seed": 1}'
    assert (fourth / "champion" / "models" / "ensemble.json").is_file()


def test_missing_bucket_is_a_config_error_naming_it(s3_endpoint: str) -> None:
    with pytest.raises(ConfigError, match="s3://no-such-bucket/x"):
        open_store("s3://no-such-bucket/x")
