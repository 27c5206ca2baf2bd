"""Commands that run and inspect runs (filled in by the execution engine)."""

from __future__ import annotations

COMMANDS: list = []
