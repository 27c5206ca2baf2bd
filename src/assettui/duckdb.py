"""DuckDB for assettui (also resolved as ``dagster_duckdb``, ``dagster_duckdb_pandas`` and
``dagster_duckdb_polars``). Needs the ``duckdb`` extra: ``pip install 'assettui[duckdb]'``."""

from assettui.integrations.duckdb import (
    DbTypeHandler,
    DuckDBIOManager,
    DuckDBPandasIOManager,
    DuckDBPandasTypeHandler,
    DuckDBPolarsIOManager,
    DuckDBPolarsTypeHandler,
    DuckDBResource,
    TableSlice,
    build_duckdb_io_manager,
)

__all__ = [
    "DbTypeHandler",
    "DuckDBIOManager",
    "DuckDBPandasIOManager",
    "DuckDBPandasTypeHandler",
    "DuckDBPolarsIOManager",
    "DuckDBPolarsTypeHandler",
    "DuckDBResource",
    "TableSlice",
    "build_duckdb_io_manager",
]
