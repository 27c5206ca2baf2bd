"""Stand-in for ``dagster._core.definitions.events``."""

from assettui.model.asset_key import AssetKey
from assettui.model.results import AssetMaterialization, AssetObservation, Output

__all__ = ["AssetKey", "AssetMaterialization", "AssetObservation", "Output"]
