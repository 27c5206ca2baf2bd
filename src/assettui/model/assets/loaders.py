"""``load_assets_from_modules`` and friends: collect definitions from module attributes."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import Any

from assettui.model.asset_key import AssetKey
from assettui.model.assets.checks import AssetChecksDefinition
from assettui.model.assets.definition import AssetsDefinition
from assettui.model.assets.spec import AssetSpec, SourceAsset
from assettui.model.definitions import Definitions


def _collect(modules: Iterable[ModuleType], kinds: tuple[type, ...]) -> list[Any]:
    seen: set[int] = set()
    out: list[Any] = []
    for module in modules:
        for value in vars(module).values():
            candidates = value if isinstance(value, (list, tuple)) else [value]
            for item in candidates:
                if isinstance(item, kinds) and id(item) not in seen:
                    seen.add(id(item))
                    out.append(item)
    return out


def _apply(assets: list[Any], group_name: str | None, key_prefix: Any) -> list[Any]:
    if not group_name and not key_prefix:
        return assets
    prefix = [key_prefix] if isinstance(key_prefix, str) else list(key_prefix or [])
    out: list[Any] = []
    for item in assets:
        if isinstance(item, AssetsDefinition):
            groups = {k: group_name for k in item.keys} if group_name else None
            out.append(item.with_attributes(group_names_by_key=groups, key_prefix=prefix or None))
        elif isinstance(item, AssetSpec):
            spec = item
            if group_name:
                spec = spec.replace_attributes(group_name=group_name)
            if prefix:
                spec = spec.replace_attributes(key=AssetKey(spec.key).with_prefix(prefix))
            out.append(spec)
        else:
            out.append(item)
    return out


def load_assets_from_modules(
    modules: Iterable[ModuleType],
    group_name: str | None = None,
    key_prefix: str | Sequence[str] | None = None,
    include_specs: bool = False,
    source_key_prefix: Any = None,
    **_unsupported: Any,
) -> list[Any]:
    """Every asset defined at module level in ``modules`` (each once).

    Args:
        modules: the modules to scan.
        group_name: put every loaded asset in this group.
        key_prefix: put this prefix in front of every loaded asset's key.
        include_specs: also load ``AssetSpec`` values.

    Returns:
        The asset definitions (and source assets, and specs if asked).
    """
    kinds: tuple[type, ...] = (AssetsDefinition, SourceAsset)
    if include_specs:
        kinds = (*kinds, AssetSpec)
    return _apply(_collect(modules, kinds), group_name, key_prefix)


def _walk_package(package: ModuleType) -> list[ModuleType]:
    modules = [package]
    path = getattr(package, "__path__", None)
    if path:
        for info in pkgutil.walk_packages(path, prefix=f"{package.__name__}."):
            modules.append(importlib.import_module(info.name))
    return modules


def load_assets_from_package_module(
    package_module: ModuleType,
    group_name: str | None = None,
    key_prefix: str | Sequence[str] | None = None,
    include_specs: bool = False,
    **_unsupported: Any,
) -> list[Any]:
    """Every asset defined in a package and all its submodules."""
    return load_assets_from_modules(
        _walk_package(package_module), group_name, key_prefix, include_specs
    )


def load_assets_from_package_name(
    package_name: str, group_name: str | None = None, key_prefix: Any = None
) -> list[Any]:
    return load_assets_from_package_module(
        importlib.import_module(package_name), group_name, key_prefix
    )


def load_asset_checks_from_modules(
    modules: Iterable[ModuleType], asset_key_prefix: Any = None
) -> list[AssetChecksDefinition]:
    """Every ``@asset_check`` defined at module level in ``modules``."""
    return _collect(modules, (AssetChecksDefinition,))


def load_asset_checks_from_package_module(
    package_module: ModuleType, asset_key_prefix: Any = None
) -> list[AssetChecksDefinition]:
    return load_asset_checks_from_modules(_walk_package(package_module))


def load_definitions_from_modules(modules: Iterable[ModuleType]) -> Any:

    mods = list(modules)
    return Definitions(
        assets=load_assets_from_modules(mods, include_specs=True),
        asset_checks=load_asset_checks_from_modules(mods),
    )
