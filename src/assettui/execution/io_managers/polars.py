"""An IO manager for polars: one parquet file per asset and partition.

Stores ``DataFrame`` and ``LazyFrame`` values; loads a ``LazyFrame`` when the input is
annotated as one, a ``DataFrame`` otherwise. Row count and schema go into the metadata.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assettui.errors import ExecutionError
from assettui.execution.io_managers.base import ConfigurableIOManager, InputContext, OutputContext
from assettui.execution.io_managers.filesystem import (
    atomic_write,
    describe,
    load_partitions,
    readable_path,
    safe_path,
    write_error_message,
)
from assettui.model.metadata.values import MetadataValue


def _polars() -> Any:
    """Import polars, which is an extra: the engine itself does not need it."""
    try:
        import polars
    except ImportError as exc:
        raise ExecutionError(
            "PolarsParquetIOManager needs polars, which is not installed. "
            "Install it with: pip install 'assettui[polars]'"
        ) from exc
    return polars


class PolarsParquetIOManager(ConfigurableIOManager):
    """Store polars frames as parquet under ``base_dir`` (default ``<home>/storage``).

    Args:
        base_dir: the folder; default: the instance's storage folder.
        extension: the file suffix.
    """

    base_dir: str | None = None
    extension: str = ".parquet"

    def _path(self, context: Any, partition: str | None, *, reading: bool = False) -> Path:
        if not self.base_dir:
            raise ExecutionError("PolarsParquetIOManager has no base_dir.")
        where = readable_path if reading else safe_path
        return where(Path(self.base_dir), context.storage_key, partition, self.extension)

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        pl = _polars()
        if obj is None:
            return
        if isinstance(obj, pl.LazyFrame):
            obj = obj.collect()
        if not isinstance(obj, pl.DataFrame):
            raise ExecutionError(
                f"PolarsParquetIOManager stores polars DataFrame/LazyFrame values, but "
                f"{describe(context.storage_key, context.partition_key_value)} returned "
                f"{type(obj).__name__}."
            )
        path = self._path(context, context.partition_key_value)
        try:
            atomic_write(path, obj.write_parquet)
        except OSError as exc:
            raise ExecutionError(
                write_error_message(context.storage_key, context.partition_key_value, path, exc)
            ) from exc
        context.add_output_metadata(
            {
                "dagster/row_count": obj.height,
                "path": MetadataValue.path(path),
                "schema": {name: str(dtype) for name, dtype in obj.schema.items()},
            }
        )

    def load_input(self, context: InputContext) -> Any:
        pl = _polars()
        lazy = context.dagster_type is pl.LazyFrame or "LazyFrame" in str(context.dagster_type)

        def load_one(partition: str | None) -> Any:
            path = self._path(context, partition, reading=True)
            if not path.exists():
                raise ExecutionError(
                    f"No stored parquet for {describe(context.storage_key, partition)} (looked in "
                    f"{path}). Materialize it first."
                )
            try:
                return pl.scan_parquet(path) if lazy else pl.read_parquet(path)
            except Exception as exc:  # polars raises its own error types
                raise ExecutionError(
                    f"The parquet file of {describe(context.storage_key, partition)} at {path} "
                    f"cannot be read ({exc}). Re-materialize it."
                ) from exc

        return load_partitions(context, load_one)
