"""``dagster.components``' Python side: ``load_defs`` and ``load_from_defs_folder``.

YAML components (``defs.yaml``) are Dagster's Components feature, which assettui does not
have: a defs folder holding one is refused with a message naming the file.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from assettui.model.definitions import Definitions
from assettui.model.lazy_definitions import ComponentLoadContext, definitions
from assettui.project.defs_folder import load_defs_package, load_from_defs_folder


def load_defs(
    defs_root: ModuleType,
    project_root: Path | None = None,
    terminate_autoloading_on_keyword_files: bool = True,
) -> Definitions:
    """Every definition in the package ``defs_root`` (each of its ``.py`` files), merged."""
    return load_defs_package(defs_root, project_root)


__all__ = ["ComponentLoadContext", "definitions", "load_defs", "load_from_defs_folder"]
