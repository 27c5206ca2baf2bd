"""The ``dg`` project config: which modules a ``create-dagster`` project names.

A ``dg`` project names its package in ``pyproject.toml`` (``[tool.dg.project] root_module``)
or in a ``dg.toml`` (``[project] root_module``). Reading it needs no definitions, so finding a
project (:mod:`assettui.project.target`) stays as light as the CLI's start-up needs.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assettui.errors import ProjectLoadError

DEFAULT_DEFS_SUBMODULE = "defs"
DEFAULT_TARGET_SUBMODULE = "definitions"


@dataclass(frozen=True)
class DgProjectConfig:
    """What a ``dg`` project's config file says about its modules.

    Attributes:
        config_file: the ``pyproject.toml`` or ``dg.toml`` read.
        root: the project directory (the config file's folder).
        root_module: the project's top package.
        defs_module: the package holding the defs folder (``<root_module>.defs``).
        target_module: the module whose ``Definitions`` is the project's
            (``code_location_target_module``, default ``<root_module>.definitions``).
        code_location_name: the project's name as a code location.
    """

    config_file: Path
    root: Path
    root_module: str
    defs_module: str
    target_module: str
    code_location_name: str


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise ProjectLoadError(f"{path} is not valid TOML: {exc}") from None


def read_dg_project(directory: str | Path) -> DgProjectConfig | None:
    """The ``dg`` project configured in ``directory`` itself, if any.

    ``dg.toml`` (settings at top level) wins over ``pyproject.toml`` (``[tool.dg]``), as in
    Dagster. A config file that is a ``dg`` workspace, not a project, gives ``None``.

    Raises:
        ProjectLoadError: if the file is not valid TOML or names no module.
    """
    folder = Path(directory).absolute()
    dg_toml = folder / "dg.toml"
    pyproject = folder / "pyproject.toml"
    if dg_toml.is_file():
        config_file, node = dg_toml, _read_toml(dg_toml)
    elif pyproject.is_file():
        config_file = pyproject
        node = _read_toml(pyproject).get("tool", {}).get("dg")
        if node is None:
            return None
    else:
        return None
    project = node.get("project") or {}
    if not project:
        return None
    root_module = project.get("root_module")
    defs_module = project.get("defs_module")
    if not root_module and not defs_module:
        raise ProjectLoadError(
            f"{config_file} has a dg project section but names no module: set root_module "
            '(e.g. root_module = "my_project") under [tool.dg.project].'
        )
    root_module = str(root_module or str(defs_module).split(".")[0])
    return DgProjectConfig(
        config_file=config_file,
        root=folder,
        root_module=root_module,
        defs_module=str(defs_module or f"{root_module}.{DEFAULT_DEFS_SUBMODULE}"),
        target_module=str(
            project.get("code_location_target_module")
            or f"{root_module}.{DEFAULT_TARGET_SUBMODULE}"
        ),
        code_location_name=str(project.get("code_location_name") or folder.name),
    )


def find_dg_project(path_within_project: str | Path) -> DgProjectConfig:
    """The ``dg`` project holding ``path_within_project`` (it or its nearest parent).

    Raises:
        ProjectLoadError: if no folder up to the file system root has a dg config.
    """
    start = Path(path_within_project).absolute()
    for folder in [start, *start.parents]:
        config = read_dg_project(folder)
        if config is not None:
            return config
    raise ProjectLoadError(
        f"No dg project config (a pyproject.toml with [tool.dg.project] root_module, or a "
        f"dg.toml) in {start} or any parent folder. Add one, e.g.\n\n"
        '[tool.dg]\ndirectory_type = "project"\n\n[tool.dg.project]\nroot_module = "my_project"'
    )
