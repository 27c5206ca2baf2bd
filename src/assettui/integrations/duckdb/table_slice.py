"""Which rows of which table an asset (partition) is: pure SQL building, no connection."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assettui.errors import DagsterInvalidDefinitionError
from assettui.model.asset_key import AssetKey
from assettui.model.partitions.multi import MultiPartitionsDefinition


@dataclass(frozen=True)
class PartitionSlice:
    """Rows whose ``expr`` lies in a time window, or equals one of ``values``."""

    expr: str
    values: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class TableSlice:
    """A table (``schema.table``), the columns to read and the partitions it covers."""

    table: str
    schema: str
    columns: tuple[str, ...] | None = None
    partitions: tuple[PartitionSlice, ...] = field(default_factory=tuple)

    @property
    def qualified_name(self) -> str:
        return f"{quote_identifier(self.schema)}.{quote_identifier(self.table)}"


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _time_literal(moment: datetime) -> str:
    return quote_literal(moment.strftime("%Y-%m-%d %H:%M:%S"))


def where_clause(table_slice: TableSlice) -> str:
    """The SQL condition selecting the slice's partitions (empty: the whole table)."""
    parts = []
    for part in table_slice.partitions:
        if part.start is not None and part.end is not None:
            parts.append(
                f"{part.expr} >= {_time_literal(part.start)} AND {part.expr} < {_time_literal(part.end)}"
            )
        else:
            listed = ", ".join(quote_literal(v) for v in part.values)
            parts.append(f"{part.expr} IN ({listed})")
    return " AND ".join(parts)


def select_statement(table_slice: TableSlice) -> str:
    columns = (
        ", ".join(quote_identifier(c) for c in table_slice.columns) if table_slice.columns else "*"
    )
    where = where_clause(table_slice)
    sql = f"SELECT {columns} FROM {table_slice.qualified_name}"
    return f"{sql} WHERE {where}" if where else sql


def _dimension_slice(expr: str, partitions_def: Any, keys: Sequence[str]) -> PartitionSlice:
    window_of = getattr(partitions_def, "time_window_for_partition_key", None)
    if window_of is not None and not isinstance(partitions_def, MultiPartitionsDefinition):
        windows = [window_of(key) for key in keys]
        return PartitionSlice(
            expr, start=min(w.start for w in windows), end=max(w.end for w in windows)
        )
    return PartitionSlice(expr, values=tuple(dict.fromkeys(keys)))


def partition_slices(
    asset_key: AssetKey,
    partition_expr: Any,
    partitions_def: Any,
    keys: Sequence[str],
) -> tuple[PartitionSlice, ...]:
    """How the partitions ``keys`` of a table are found, from the ``partition_expr`` metadata."""
    if not keys:
        return ()
    name = asset_key.to_user_string()
    if partition_expr is None:
        raise DagsterInvalidDefinitionError(
            f"Asset {name!r} is partitioned but has no 'partition_expr' metadata: the DuckDB IO "
            "manager needs to know which column holds the partition. Add "
            "metadata={'partition_expr': 'COLUMN'} to the asset."
        )
    if not isinstance(partitions_def, MultiPartitionsDefinition):
        if not isinstance(partition_expr, str):
            raise DagsterInvalidDefinitionError(
                f"Asset {name!r}: 'partition_expr' must be a column name or SQL expression."
            )
        return (_dimension_slice(partition_expr, partitions_def, keys),)
    if not isinstance(partition_expr, Mapping):
        raise DagsterInvalidDefinitionError(
            f"Asset {name!r} has multi-dimensional partitions: 'partition_expr' must map each "
            f"dimension ({', '.join(partitions_def.partition_dimension_names)}) to its column."
        )
    multi_keys = [partitions_def.get_partition_key_from_str(k) for k in keys]
    slices = []
    for dimension in partitions_def.partition_dimension_names:
        if dimension not in partition_expr:
            raise DagsterInvalidDefinitionError(
                f"Asset {name!r}: 'partition_expr' has no column for dimension {dimension!r}."
            )
        values = [key.keys_by_dimension[dimension] for key in multi_keys]
        slices.append(
            _dimension_slice(
                partition_expr[dimension],
                partitions_def.get_partitions_def_for_dimension(dimension),
                values,
            )
        )
    return tuple(slices)
