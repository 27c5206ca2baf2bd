"""Which upstream partitions an input reads, through its partition mapping."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assettui.model.partitions.mapping import default_partition_mapping


def upstream_partition_keys(
    down_def: Any,
    down_keys: Sequence[str],
    up_def: Any,
    mapping: Any,
    store: Any,
    check_step: bool = False,
) -> list[str]:
    """The upstream partition keys for ``down_keys`` of the downstream asset.

    An unpartitioned upstream has none; a check reads the partitions of the run; an
    unpartitioned downstream reads every upstream partition (Dagster's ``AllPartitionMapping``).
    """
    if up_def is None:
        return []
    if check_step:
        return list(down_keys)
    if down_def is None or not down_keys:
        if mapping is not None and hasattr(mapping, "get_upstream_partitions_for_partition_keys"):
            return list(
                mapping.get_upstream_partitions_for_partition_keys(
                    [], down_def, up_def, dynamic_partitions_store=store
                )
            )
        return list(up_def.get_partition_keys(dynamic_partitions_store=store))
    if mapping is None:
        mapping = default_partition_mapping(down_def, up_def)
    return list(
        mapping.get_upstream_partitions_for_partition_keys(
            list(down_keys), down_def, up_def, dynamic_partitions_store=store
        )
    )
