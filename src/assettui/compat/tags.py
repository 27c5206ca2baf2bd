"""Stand-in for ``dagster._core.storage.tags``: Dagster's run tag names."""

from assettui.model.partitions.definitions import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    MULTIDIMENSIONAL_PARTITION_PREFIX,
    PARTITION_NAME_TAG,
)

__all__ = [
    "ASSET_PARTITION_RANGE_END_TAG",
    "ASSET_PARTITION_RANGE_START_TAG",
    "MULTIDIMENSIONAL_PARTITION_PREFIX",
    "PARTITION_NAME_TAG",
]
