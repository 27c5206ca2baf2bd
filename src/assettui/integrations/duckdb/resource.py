"""``DuckDBResource``: connections to one DuckDB database for assets that write SQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import Field

from assettui.integrations.duckdb.connection import DEFAULT_LOCK_TIMEOUT, duckdb_connection
from assettui.model.resources import ConfigurableResource


class DuckDBResource(ConfigurableResource):
    """A DuckDB database; ``get_connection()`` opens a connection for a ``with`` block.

    Args:
        database: the database file (``":memory:"`` for an in-memory one).
        connection_config: DuckDB configuration options passed to ``duckdb.connect``.
        lock_timeout: seconds to wait while another process writes the file.
    """

    database: str = Field(description="Path to the DuckDB database file.")
    connection_config: dict[str, Any] = Field(default_factory=dict)
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT

    @contextmanager
    def get_connection(self) -> Iterator[Any]:
        with duckdb_connection(
            self.database, self.connection_config, lock_timeout=self.lock_timeout
        ) as conn:
            yield conn
