"""Executor definitions: how the steps of a run are executed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from assettui.errors import DefinitionError


@dataclass(frozen=True)
class ExecutorDefinition:
    """Names an executor and its config.

    ``in_process_executor`` runs steps one after another; ``multiprocess_executor`` runs
    independent steps in parallel processes (``max_concurrent``, default: CPU count).
    """

    name: str
    config: Mapping[str, Any] = field(default_factory=dict)
    # An executor from an integration (the Dask executor): the config keys it takes, and
    # ``make(config, project)`` returning the executor (an object with ``execute``).
    config_keys: frozenset[str] | None = None
    make: Callable[[Mapping[str, Any], Any], Any] | None = field(default=None, compare=False)

    def configured(self, config: Mapping[str, Any]) -> ExecutorDefinition:
        allowed = {
            "in_process": {"retries", "marker_to_close"},
            "multiprocess": {"max_concurrent", "retries", "start_method", "tag_concurrency_limits"},
        }
        takes = set(self.config_keys) if self.config_keys is not None else allowed.get(self.name)
        unknown = set(config) - (takes or set())
        if unknown:
            raise DefinitionError(
                f"Executor {self.name!r} does not take config {sorted(unknown)}; "
                f"it takes {sorted(takes or set())}."
            )
        return replace(self, config={**self.config, **config})

    @property
    def max_concurrent(self) -> int | None:
        value = self.config.get("max_concurrent")
        return int(value) if value else None


in_process_executor = ExecutorDefinition("in_process")
multiprocess_executor = ExecutorDefinition("multiprocess")


def executor_from_run_config(
    default: ExecutorDefinition | None, run_config: Mapping[str, Any]
) -> ExecutorDefinition:
    """The executor a run uses: run config ``execution`` overrides the definition's."""
    executor = default or in_process_executor
    execution = run_config.get("execution") or {}
    if not execution:
        return executor
    if "config" in execution:
        cfg = execution["config"] or {}
        # {"execution": {"config": {"multiprocess": {...}}}} or {"config": {"max_concurrent": 2}}
        for name in ("multiprocess", "in_process"):
            if name in cfg:
                return ExecutorDefinition(name).configured(cfg[name] or {})
        return executor.configured(cfg)
    return executor
