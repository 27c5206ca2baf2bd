"""Runs that can only fail are refused before they exist, with what to do instead (as
Dagster's ``asset materialize`` refuses them): partitioned assets without a partition, and a
range of partitions in one run for assets that need one run per partition."""

from __future__ import annotations

from collections.abc import Iterable

from assettui.errors import PartitionError
from assettui.model.asset_graph import AssetGraph
from assettui.model.asset_key import AssetKey
from assettui.model.assets.partition_reads import reads_single_partition_key


def _names(keys: Iterable[AssetKey]) -> str:
    return ", ".join(sorted(k.to_user_string() for k in keys))


def _selection(keys: list[AssetKey]) -> str:
    return keys[0].to_user_string() if len(keys) == 1 else "SELECTION"


def check_partition_choice(
    graph: AssetGraph,
    keys: Iterable[AssetKey],
    partition_key: str | None,
    partition_range: tuple[str, str] | None,
) -> None:
    """Refuse a run of ``keys`` that cannot succeed for its partition choice.

    Raises:
        PartitionError: partitioned assets without a partition; a range for assets without
            ``BackfillPolicy.single_run()``, or whose function reads ``context.partition_key``.
    """
    partitioned = [k for k in keys if graph.get(k).is_partitioned]
    if not partitioned:
        return
    if partition_key is None and partition_range is None:
        raise PartitionError(
            f"{_names(partitioned)} {'is' if len(partitioned) == 1 else 'are'} partitioned: "
            "name one with --partition KEY, or run several with `assettui backfill "
            f"--select {_selection(partitioned)} --from A --to B`."
        )
    if partition_range is None:
        return
    multi = [k for k in partitioned if not _single_run(graph, k)]
    if multi:
        raise PartitionError(
            f"A range of partitions runs in one run only for assets with "
            f"BackfillPolicy.single_run(); {_names(multi)} has none. Backfill the range "
            f"instead (one run per partition): assettui backfill --select {_selection(multi)} "
            f"--from {partition_range[0]} --to {partition_range[1]}."
        )
    check_range_readers(graph, partitioned)


def check_range_readers(graph: AssetGraph, keys: Iterable[AssetKey]) -> None:
    """Refuse a range run of assets whose function reads ``context.partition_key``.

    Raises:
        PartitionError: naming them, and what to read instead.
    """
    readers = [k for k in keys if reads_single_partition_key(graph.get(k).assets_def.compute_fn)]
    if readers:
        raise PartitionError(
            f"{_names(readers)} reads context.partition_key, which a run over a range of "
            "partitions does not have. Read context.partition_key_range or "
            "context.partition_time_window instead, or give it a backfill policy that runs "
            "one partition per run (BackfillPolicy.multi_run(1))."
        )


def _single_run(graph: AssetGraph, key: AssetKey) -> bool:
    policy = graph.get(key).backfill_policy
    return policy is not None and policy.policy_type == "SINGLE_RUN"
