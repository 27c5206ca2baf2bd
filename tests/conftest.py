"""Shared fixtures: a project written into a temp dir, and its instance home."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Fixture projects carry their own tests (run through `assettui test`), not part of this suite.
collect_ignore_glob = ["fixtures/*"]


@pytest.fixture
def write_project(tmp_path: Path) -> Callable[[str], Path]:
    """Write ``definitions.py`` (dedented) into a fresh project dir; returns the dir."""

    def write(source: str, name: str = "definitions.py") -> Path:
        project = tmp_path / "project"
        project.mkdir(exist_ok=True)
        (project / name).write_text(textwrap.dedent(source))
        return project

    return write


@pytest.fixture(scope="session")
def dask_address() -> Iterator[str]:
    """The scheduler address of a real Dask cluster (a scheduler and two one-thread worker
    processes on loopback) shared by the session's tests. The workers know the test
    PostgreSQL server's password (PGPASSWORD), as a team's workers would."""
    pytest.importorskip("distributed", reason="Dask's distributed package is not installed")
    from tests.servers import PostgresServer, dask_cluster

    with dask_cluster(workers=2, env={"PGPASSWORD": PostgresServer.password}) as cluster:
        yield cluster.address


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    """A real PostgreSQL server for the session (the machine's initdb and pg_ctl, run as the
    postgres user when the tests run as root), on a free loopback port."""
    pytest.importorskip("psycopg", reason="psycopg is not installed")
    from tests.servers import postgres_bindir, postgres_server

    if postgres_bindir() is None:
        pytest.skip("PostgreSQL's initdb and pg_ctl are not on this machine")
    with postgres_server() as server:
        yield server


@pytest.fixture
def postgres_url(pg_server: Any) -> str:
    """The URL of a new, empty database on the session's PostgreSQL server."""
    import uuid

    return str(pg_server.create_database(f"t_{uuid.uuid4().hex[:12]}"))


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test on each instance-storage backend: ``Storage(home)`` opens the folder's
    SQLite file, or (through ``$ASSETTUI_STORAGE``) a fresh PostgreSQL database."""
    if request.param == "postgresql":
        monkeypatch.setenv("ASSETTUI_STORAGE", request.getfixturevalue("postgres_url"))
    else:
        monkeypatch.delenv("ASSETTUI_STORAGE", raising=False)
    return str(request.param)
