"""Stand-in for ``dagster._core.storage.tags``: Dagster's run tag names."""

from assettui.model.partitions.definitions import (
    MULTIDIMENSIONAL_PARTITION_PREFIX,
    PARTITION_NAME_TAG,
)

ASSET_PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
ASSET_PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"

__all__ = [
    "ASSET_PARTITION_RANGE_END_TAG",
    "ASSET_PARTITION_RANGE_START_TAG",
    "MULTIDIMENSIONAL_PARTITION_PREFIX",
    "PARTITION_NAME_TAG",
]
