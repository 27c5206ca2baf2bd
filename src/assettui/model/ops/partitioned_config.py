"""Partitioned run config for op jobs: ``PartitionedConfig`` and its decorators.

``@daily_partitioned_config(start_date=...)`` (and hourly / weekly / monthly) turns a function
of a partition's time window into a job's config and partitions; ``@static_partitioned_config``
and ``@dynamic_partitioned_config`` do the same for a function of the partition key.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from assettui.errors import DagsterInvalidDefinitionError
from assettui.model.partitions.definitions import (
    DynamicPartitionsDefinition,
    StaticPartitionsDefinition,
)
from assettui.model.partitions.time_window import (
    DailyPartitionsDefinition,
    HourlyPartitionsDefinition,
    MonthlyPartitionsDefinition,
    TimeWindowPartitionsDefinition,
    WeeklyPartitionsDefinition,
)


class PartitionedConfig:
    """A job's partitions and how each partition's run config (and tags) is made."""

    def __init__(
        self,
        partitions_def: Any,
        run_config_for_partition_fn: Callable[[Any], Mapping[str, Any]] | None = None,
        decorated_fn: Callable[..., Any] | None = None,
        tags_for_partition_fn: Callable[[Any], Mapping[str, str]] | None = None,
        run_config_for_partition_key_fn: Callable[[str], Mapping[str, Any]] | None = None,
        tags_for_partition_key_fn: Callable[[str], Mapping[str, str]] | None = None,
    ):
        if run_config_for_partition_fn is None and run_config_for_partition_key_fn is None:
            raise DagsterInvalidDefinitionError(
                "PartitionedConfig needs run_config_for_partition_key_fn (a function of the "
                "partition key returning run config)."
            )
        self.partitions_def = partitions_def
        self._config_fn = run_config_for_partition_fn
        self._config_key_fn = run_config_for_partition_key_fn
        self._tags_fn = tags_for_partition_fn
        self._tags_key_fn = tags_for_partition_key_fn
        self.decorated_fn = decorated_fn

    def get_run_config_for_partition_key(self, partition_key: str) -> dict[str, Any]:
        if self._config_key_fn is not None:
            return dict(self._config_key_fn(partition_key) or {})
        assert self._config_fn is not None
        return dict(self._config_fn(partition_key) or {})

    def get_tags_for_partition_key(self, partition_key: str) -> dict[str, str]:
        if self._tags_key_fn is not None:
            return dict(self._tags_key_fn(partition_key) or {})
        if self._tags_fn is not None:
            return dict(self._tags_fn(partition_key) or {})
        return {}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.decorated_fn is None:
            raise DagsterInvalidDefinitionError("This PartitionedConfig wraps no function.")
        return self.decorated_fn(*args, **kwargs)


def _time_window_config(
    pdef: TimeWindowPartitionsDefinition,
    fn: Callable[[datetime, datetime], Mapping[str, Any]],
    tags_fn: Callable[[datetime, datetime], Mapping[str, str]] | None,
) -> PartitionedConfig:
    def config_for_key(key: str) -> Mapping[str, Any]:
        window = pdef.time_window_for_partition_key(key)
        return fn(window.start, window.end)

    def tags_for_key(key: str) -> Mapping[str, str]:
        if tags_fn is None:
            return {}
        window = pdef.time_window_for_partition_key(key)
        return tags_fn(window.start, window.end)

    return PartitionedConfig(
        pdef,
        run_config_for_partition_key_fn=config_for_key,
        tags_for_partition_key_fn=tags_for_key,
        decorated_fn=fn,
    )


def _time_window_decorator(cls: type[TimeWindowPartitionsDefinition]) -> Callable[..., Any]:
    def decorator(
        start_date: datetime | date | str,
        *args: Any,
        tags_for_partition_fn: Callable[[datetime, datetime], Mapping[str, str]] | None = None,
        **kwargs: Any,
    ) -> Callable[[Callable[[datetime, datetime], Mapping[str, Any]]], PartitionedConfig]:
        pdef = cls(start_date, *args, **kwargs)

        def wrap(fn: Callable[[datetime, datetime], Mapping[str, Any]]) -> PartitionedConfig:
            if len(inspect.signature(fn).parameters) != 2:
                raise DagsterInvalidDefinitionError(
                    f"@{cls.__name__} config function {fn.__name__!r} must take two arguments "
                    "(the partition's start and end datetimes)."
                )
            return _time_window_config(pdef, fn, tags_for_partition_fn)

        return wrap

    return decorator


hourly_partitioned_config = _time_window_decorator(HourlyPartitionsDefinition)
daily_partitioned_config = _time_window_decorator(DailyPartitionsDefinition)
weekly_partitioned_config = _time_window_decorator(WeeklyPartitionsDefinition)
monthly_partitioned_config = _time_window_decorator(MonthlyPartitionsDefinition)


def static_partitioned_config(
    partition_keys: Sequence[str],
    tags_for_partition_fn: Callable[[str], Mapping[str, str]] | None = None,
    tags_for_partition_key_fn: Callable[[str], Mapping[str, str]] | None = None,
) -> Callable[[Callable[[str], Mapping[str, Any]]], PartitionedConfig]:
    """Config per key of a ``StaticPartitionsDefinition(partition_keys)``."""
    pdef = StaticPartitionsDefinition(list(partition_keys))

    def wrap(fn: Callable[[str], Mapping[str, Any]]) -> PartitionedConfig:
        return PartitionedConfig(
            pdef,
            run_config_for_partition_key_fn=fn,
            tags_for_partition_key_fn=tags_for_partition_key_fn or tags_for_partition_fn,
            decorated_fn=fn,
        )

    return wrap


def dynamic_partitioned_config(
    partition_fn: Callable[[datetime | None], Sequence[str]],
    tags_for_partition_fn: Callable[[str], Mapping[str, str]] | None = None,
    tags_for_partition_key_fn: Callable[[str], Mapping[str, str]] | None = None,
) -> Callable[[Callable[[str], Mapping[str, Any]]], PartitionedConfig]:
    """Config per key of a ``DynamicPartitionsDefinition(partition_fn)``."""
    pdef = DynamicPartitionsDefinition(partition_fn=partition_fn)

    def wrap(fn: Callable[[str], Mapping[str, Any]]) -> PartitionedConfig:
        return PartitionedConfig(
            pdef,
            run_config_for_partition_key_fn=fn,
            tags_for_partition_key_fn=tags_for_partition_key_fn or tags_for_partition_fn,
            decorated_fn=fn,
        )

    return wrap
