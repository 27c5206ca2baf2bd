"""``Definitions.load_asset_value`` / ``get_asset_value_loader``: an asset's stored value,
read through its IO manager outside a run (in a notebook, a test, a script)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from assettui.execution.io_managers.base import InputContext, OutputContext
from assettui.execution.resources import InitResourceContext, initialized_resources
from assettui.model.asset_key import AssetKey
from assettui.model.resources import Resources


class AssetValueLoader:
    """Loads assets' values with their IO managers, set up once for the loader's lifetime."""

    def __init__(self, defs: Any, instance: Any = None):
        self._defs = defs
        self._instance = instance
        self._stack = contextlib.ExitStack()
        self._managers: dict[str, Any] = {}

    def __enter__(self) -> AssetValueLoader:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stack.close()

    def _manager(self, key: str) -> Any:
        if key not in self._managers:
            home = self._instance.storage.home if self._instance is not None else None
            init = InitResourceContext(instance=self._instance)
            resources = self._stack.enter_context(
                initialized_resources(dict(self._defs.resources), home, {key}, init)
            )
            self._managers.update(resources)
        return self._managers[key]

    def load_asset_value(
        self,
        asset_key: Any,
        *,
        python_type: type | None = None,
        partition_key: str | None = None,
        input_definition_metadata: Mapping[str, Any] | None = None,
        resource_config: Any = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Any:
        """The value of ``asset_key`` (for ``partition_key``), as its IO manager loads it."""
        key = AssetKey.from_coercible(asset_key)
        graph = self._defs.resolve_asset_graph()
        node = graph.get(key)
        adef = node.assets_def
        manager_key = adef.get_io_manager_key(key) if key in adef.outputs else "io_manager"
        manager = self._manager(manager_key)
        resources = Resources(self._managers)
        upstream = OutputContext(
            asset_key=key,
            name=adef.outputs[key].output_name if key in adef.outputs else "result",
            metadata=node.metadata,
            definition_metadata=node.metadata,
            resources=resources,
            partitions_def=node.partitions_def,
        )
        context = InputContext(
            asset_key=key,
            name=key.to_python_identifier() if hasattr(key, "to_python_identifier") else "",
            upstream_output=upstream,
            metadata=dict(metadata or input_definition_metadata or {}),
            partition_keys_value=[partition_key] if partition_key is not None else [],
            resources=resources,
            dagster_type=python_type,
            partitions_def=node.partitions_def,
            definition_metadata=node.metadata,
        )
        return manager.load_input(context)


@contextlib.contextmanager
def asset_value_loader(defs: Any, instance: Any = None) -> Iterator[AssetValueLoader]:
    with AssetValueLoader(defs, instance) as loader:
        yield loader
