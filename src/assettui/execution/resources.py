"""Setting a run's resources up and down.

Plain objects (a ``MagicMock`` too) are used as they are; ``ConfigurableResource`` values get
their ``EnvVar`` fields resolved and their ``setup_for_execution`` / ``teardown`` called;
``ResourceDefinition`` / ``IOManagerDefinition`` functions are called with an init context.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assettui.errors import ConfigError, ExecutionError
from assettui.execution.io_managers.base import ConfigurableIOManagerFactory, IOManagerDefinition
from assettui.execution.io_managers.filesystem import (
    STORAGE_DIR_NAME,
    FilesystemIOManager,
    InMemoryIOManager,
)
from assettui.execution.io_managers.polars import PolarsParquetIOManager
from assettui.model.resources import ConfigurableResource, ResourceDefinition


@dataclass
class InitResourceContext:
    """What a resource function receives (Dagster's ``InitResourceContext``)."""

    resource_config: Any = None
    resources: Any = None
    instance: Any = None
    run_id: str | None = None
    log: Any = None
    dagster_run: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def with_storage_dir(value: Any, home: Path | None) -> Any:
    """IO managers without a base_dir store under ``<home>/storage``."""
    if home is None:
        return value
    if isinstance(value, (FilesystemIOManager, PolarsParquetIOManager)) and not value.base_dir:
        return value.model_copy(update={"base_dir": str(home / STORAGE_DIR_NAME)})
    return value


def default_resources(home: Path | None) -> dict[str, Any]:
    if home is None:
        return {"io_manager": InMemoryIOManager()}
    return {"io_manager": FilesystemIOManager(base_dir=str(home / STORAGE_DIR_NAME))}


@contextlib.contextmanager
def initialized_resources(
    resources: Mapping[str, Any],
    home: Path | None,
    needed: set[str] | None = None,
    init_context: InitResourceContext | None = None,
) -> Iterator[dict[str, Any]]:
    """Set up the resources a run needs; tear them down afterwards (in reverse order).

    Raises:
        ConfigError: for an ``EnvVar`` that is unset.
        ExecutionError: for a resource whose setup raised (naming the resource).
    """
    merged = {**default_resources(home), **resources}
    keys = [k for k in merged if needed is None or k in needed or k == "io_manager"]
    ctx = init_context or InitResourceContext()
    out: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        for key in keys:
            value = with_storage_dir(merged[key], home)
            try:
                out[key] = _initialize(key, value, ctx, stack)
            except ConfigError:
                raise
            except Exception as exc:
                raise ExecutionError(
                    f"Resource {key!r} failed to set up: {type(exc).__name__}: {exc}",
                    user_exception=exc,
                ) from exc
        yield out


def _initialize(key: str, value: Any, ctx: InitResourceContext, stack: contextlib.ExitStack) -> Any:
    if isinstance(value, ConfigurableIOManagerFactory):
        factory: Any = value.with_resolved_env(key)
        return factory.create_io_manager(ctx)
    if isinstance(value, ConfigurableResource):
        resolved = value.with_resolved_env(key)
        return stack.enter_context(resolved.yield_for_execution(ctx))
    if isinstance(value, (ResourceDefinition, IOManagerDefinition)):
        produced = value.resource_fn(ctx) if value.resource_fn else None
        if isinstance(produced, contextlib.AbstractContextManager) and not hasattr(
            produced, "handle_output"
        ):
            return stack.enter_context(produced)
        if hasattr(produced, "__next__"):  # a generator resource: yield once, clean up after
            generator: Any = produced
            return stack.enter_context(contextlib.contextmanager(lambda: generator)())
        return produced
    return value
