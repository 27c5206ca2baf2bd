"""``@dbt_assets``: the models, seeds and snapshots of a dbt manifest as one subsettable
multi-asset, dbt tests as asset checks, sources as upstream keys."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assettui.integrations.dbt.manifest import asset_nodes, load_manifest, select_unique_ids
from assettui.integrations.dbt.translator import DagsterDbtTranslator
from assettui.model.asset_key import AssetKey
from assettui.model.assets.decorator import multi_asset
from assettui.model.assets.definition import AssetCheckSpec, AssetsDefinition
from assettui.model.assets.spec import AssetSpec
from assettui.model.automation.schedules import DefaultScheduleStatus, ScheduleDefinition
from assettui.model.jobs import define_asset_job
from assettui.model.selection.asset_selection import AssetSelection

UNIQUE_ID_KEY = "dagster_dbt/unique_id"


@dataclass(frozen=True)
class DbtAssetsInfo:
    """What a run of dbt assets needs to know of their manifest (kept on their function)."""

    manifest: Mapping[str, Any]
    translator: DagsterDbtTranslator
    keys_by_unique_id: Mapping[str, AssetKey]
    checks_by_unique_id: Mapping[str, tuple[AssetKey, str]] = field(default_factory=dict)
    select: str = "fqn:*"
    exclude: str | None = None
    project: Any = None


def keys_by_unique_id(
    manifest: Mapping[str, Any], translator: DagsterDbtTranslator
) -> dict[str, AssetKey]:
    found = {uid: translator.get_asset_key(node) for uid, node in asset_nodes(manifest).items()}
    for uid, source in manifest.get("sources", {}).items():
        found[uid] = translator.get_asset_key(source)
    return found


def dbt_info(assets_def: Any) -> DbtAssetsInfo | None:
    """The dbt manifest information of a ``@dbt_assets`` definition, if it is one."""
    fn = getattr(assets_def, "compute_fn", None)
    return getattr(fn, "_assettui_dbt", None)


def dbt_assets(
    *,
    manifest: Any,
    select: str = "fqn:*",
    exclude: str | None = None,
    selector: str | None = None,
    name: str | None = None,
    io_manager_key: str | None = None,
    partitions_def: Any = None,
    dagster_dbt_translator: DagsterDbtTranslator | None = None,
    backfill_policy: Any = None,
    op_tags: Mapping[str, Any] | None = None,
    required_resource_keys: set[str] | None = None,
    project: Any = None,
    retry_policy: Any = None,
    pool: str | None = None,
    **_unused: Any,
) -> Callable[[Callable[..., Any]], AssetsDefinition]:
    """dagster-dbt's ``@dbt_assets``: decorate ``fn(context, dbt: DbtCliResource)`` that
    yields from ``dbt.cli(["build"], context=context).stream()``.

    Raises:
        DefinitionError: a missing manifest or an unsupported selection.
    """
    loaded = load_manifest(manifest)
    translator = dagster_dbt_translator or DagsterDbtTranslator()
    nodes = asset_nodes(loaded)
    selected = sorted(select_unique_ids(loaded, select, exclude))
    keys = keys_by_unique_id(loaded, translator)
    adapter = (loaded.get("metadata") or {}).get("adapter_type")
    specs = []
    for uid in selected:
        node = nodes[uid]
        deps = [keys[p] for p in node.get("depends_on", {}).get("nodes", ()) if p in keys]
        specs.append(
            AssetSpec(
                key=keys[uid],
                deps=deps,
                description=translator.get_description(node),
                metadata={**translator.get_metadata(node), UNIQUE_ID_KEY: uid},
                group_name=translator.get_group_name(node),
                code_version=translator.get_code_version(node),
                owners=translator.get_owners(node),
                tags=dict(translator.get_tags(node)),
                kinds={"dbt", *([adapter] if adapter else [])},
                skippable=True,
                automation_condition=translator.get_automation_condition(node),
                partitions_def=partitions_def,
            )
        )
    checks: dict[str, tuple[AssetKey, str]] = {}
    check_specs = []
    if translator.settings.enable_asset_checks:
        chosen = set(selected)
        for uid, node in loaded.get("nodes", {}).items():
            attached = node.get("attached_node")
            if node.get("resource_type") != "test" or attached not in chosen:
                continue
            others = [
                keys[p]
                for p in node.get("depends_on", {}).get("nodes", ())
                if p in keys and p != attached
            ]
            check_specs.append(
                AssetCheckSpec(
                    name=node["name"],
                    asset=keys[attached],
                    description=node.get("description") or None,
                    additional_deps=others,
                )
            )
            checks[uid] = (keys[attached], node["name"])
    info = DbtAssetsInfo(loaded, translator, keys, checks, select, exclude, project)

    def wrap(fn: Callable[..., Any]) -> AssetsDefinition:
        fn._assettui_dbt = info  # type: ignore[attr-defined]
        return multi_asset(
            specs=specs,
            check_specs=check_specs,
            name=name or fn.__name__,
            can_subset=True,
            backfill_policy=backfill_policy,
            op_tags=op_tags,
            required_resource_keys=required_resource_keys,
            retry_policy=retry_policy,
            pool=pool,
        )(fn)

    return wrap


def build_dbt_asset_selection(
    dbt_assets: Sequence[AssetsDefinition],
    dbt_select: str = "fqn:*",
    dbt_exclude: str | None = None,
) -> Any:
    """The assets of ``dbt_assets`` that a dbt selection picks, as an ``AssetSelection``."""
    chosen: set[AssetKey] = set()
    for adef in dbt_assets:
        info = dbt_info(adef)
        if info is None:
            continue
        for uid in select_unique_ids(info.manifest, dbt_select, dbt_exclude):
            key = info.keys_by_unique_id.get(uid)
            if key in adef.keys:
                chosen.add(key)
    return AssetSelection.assets(*sorted(chosen, key=lambda k: k.to_user_string()))


def build_schedule_from_dbt_selection(
    dbt_assets: Sequence[AssetsDefinition],
    job_name: str,
    cron_schedule: str,
    dbt_select: str = "fqn:*",
    dbt_exclude: str | None = None,
    schedule_name: str | None = None,
    tags: Mapping[str, str] | None = None,
    config: Any = None,
    execution_timezone: str | None = None,
    default_status: Any = None,
) -> Any:
    """A schedule of a job materializing the dbt selection (dagster-dbt's helper)."""
    job = define_asset_job(
        job_name,
        selection=build_dbt_asset_selection(dbt_assets, dbt_select, dbt_exclude),
        tags=tags,
        config=config,
    )
    return ScheduleDefinition(
        name=schedule_name or f"{job_name}_schedule",
        cron_schedule=cron_schedule,
        job=job,
        execution_timezone=execution_timezone,
        default_status=default_status or DefaultScheduleStatus.STOPPED,
    )
