"""Resolve ``import dagster`` (and some plugin names) to assettui modules.

Installed explicitly with :func:`install`; importing assettui installs nothing.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from types import ModuleType

ENV_VAR = "ASSETTUI_DAGSTER_ALIAS"

# Dagster plugin package -> assettui module (used only when the target exists).
PLUGIN_MODULES: dict[str, str] = {
    "dagster_dbt": "assettui.dbt",
    "dagster_duckdb": "assettui.duckdb",
    "dagster_duckdb_pandas": "assettui.duckdb",
    "dagster_duckdb_polars": "assettui.duckdb",
    "dagster_dlt": "assettui.dlt",
    "dagster_pipes": "assettui.pipes",
    "dagster_dask": "assettui.dask",
    "dagster_polars": "assettui.polars",
    "dagster_pandas": "assettui.pandas",
}

# Dagster private modules that user code imports -> public assettui stand-ins.
PRIVATE_MODULES: dict[str, str] = {
    "dagster._core.errors": "assettui.compat.errors",
    "dagster._core.definitions.events": "assettui.compat.events",
    "dagster._core.definitions.data_version": "assettui.compat.data_version",
    "dagster._core.storage.tags": "assettui.compat.tags",
    "dagster._core.test_utils": "assettui.compat.test_utils",
    "dagster._time": "assettui.compat.time",
    "dagster._config.pythonic_config": "assettui.compat.pythonic_config",
}
_PRIVATE_PACKAGES = {
    "dagster._core",
    "dagster._core.definitions",
    "dagster._core.storage",
    "dagster._config",
}


def _alias_target(fullname: str) -> str | None:
    if fullname == "dagster":
        return "assettui"
    if fullname in PRIVATE_MODULES:
        return PRIVATE_MODULES[fullname]
    if fullname in _PRIVATE_PACKAGES:
        return "assettui.compat"
    if fullname.startswith("dagster._"):
        raise ImportError(
            f"`{fullname}` is private to Dagster and assettui does not provide it; "
            "use the public names from `import dagster` instead"
        )
    if fullname.startswith("dagster."):  # a public submodule: assettui's of the same name
        public = "assettui." + fullname[len("dagster.") :]
        try:
            found = importlib.util.find_spec(public) is not None
        except (ImportError, ValueError):
            found = False
        return public if found else None
    top = fullname.split(".", 1)[0]
    target = PLUGIN_MODULES.get(top)
    if target is None:
        return None
    rest = fullname[len(top) :]
    full_target = target + rest
    try:
        if importlib.util.find_spec(target) is None:
            return None
    except (ImportError, ValueError):
        return None
    return full_target


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        return None


class DagsterAliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        alias = _alias_target(fullname)
        if alias is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(alias))


_FINDER = DagsterAliasFinder()


def enabled_by_env() -> bool:
    return os.environ.get(ENV_VAR, "1").strip().lower() not in {"0", "false", "no", "off"}


def install() -> bool:
    """Install the alias finder (idempotent); returns False if switched off by env."""
    if not enabled_by_env():
        return False
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    return True


def uninstall() -> None:
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name in list(sys.modules):
        top = name.split(".", 1)[0]
        if top == "dagster" or top in PLUGIN_MODULES:
            del sys.modules[name]
