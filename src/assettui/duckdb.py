"""DuckDB for assettui (also resolved as ``dagster_duckdb``, ``dagster_duckdb_pandas`` and
``dagster_duckdb_polars``). Needs the ``duckdb`` extra: ``pip install 'assettui[duckdb]'``."""

from assettui.integrations.duckdb import *  # noqa: F403  (the public names, listed there)
from assettui.integrations.duckdb import __all__ as __all__
