"""Shared fixtures: a project written into a temp dir, and its instance home."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

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
    processes on loopback) shared by the session's tests."""
    pytest.importorskip("distributed", reason="Dask's distributed package is not installed")
    from tests.servers import dask_cluster

    with dask_cluster(workers=2) as cluster:
        yield cluster.address
