"""Setting a run's resources up and down.

Plain objects (a ``MagicMock`` too) are used as they are; ``ConfigurableResource`` values get
their ``EnvVar`` fields resolved and their ``setup_for_execution`` / ``teardown`` called;
``ResourceDefinition`` / ``IOManagerDefinition`` functions are called with an init context.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from assettui.errors import ConfigError, ExecutionError
from assettui.execution.io_managers.base import ConfigurableIOManagerFactory, IOManagerDefinition
from assettui.execution.io_managers.filesystem import (
    STORAGE_DIR_NAME,
    FilesystemIOManager,
    FsIOManagerDefinition,
    InMemoryIOManager,
)
from assettui.execution.io_managers.polars import PolarsParquetIOManager
from assettui.model.config_schema import process_config
from assettui.model.resources import (
    ConfigurableLegacyResourceAdapter,
    ConfigurableResource,
    ConfigurableResourceFactory,
    ResourceDefinition,
    Resources,
)


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
    if isinstance(value, FsIOManagerDefinition) and not value.is_configured:
        return value.configured(
            lambda raw: {"base_dir": str(home / STORAGE_DIR_NAME), **(raw or {})}
        )
    return value


def default_resources(home: Path | None) -> dict[str, Any]:
    if home is None:
        return {"io_manager": InMemoryIOManager()}
    return {"io_manager": FilesystemIOManager(base_dir=str(home / STORAGE_DIR_NAME))}


def resource_config_of(run_config: Mapping[str, Any] | None, key: str) -> Any:
    """``resources: {key: {config: ...}}`` of a run config (``None`` when absent)."""
    entry = ((run_config or {}).get("resources") or {}).get(key)
    return entry.get("config") if isinstance(entry, Mapping) else None


def check_resource_config(
    resources: Mapping[str, Any], run_config: Mapping[str, Any] | None, needed: Any = None
) -> None:
    """Check, before a run exists, the config of resources that take theirs from the run
    config (``configure_at_launch()`` and ``@resource(config_schema=...)``).

    Raises:
        ConfigError: naming the resource and each field.
    """
    for key, value in resources.items():
        if needed is not None and key not in needed:
            continue
        raw = resource_config_of(run_config, key)
        if isinstance(value, ConfigurableResource) and value.is_configured_at_launch:
            value.at_launch(raw, f"Resource {key!r}")
        elif isinstance(value, ResourceDefinition) and value.config_schema is not None:
            _definition_config(key, value, raw, run_config)


def _definition_config(
    key: str, value: ResourceDefinition, raw: Any, run_config: Mapping[str, Any] | None
) -> Any:
    if value.is_configured:
        raw = value.fixed_config(raw) if callable(value.fixed_config) else value.fixed_config
    if value.config_schema is None:
        return raw
    return process_config(value.config_schema, raw, f"resource {key!r}")


@contextlib.contextmanager
def initialized_resources(
    resources: Mapping[str, Any],
    home: Path | None,
    needed: set[str] | None = None,
    init_context: InitResourceContext | None = None,
    run_config: Mapping[str, Any] | None = None,
) -> Iterator[dict[str, Any]]:
    """Set up the resources a run needs; tear them down afterwards (in reverse order).

    A resource's own config comes from ``run_config`` (``resources: {key: {config: ...}}``).

    Raises:
        ConfigError: for an ``EnvVar`` that is unset, or resource config that does not fit.
        ExecutionError: for a resource whose setup raised (naming the resource).
    """
    merged = {**default_resources(home), **resources}
    keys = [k for k in merged if needed is None or k in needed or k == "io_manager"]
    base = init_context or InitResourceContext()
    out: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        for key in keys:
            value = with_storage_dir(merged[key], home)
            ctx = replace(base, resources=Resources(out), resource_config=None)
            try:
                out[key] = _initialize(key, value, ctx, stack, resource_config_of(run_config, key))
            except ConfigError:
                raise
            except Exception as exc:
                raise ExecutionError(
                    f"Resource {key!r} failed to set up: {type(exc).__name__}: {exc}",
                    user_exception=exc,
                ) from exc
        yield out


def _initialize(
    key: str, value: Any, ctx: InitResourceContext, stack: contextlib.ExitStack, raw: Any = None
) -> Any:
    if isinstance(value, ConfigurableResource) and value.is_configured_at_launch:
        value = value.at_launch(raw, f"Resource {key!r}")
    if isinstance(value, ConfigurableIOManagerFactory):
        factory: Any = value.with_resolved_env(key)
        return factory.create_io_manager(ctx)
    if isinstance(value, ConfigurableResourceFactory):
        made: Any = value.with_resolved_env(key)
        return _enter(made.create_resource(ctx), stack)
    if isinstance(value, ConfigurableLegacyResourceAdapter):
        adapted: Any = value.with_resolved_env(key)
        fields = {name: getattr(adapted, name) for name in type(adapted).model_fields}
        wrapped = adapted.wrapped_io_manager if hasattr(adapted, "wrapped_io_manager") else None
        definition = wrapped or adapted.wrapped_resource
        return _initialize(key, definition.configured(fields), ctx, stack)
    if isinstance(value, ConfigurableResource):
        resolved = value.with_resolved_env(key)
        return stack.enter_context(resolved.yield_for_execution(ctx))
    if isinstance(value, (ResourceDefinition, IOManagerDefinition)):
        ctx = replace(ctx, resource_config=_definition_config(key, value, raw, None))
        produced = value.resource_fn(ctx) if value.resource_fn else None
        if isinstance(produced, contextlib.AbstractContextManager) and not hasattr(
            produced, "handle_output"
        ):
            return stack.enter_context(produced)
        return _enter(produced, stack)
    return value


def _enter(produced: Any, stack: contextlib.ExitStack) -> Any:
    """A resource function's result: a context manager or generator is entered (and left
    after the run), anything else is the resource."""
    if isinstance(produced, contextlib.AbstractContextManager) and not hasattr(
        produced, "handle_output"
    ):
        return stack.enter_context(produced)
    if hasattr(produced, "__next__"):  # a generator resource: yield once, clean up after
        generator: Any = produced
        return stack.enter_context(contextlib.contextmanager(lambda: generator)())
    return produced


def build_init_resource_context(
    config: Any = None,
    resources: Mapping[str, Any] | None = None,
    instance: Any = None,
) -> InitResourceContext:
    """A context for calling a resource function in a test (Dagster's name)."""
    return InitResourceContext(
        resource_config=config, resources=Resources(dict(resources or {})), instance=instance
    )


@contextlib.contextmanager
def build_resources(
    resources: Mapping[str, Any],
    instance: Any = None,
    resource_config: Mapping[str, Any] | None = None,
    dagster_run: Any = None,
    **_unused: Any,
) -> Iterator[Resources]:
    """Set ``resources`` up outside a run (Dagster's ``build_resources``): yields them by
    attribute and tears them down when the block ends. ``resource_config`` is config by
    resource key (``{key: {"config": ...}}`` or ``{key: {...}}``)."""
    run_config = {
        "resources": {
            key: value if isinstance(value, Mapping) and "config" in value else {"config": value}
            for key, value in (resource_config or {}).items()
        }
    }
    init = InitResourceContext(instance=instance, dagster_run=dagster_run)
    check_resource_config(resources, run_config)
    with initialized_resources(resources, None, set(resources), init, run_config) as built:
        if "io_manager" not in resources:
            built.pop("io_manager", None)
        yield Resources(built)
