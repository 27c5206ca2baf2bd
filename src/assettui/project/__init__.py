"""Find, import and hot-reload a user's project."""

from assettui.project.loader import (
    LoadedProject,
    LoadFailure,
    LoadResult,
    load_definitions,
    load_project,
)
from assettui.project.target import ProjectTarget, find_project, resolve_home

__all__ = [
    "LoadFailure",
    "LoadResult",
    "LoadedProject",
    "ProjectTarget",
    "find_project",
    "load_definitions",
    "load_project",
    "resolve_home",
]
