"""IO managers storing each asset as a DuckDB table (one table per asset, rows per partition).

The table is ``schema.table`` from the asset key (``["analytics", "orders"]`` is
``analytics.orders``; a one-part key goes to the configured schema, default ``public``).
Partitioned assets name their partition column in ``partition_expr`` metadata; writing a
partition replaces just its rows, loading reads just the rows of the partitions asked for,
and an input's ``columns`` metadata selects columns. Each write is one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import ConfigDict, Field

from assettui.errors import DagsterInvalidDefinitionError, ExecutionError
from assettui.execution.io_managers.base import ConfigurableIOManager, InputContext, OutputContext
from assettui.integrations.duckdb.connection import DEFAULT_LOCK_TIMEOUT, duckdb_connection
from assettui.integrations.duckdb.table_slice import (
    TableSlice,
    partition_slices,
    quote_identifier,
    select_statement,
    where_clause,
)
from assettui.model.metadata.table import TableColumn, TableSchema

_FRAME = "__assettui_frame"


class DbTypeHandler:
    """Stores and loads one kind of value (a pandas or polars frame) through a connection."""

    @property
    def supported_types(self) -> Sequence[type]:
        return ()

    def to_relation(self, obj: Any) -> Any:
        """What ``connection.register`` accepts for ``obj``."""
        return obj

    def from_result(self, result: Any, dagster_type: Any) -> Any:
        raise NotImplementedError

    def handle_output(
        self,
        context: OutputContext,
        table_slice: TableSlice,
        obj: Any,
        connection: Any,
        database: str = "",
    ) -> None:
        connection.register(_FRAME, self.to_relation(obj))
        try:
            _replace_slice(connection, table_slice)
            row_count = connection.execute(f"SELECT count(*) FROM {_FRAME}").fetchone()[0]
            described = connection.execute(f"DESCRIBE SELECT * FROM {_FRAME}").fetchall()
        finally:
            connection.unregister(_FRAME)
        context.add_output_metadata(
            {
                "dagster/row_count": row_count,
                "dagster/column_schema": TableSchema(
                    columns=[TableColumn(name=row[0], type=str(row[1])) for row in described]
                ),
                "dagster/storage_kind": "duckdb",
                "dagster/table_name": f"{database}.{table_slice.schema}.{table_slice.table}",
            }
        )

    def load_input(self, context: InputContext, table_slice: TableSlice, connection: Any) -> Any:
        return self.from_result(connection.sql(select_statement(table_slice)), context.dagster_type)


def _replace_slice(connection: Any, table_slice: TableSlice) -> None:
    """Put the registered frame in place of the slice's rows, in one transaction."""
    table = table_slice.qualified_name
    connection.execute("BEGIN TRANSACTION")
    try:
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_identifier(table_slice.schema)}")
        if not table_slice.partitions:
            connection.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {_FRAME}")
        else:
            connection.execute(
                f"CREATE TABLE IF NOT EXISTS {table} AS SELECT * FROM {_FRAME} LIMIT 0"
            )
            connection.execute(f"DELETE FROM {table} WHERE {where_clause(table_slice)}")
            connection.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {_FRAME}")
        connection.execute("COMMIT")
    except Exception:
        connection.execute("ROLLBACK")
        raise


class DuckDBPandasTypeHandler(DbTypeHandler):
    """pandas DataFrames as DuckDB tables."""

    @property
    def supported_types(self) -> Sequence[type]:
        import pandas

        return (pandas.DataFrame,)

    def from_result(self, result: Any, dagster_type: Any) -> Any:
        return result.df()


class DuckDBPolarsTypeHandler(DbTypeHandler):
    """polars DataFrames (and LazyFrames) as DuckDB tables."""

    @property
    def supported_types(self) -> Sequence[type]:
        import polars

        return (polars.DataFrame, polars.LazyFrame)

    def to_relation(self, obj: Any) -> Any:
        import polars

        frame = obj.collect() if isinstance(obj, polars.LazyFrame) else obj
        return frame.to_arrow()

    def from_result(self, result: Any, dagster_type: Any) -> Any:
        import polars

        frame = result.pl()
        lazy = dagster_type is polars.LazyFrame or "LazyFrame" in str(dagster_type)
        return frame.lazy() if lazy else frame


class DuckDBIOManager(ConfigurableIOManager):
    """Stores asset values as DuckDB tables through its type handlers.

    Args:
        database: the DuckDB database file.
        schema: the schema of assets whose key has no prefix (default ``public``).
        connection_config: DuckDB configuration options.
        lock_timeout: seconds to wait while another process writes the file.
    """

    model_config = ConfigDict(populate_by_name=True)

    database: str = Field(description="Path to the DuckDB database file.")
    schema_: str | None = Field(default=None, alias="schema")
    connection_config: dict[str, Any] = Field(default_factory=dict)
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT

    type_handlers: ClassVar[tuple[type[DbTypeHandler], ...]] = ()

    def _handlers(self) -> list[DbTypeHandler]:
        if not self.type_handlers:
            raise DagsterInvalidDefinitionError(
                "DuckDBIOManager has no type handlers: use DuckDBPandasIOManager or "
                "DuckDBPolarsIOManager, or build one with build_duckdb_io_manager([...])."
            )
        return [handler() for handler in self.type_handlers]

    def _handler_for(self, value_type: Any, what: str) -> DbTypeHandler:
        handlers = self._handlers()
        if value_type is None or value_type is Any:
            return handlers[0]
        for handler in handlers:
            if isinstance(value_type, type) and issubclass(
                value_type, tuple(handler.supported_types)
            ):
                return handler
        supported = ", ".join(t.__name__ for h in handlers for t in h.supported_types)
        raise ExecutionError(
            f"{type(self).__name__} cannot store or load {getattr(value_type, '__name__', value_type)} "
            f"for {what} (it handles {supported})."
        )

    def _table_slice(
        self, context: Any, metadata: Any, keys: Sequence[str], columns: Any
    ) -> TableSlice:
        if context.asset_key is not None:
            path = context.asset_key.path
        else:  # an op's output: a table named for the output, as Dagster's DB IO managers do
            upstream = getattr(context, "upstream_output", None)
            path = [upstream.name if upstream is not None else context.name]
        if len(path) > 1:  # the key prefix names the schema, over any configured one
            schema = path[-2]
        else:
            schema = (metadata or {}).get("schema") or self.schema_ or "public"
        partitions = partition_slices(
            context.storage_key,
            (metadata or {}).get("partition_expr"),
            context.partitions_def,
            keys,
        )
        return TableSlice(
            table=path[-1],
            schema=schema,
            columns=tuple(columns) if columns else None,
            partitions=partitions,
        )

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        if obj is None:
            return
        what = f"asset {context.storage_key.to_user_string()!r}"
        handler = self._handler_for(type(obj), what)
        keys = list(context.partition_keys_value) or (
            [context.partition_key_value] if context.partition_key_value else []
        )
        table_slice = self._table_slice(
            context, context.definition_metadata or context.metadata, keys, None
        )
        with duckdb_connection(
            self.database, self.connection_config, lock_timeout=self.lock_timeout
        ) as conn:
            handler.handle_output(context, table_slice, obj, conn, self.database)

    def load_input(self, context: InputContext) -> Any:
        upstream = context.upstream_output
        metadata = (upstream.definition_metadata or upstream.metadata) if upstream else {}
        what = f"input {context.name!r} ({context.storage_key.to_user_string()!r})"
        handler = self._handler_for(context.dagster_type, what)
        table_slice = self._table_slice(
            context,
            metadata,
            list(context.partition_keys_value),
            (context.metadata or {}).get("columns"),
        )
        with duckdb_connection(
            self.database, self.connection_config, lock_timeout=self.lock_timeout
        ) as conn:
            try:
                return handler.load_input(context, table_slice, conn)
            except Exception as exc:
                if "does not exist" in str(exc):
                    raise ExecutionError(
                        f"Table {table_slice.schema}.{table_slice.table} of {what} is not in "
                        f"{self.database}. Materialize it first."
                    ) from exc
                raise


class DuckDBPandasIOManager(DuckDBIOManager):
    """pandas DataFrames as DuckDB tables."""

    type_handlers: ClassVar[tuple[type[DbTypeHandler], ...]] = (DuckDBPandasTypeHandler,)


class DuckDBPolarsIOManager(DuckDBIOManager):
    """polars DataFrames as DuckDB tables."""

    type_handlers: ClassVar[tuple[type[DbTypeHandler], ...]] = (DuckDBPolarsTypeHandler,)


def build_duckdb_io_manager(
    type_handlers: Sequence[DbTypeHandler | type[DbTypeHandler]],
    default_load_type: type | None = None,
) -> type[DuckDBIOManager]:
    """A DuckDB IO manager class handling the given types (Dagster's ``build_duckdb_io_manager``)."""
    handler_classes = tuple(h if isinstance(h, type) else type(h) for h in type_handlers)
    if default_load_type is not None:
        handler_classes = tuple(
            sorted(handler_classes, key=lambda h: default_load_type not in h().supported_types)
        )
    return type(
        "DuckDBIOManagerWithHandlers", (DuckDBIOManager,), {"type_handlers": handler_classes}
    )
