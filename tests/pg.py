"""A throwaway PostgreSQL server for tests, from the binaries in /usr/lib/postgresql/*/bin.

Fixtures (import them into a test module: ``from tests.pg import pg_server, pg_url``)
    ``pg_server``  session scope: starts ``postgres`` (fsync off) on a free port as the
                   ``postgres`` user, creates ``statdesk_test``, yields its base URL
                   ``postgresql+psycopg://postgres@127.0.0.1:PORT``; stops it at teardown.
    ``pg_url``     a fresh, empty database on that server for one test (URL ending in the
                   database name).
    ``db_url``     parametrised over ``sqlite`` and ``postgresql``: a fresh database URL.

Without the server binaries the PostgreSQL cases are skipped with the reason, unless
``STATDESK_REQUIRE_POSTGRES=1`` (then they fail).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def _missing(reason: str) -> None:
    if os.environ.get("STATDESK_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{reason} (STATDESK_REQUIRE_POSTGRES=1)", pytrace=False)
    pytest.skip(reason)


def pg_bin() -> Path | None:
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                  key=lambda d: [int(x) for x in Path(d).parent.name.split(".") if x.isdigit()])
    for d in reversed(dirs):
        if (Path(d) / "initdb").exists() and (Path(d) / "pg_ctl").exists():
            return Path(d)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(cmd: list[str]) -> list[str]:
    """Run as the ``postgres`` user when we are root (initdb refuses to run as root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _run(cmd: list[str]) -> None:
    out = subprocess.run(_as_postgres(cmd), capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    bindir = pg_bin()
    if bindir is None:
        _missing("PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin "
                 "(apt-get install postgresql); PostgreSQL tests skipped")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _missing("the psycopg driver is not installed (pip install 'psycopg[binary]'); "
                 "PostgreSQL tests skipped")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        _missing("running as root without runuser: cannot start PostgreSQL as user postgres")
    data = Path(tempfile.mkdtemp(prefix="statdesk-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    port = _free_port()
    _run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
          "--no-sync"])
    _run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(data / "log"), "-w", "-t", "30", "-o",
          f"-c listen_addresses=127.0.0.1 -p {port} -k {data} -c fsync=off", "start"])
    try:
        _run([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
              "statdesk_test"])
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w",
                                     "stop"]), capture_output=True, timeout=60)
        shutil.rmtree(data, ignore_errors=True)


def create_database(server: str) -> str:
    """A new empty database on ``server``; returns its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    dsn = server.replace("postgresql+psycopg://", "postgresql://") + "/statdesk_test"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


@pytest.fixture()
def pg_url(pg_server: str) -> str:
    return create_database(pg_server)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'statdesk.db'}"
    server = request.getfixturevalue("pg_server")
    return create_database(server)
