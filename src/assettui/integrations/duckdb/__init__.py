"""DuckDB: a resource handing out connections and IO managers storing tables."""

from assettui.integrations.duckdb.io_manager import (
    DbTypeHandler,
    DuckDBIOManager,
    DuckDBPandasIOManager,
    DuckDBPandasTypeHandler,
    DuckDBPolarsIOManager,
    DuckDBPolarsTypeHandler,
    TableSlice,
    build_duckdb_io_manager,
)
from assettui.integrations.duckdb.resource import DuckDBResource

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
