"""``dagster_polars``' names in assettui: ``PolarsParquetIOManager`` (parquet files, one per
asset partition; ``LazyFrame`` inputs by annotation). Needs polars (the ``polars`` extra)."""

from assettui.execution.io_managers.polars import PolarsParquetIOManager

__all__ = ["PolarsParquetIOManager"]
