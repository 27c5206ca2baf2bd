"""Shared fixtures: a project written into a temp dir, and its instance home."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
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
