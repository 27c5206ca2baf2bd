"""What ``Definitions(assets=...)`` accepts, as AssetsDefinitions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from assettui.errors import DefinitionError
from assettui.model.assets.checks import AssetChecksDefinition
from assettui.model.assets.definition import AssetsDefinition, external_assets_definition
from assettui.model.assets.spec import AssetSpec, SourceAsset


def coerce_assets(assets: Iterable[Any]) -> list[AssetsDefinition]:
    """Assets, specs and source assets as AssetsDefinitions (checks are left out)."""
    out: list[AssetsDefinition] = []
    seen: set[int] = set()
    for item in assets or ():
        if id(item) in seen:  # the same object listed twice is one asset, as in Dagster
            continue
        seen.add(id(item))
        if isinstance(item, AssetsDefinition):
            out.append(item)
        elif isinstance(item, AssetSpec):
            manager = str(item.metadata.get("dagster/io_manager_key", "io_manager"))
            out.append(external_assets_definition(item, manager))
        elif isinstance(item, SourceAsset):
            out.append(external_assets_definition(item.to_spec(), item.io_manager_key))
        elif isinstance(item, AssetChecksDefinition):
            continue
        else:
            raise DefinitionError(
                f"Definitions(assets=...) got {item!r}, which is not an asset. Pass @asset or "
                "@multi_asset functions, AssetSpec or SourceAsset values."
            )
    return out
