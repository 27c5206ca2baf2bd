"""dlt sources as assets (``assettui.dlt``, also resolved as ``dagster_dlt``): one asset per
dlt resource, loaded by ``DagsterDltResource.run``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assettui.model.asset_key import AssetKey
from assettui.model.assets.decorator import multi_asset
from assettui.model.assets.definition import AssetsDefinition
from assettui.model.assets.spec import AssetSpec
from assettui.model.resources import ConfigurableResource
from assettui.model.results import MaterializeResult

__all__ = ["DagsterDltResource", "DagsterDltTranslator", "DltResourceTranslatorData", "dlt_assets"]


@dataclass(frozen=True)
class DltResourceTranslatorData:
    """One dlt resource and where it goes (what the translator is given)."""

    resource: Any
    destination: Any = None
    pipeline: Any = None


class DagsterDltTranslator:
    """How dlt resources become assets; override the methods (dagster-dlt's names)."""

    def get_asset_key(self, resource: Any) -> AssetKey:
        return AssetKey(f"dlt_{resource.source_name}_{resource.name}")

    def get_deps_asset_keys(self, resource: Any) -> Sequence[AssetKey]:
        return [AssetKey(f"{resource.source_name}_{resource.name}")]

    def get_description(self, resource: Any) -> str | None:
        pipe = getattr(resource, "_pipe", None)
        fn = getattr(getattr(pipe, "gen", None), "__doc__", None) if pipe is not None else None
        return fn or None

    def get_group_name(self, resource: Any) -> str | None:
        return None

    def get_metadata(self, resource: Any) -> Mapping[str, Any]:
        return {}

    def get_owners(self, resource: Any) -> Sequence[str]:
        return []

    def get_tags(self, resource: Any) -> Mapping[str, str]:
        return {}

    def get_kinds(self, resource: Any, destination: Any) -> set[str]:
        name = getattr(destination, "destination_name", None) or getattr(
            destination, "destination_type", ""
        )
        return {"dlt", *([str(name).split(".")[-1]] if name else [])}

    def get_automation_condition(self, resource: Any) -> Any:
        return None


@dataclass(frozen=True)
class _DltInfo:
    source: Any
    pipeline: Any
    translator: DagsterDltTranslator
    keys_by_resource: Mapping[str, AssetKey]


def dlt_assets(
    *,
    dlt_source: Any,
    dlt_pipeline: Any,
    name: str | None = None,
    group_name: str | None = None,
    dagster_dlt_translator: DagsterDltTranslator | None = None,
    partitions_def: Any = None,
    backfill_policy: Any = None,
    op_tags: Mapping[str, Any] | None = None,
    pool: str | None = None,
    **_unused: Any,
) -> Callable[[Callable[..., Any]], AssetsDefinition]:
    """dagster-dlt's ``@dlt_assets``: one subsettable asset per selected resource of
    ``dlt_source``; decorate ``fn(context, dlt: DagsterDltResource)`` that yields from
    ``dlt.run(context=context)``."""
    translator = dagster_dlt_translator or DagsterDltTranslator()
    destination = getattr(dlt_pipeline, "destination", None)
    resources = list(dlt_source.selected_resources.values())
    keys: dict[str, AssetKey] = {}
    specs = []
    for resource in resources:
        key = translator.get_asset_key(resource)
        keys[resource.name] = key
        specs.append(
            AssetSpec(
                key=key,
                deps=list(translator.get_deps_asset_keys(resource)),
                description=translator.get_description(resource),
                metadata=dict(translator.get_metadata(resource)),
                group_name=translator.get_group_name(resource) or group_name,
                owners=list(translator.get_owners(resource)),
                tags=dict(translator.get_tags(resource)),
                kinds=translator.get_kinds(resource, destination),
                automation_condition=translator.get_automation_condition(resource),
                partitions_def=partitions_def,
                skippable=True,
            )
        )
    info = _DltInfo(dlt_source, dlt_pipeline, translator, keys)

    def wrap(fn: Callable[..., Any]) -> AssetsDefinition:
        fn._assettui_dlt = info  # type: ignore[attr-defined]
        return multi_asset(
            specs=specs,
            name=name or fn.__name__,
            can_subset=True,
            backfill_policy=backfill_policy,
            op_tags=op_tags,
            pool=pool,
        )(fn)

    return wrap


class DagsterDltResource(ConfigurableResource):
    """Runs dlt pipelines for ``@dlt_assets`` (dagster-dlt's resource)."""

    def run(
        self,
        context: Any,
        dlt_source: Any = None,
        dlt_pipeline: Any = None,
        dagster_dlt_translator: DagsterDltTranslator | None = None,
        **kwargs: Any,
    ) -> Iterator[MaterializeResult]:
        """Load the selected resources; yield a materialization per resource with the rows
        it loaded and the load's details."""
        info: _DltInfo | None = getattr(
            getattr(getattr(context, "assets_def", None), "compute_fn", None), "_assettui_dlt", None
        )
        source = dlt_source if dlt_source is not None else (info.source if info else None)
        pipeline = dlt_pipeline if dlt_pipeline is not None else (info.pipeline if info else None)
        if source is None or pipeline is None:
            raise ValueError(
                "DagsterDltResource.run needs dlt_source and dlt_pipeline (or @dlt_assets)."
            )
        keys = dict(info.keys_by_resource) if info else {}
        selected = set(getattr(context, "selected_asset_keys", ()) or ())
        names = [n for n, k in keys.items() if k in selected] if keys and selected else None
        if names is not None and set(names) != set(keys):
            source = source.with_resources(*names)
        load_info = pipeline.run(source, **kwargs)
        trace = getattr(pipeline, "last_trace", None)
        normalize = getattr(trace, "last_normalize_info", None) if trace is not None else None
        row_counts = dict(getattr(normalize, "row_counts", {}) or {})
        load_ids = list(getattr(load_info, "loads_ids", None) or [])
        for resource_name in names if names is not None else list(keys):
            table = resource_name
            resource = source.resources.get(resource_name) if hasattr(source, "resources") else None
            table_name = getattr(resource, "table_name", None)
            if isinstance(table_name, str):
                table = table_name
            metadata = {
                "dagster/row_count": int(row_counts.get(table, 0)),
                "load_id": load_ids[-1] if load_ids else "",
                "dataset_name": getattr(pipeline, "dataset_name", ""),
                "destination_name": str(getattr(load_info, "destination_name", "") or ""),
                "pipeline_name": getattr(pipeline, "pipeline_name", ""),
                "table_name": table,
            }
            yield MaterializeResult(asset_key=keys.get(resource_name), metadata=metadata)
