"""Shared fixtures of the reliability suite: a project on disk, its instance, real processes.

``fault_project(source)`` writes ``definitions.py`` into a fresh folder and returns a
:class:`FaultProject` (its folder, instance home, the CLI command line and a
``RunLauncher``); ``wait_for`` polls a condition with a deadline, the only kind of waiting
these tests do.
"""

from __future__ import annotations

import os
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from assettui.execution.launcher import RunLauncher
from assettui.project import find_project
from assettui.project.target import ProjectTarget
from assettui.storage.instance_storage import Storage


@dataclass(frozen=True)
class FaultProject:
    """A user project written to disk, with its own instance folder.

    Attributes:
        root: the project folder (holds ``definitions.py``).
        home: the instance folder (``<root>/.assettui``).
        target: the loaded project target.
    """

    root: Path
    home: Path
    target: ProjectTarget

    def cli(self, command: str, *args: str) -> list[str]:
        """The ``assettui COMMAND PROJECT --home HOME ARGS`` command line (this interpreter)."""
        return [
            sys.executable,
            "-m",
            "assettui.cli.main_entry",
            command,
            str(self.root),
            "--home",
            str(self.home),
            *args,
        ]

    def launcher(self) -> RunLauncher:
        """A launcher (with its own storage) that starts run workers of this project."""
        return RunLauncher(self.home, self.target)

    def storage(self) -> Storage:
        """A fresh ``Storage`` on the instance (closed by the caller or at exit)."""
        return Storage(self.home)


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for child processes: ours, minus a stray ASSETTUI_HOME."""
    env = {k: v for k, v in os.environ.items() if k != "ASSETTUI_HOME"}
    env.update(extra)
    return env


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def fault_project(tmp_path: Path) -> Iterator[Callable[[str], FaultProject]]:
    """Write ``definitions.py`` (dedented) into ``tmp_path/project``; returns the project."""

    def write(source: str) -> FaultProject:
        root = tmp_path / "project"
        root.mkdir(exist_ok=True)
        (root / "definitions.py").write_text(textwrap.dedent(source))
        home = root / ".assettui"
        Storage(home).close()  # create and migrate the instance up front
        return FaultProject(root=root, home=home, target=find_project(root))

    yield write
