"""A throwaway PostgreSQL cluster for the shared-study tests (Debian's ``postgresql``).

``initdb`` into a temporary directory, ``pg_ctl`` on a free loopback port with a password
(scram-sha-256), stopped and removed at the end of the session. Each pytest-xdist worker
that runs these tests starts its own cluster (a few seconds). As root, the server runs as
the unprivileged ``postgres`` user. Without the package the tests are skipped with a
message (``make test`` installs it, as it installs chromium).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

USER = "evofolio"
PASSWORD = "s3cret-pw"
DATABASE = "evofolio"


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """``postgresql://evofolio:PASSWORD@127.0.0.1:PORT/evofolio`` of a fresh cluster."""
    binaries = _binaries()
    if binaries is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql; make test does)")
    root = Path(tempfile.mkdtemp(prefix="evofolio-pg-"))
    root.chmod(0o777)
    data, socket_dir = root / "data", root / "socket"
    socket_dir.mkdir()
    socket_dir.chmod(0o777)
    password_file = root / "password"
    password_file.write_text(PASSWORD + "\n")
    password_file.chmod(0o644)
    port = _free_port()
    run = {"check": True, "capture_output": True, "timeout": 120}
    started = False
    try:
        subprocess.run(
            _as_server_user(
                [
                    str(binaries / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    USER,
                    "--pwfile",
                    str(password_file),
                    "--auth",
                    "scram-sha-256",
                    "-E",
                    "UTF8",
                ]
            ),
            **run,
        )
        options = f"-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1 -c max_connections=60"
        subprocess.run(
            _as_server_user(
                [
                    str(binaries / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(root / "server.log"),
                    "-w",
                    "start",
                ]
            ),
            **run,
        )
        started = True
        subprocess.run(
            [str(binaries / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", USER, DATABASE],
            env={**os.environ, "PGPASSWORD": PASSWORD},
            **run,
        )
        yield f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{port}/{DATABASE}"
    finally:
        if started:
            subprocess.run(
                _as_server_user(
                    [str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
                ),
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(root, ignore_errors=True)
