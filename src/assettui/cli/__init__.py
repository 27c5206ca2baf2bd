"""The ``assettui`` command.

``assettui [PROJECT]`` opens the terminal UI; subcommands work headless (scripts, SSH, CI).
"""

from __future__ import annotations

from assettui.cli.main import cli, main

__all__ = ["cli", "main"]
