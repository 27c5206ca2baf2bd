"""``partition_loading_context``: the time and dynamic-partitions store that partitions
definitions read when a call does not pass them (Dagster's name)."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class PartitionLoadingContext:
    """The ``effective_dt`` (``None``: now) and ``dynamic_partitions_store`` in force."""

    effective_dt: datetime | None = None
    dynamic_partitions_store: Any = None


_NONE = PartitionLoadingContext()
_current: contextvars.ContextVar[PartitionLoadingContext | None] = contextvars.ContextVar(
    "assettui_partition_loading_context", default=None
)


def current_partition_loading_context() -> PartitionLoadingContext:
    return _current.get() or _NONE


@contextlib.contextmanager
def partition_loading_context(
    effective_dt: datetime | None = None,
    dynamic_partitions_store: Any = None,
    *,
    new_ctx: PartitionLoadingContext | None = None,
) -> Iterator[PartitionLoadingContext]:
    """Within the block, partitions definitions list their keys as of ``effective_dt`` and
    read dynamic partitions from ``dynamic_partitions_store`` unless a call passes its own."""
    outer = current_partition_loading_context()
    ctx = new_ctx or PartitionLoadingContext(
        effective_dt or outer.effective_dt,
        dynamic_partitions_store or outer.dynamic_partitions_store,
    )
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
