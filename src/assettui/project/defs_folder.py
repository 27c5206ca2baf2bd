"""``load_from_defs_folder``: the definitions of a ``create-dagster`` project's defs folder.

A ``dg`` project names its package in ``pyproject.toml`` (``[tool.dg.project] root_module``)
or in a ``dg.toml`` (``[project] root_module``); its definitions live in the defs package
(``defs_module``, default ``<root_module>.defs``). As Dagster does, every ``.py`` file under
that folder is imported, each file giving a ``Definitions``:

- the one ``Definitions`` object defined in it, if there is one;
- else what its ``@definitions`` functions return (called with a ``ComponentLoadContext``);
- else its module-level assets, asset specs, source assets, checks, jobs, schedules and
  sensors.

The files' definitions are merged into one. Resources come from the files' ``Definitions``
(e.g. a ``resources.py`` with ``@dg.definitions``). YAML components (``defs.yaml``) are a
Dagster Components feature assettui does not have: such a folder is refused with a message
naming the file.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from assettui.errors import DefinitionError, ProjectLoadError
from assettui.model.assets.checks import AssetChecksDefinition
from assettui.model.assets.definition import AssetsDefinition
from assettui.model.assets.spec import AssetSpec, SourceAsset
from assettui.model.automation.schedules import ScheduleDefinition
from assettui.model.automation.sensors import SensorDefinition
from assettui.model.definitions import Definitions, merge_definitions, unique_objects
from assettui.model.jobs import JobDefinition, UnresolvedAssetJobDefinition
from assettui.model.lazy_definitions import ComponentLoadContext, module_lazy_definitions
from assettui.project.dg_config import DgProjectConfig, find_dg_project

COMPONENT_FILES = ("defs.yaml", "defs.yml", "component.yaml")

_COLLECTED = (
    AssetsDefinition,
    SourceAsset,
    AssetSpec,
    AssetChecksDefinition,
    ScheduleDefinition,
    SensorDefinition,
    JobDefinition,
    UnresolvedAssetJobDefinition,
)


def _source_dir(config: DgProjectConfig) -> Path | None:
    """Where the root package lives: ``src/`` (the create-dagster layout) or the root."""
    for candidate in (config.root / "src", config.root):
        package = candidate / config.root_module
        if package.is_dir() or package.with_suffix(".py").is_file():
            return candidate
    return None


def import_defs_module(config: DgProjectConfig) -> ModuleType:
    """Import the defs package, putting the project's source folder on ``sys.path`` if needed.

    Dagster expects the project to be installed (``pip install -e .``); assettui also finds
    an uninstalled one in ``src/`` or the project folder.

    Raises:
        ProjectLoadError: if the root package cannot be found.
    """
    try:
        return importlib.import_module(config.defs_module)
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] != config.root_module:
            raise  # a missing third-party import inside the defs: the user's own error
        source = _source_dir(config)
        if source is None or str(source) in sys.path:
            raise ProjectLoadError(
                f"Cannot import {config.defs_module!r} (from {config.config_file}): no package "
                f"{config.root_module!r} in {config.root / 'src'} or {config.root}. Check "
                "root_module / defs_module, or install the project with `pip install -e .`."
            ) from exc
    sys.path.insert(0, str(source))
    importlib.invalidate_caches()
    return importlib.import_module(config.defs_module)


def _module_folder(module: ModuleType) -> Path | None:
    paths = list(getattr(module, "__path__", None) or ())
    return Path(paths[0]) if paths else None


def _component_file(folder: Path) -> Path | None:
    return next((folder / n for n in COMPONENT_FILES if (folder / n).is_file()), None)


def _refuse_components(file: Path) -> None:
    raise ProjectLoadError(
        f"{file} declares a Dagster component (YAML components are not supported by "
        "assettui). Define its assets in Python instead: a .py file in the defs folder with "
        "@dg.asset functions, or a @dg.definitions function returning dg.Definitions(...)."
    )


def _python_files(folder: Path) -> Iterator[Path]:
    """Every ``.py`` file under ``folder``, in Dagster's order (sorted, depth first)."""
    component = _component_file(folder)
    if component is not None:
        _refuse_components(component)
    for entry in sorted(folder.iterdir()):
        if entry.name == "__pycache__" or entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _python_files(entry)
        elif entry.suffix == ".py":
            yield entry


def definitions_of_module(module: ModuleType, context: ComponentLoadContext) -> Definitions:
    """The definitions one defs-folder file contributes (see the module docstring).

    Raises:
        DefinitionError: if the file mixes ``Definitions`` and ``@definitions``, or has
            several ``Definitions`` objects.
    """
    where = getattr(module, "__file__", None) or module.__name__
    values = list(vars(module).values())
    defs_objects = unique_objects(
        item
        for value in values
        for item in (value if isinstance(value, list) else [value])
        if isinstance(item, Definitions)
    )
    lazy = module_lazy_definitions(module)
    if defs_objects and lazy:
        raise DefinitionError(
            f"{where} has both @definitions functions and Definitions objects; keep at most one "
            "of the two per file."
        )
    if len(defs_objects) > 1:
        raise DefinitionError(
            f"{where} has {len(defs_objects)} Definitions objects; a defs-folder file may hold "
            "at most one (or merge them with Definitions.merge)."
        )
    if defs_objects:
        return defs_objects[0]
    if lazy:
        return merge_definitions(
            [fn(context) if fn.has_context_arg else fn() for fn in lazy], where=str(where)
        )
    found = unique_objects(
        item
        for value in values
        for item in (value if isinstance(value, (list, tuple)) else [value])
        if isinstance(item, _COLLECTED)
    )
    return Definitions(
        assets=[i for i in found if isinstance(i, (AssetsDefinition, SourceAsset, AssetSpec))],
        asset_checks=[i for i in found if isinstance(i, AssetChecksDefinition)],
        schedules=[i for i in found if isinstance(i, ScheduleDefinition)],
        sensors=[i for i in found if isinstance(i, SensorDefinition)],
        jobs=[i for i in found if isinstance(i, (JobDefinition, UnresolvedAssetJobDefinition))],
    )


def load_defs_module(config: DgProjectConfig) -> Definitions:
    """Import every file of the project's defs folder and merge their definitions."""
    return load_defs_package(import_defs_module(config), config.root)


def load_defs_package(package: ModuleType, project_root: Path | None = None) -> Definitions:
    """Import every ``.py`` file of ``package`` (a defs folder) and merge their definitions."""
    folder = _module_folder(package)
    file_name = getattr(package, "__file__", None)
    module_file = Path(file_name) if file_name else None
    root = project_root or (folder.parent if folder else Path.cwd())
    root_context = ComponentLoadContext(
        path=folder or module_file or root,
        project_root=root,
        defs_module_path=folder or (module_file.parent if module_file else root),
        defs_module_name=package.__name__,
    )
    if folder is None:  # a single defs.py module rather than a folder
        return definitions_of_module(package, root_context)
    parts = []
    for file in _python_files(folder):
        context = root_context.for_path(file)
        module = importlib.import_module(context.defs_relative_module_name(file))
        parts.append(definitions_of_module(module, context))
    return merge_definitions(parts, where=f"the defs folder {folder}")


def load_from_defs_folder(
    *,
    path_within_project: str | Path | None = None,
    project_root: str | Path | None = None,
) -> Definitions:
    """All the definitions in a ``dg`` project's defs folder, merged.

    Call it from the project's ``definitions.py``::

        @dg.definitions
        def defs():
            return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)

    Args:
        path_within_project: a path inside the project; the project is the nearest folder
            (it or a parent) with a ``dg.toml`` or a ``pyproject.toml`` with ``[tool.dg]``.
        project_root: the older name of ``path_within_project``.

    Returns:
        A :class:`~assettui.Definitions` of every file in the defs folder.

    Raises:
        ProjectLoadError: no project config, an unimportable defs package, or a YAML component.
        DefinitionError: conflicting definitions between files.
    """
    if path_within_project is not None and project_root is not None:
        raise DefinitionError(
            "load_from_defs_folder: pass path_within_project or project_root, not both "
            "(project_root is the older name of path_within_project)."
        )
    path = path_within_project if path_within_project is not None else project_root
    if path is None:
        raise DefinitionError(
            "load_from_defs_folder needs path_within_project, e.g. "
            "load_from_defs_folder(path_within_project=Path(__file__).parent)."
        )
    return load_defs_module(find_dg_project(path))
