"""Reading what an asset or check function returned: values, metadata, check results."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from assettui.errors import ExecutionError
from assettui.execution.type_checks import check_return_type
from assettui.model.asset_key import AssetKey
from assettui.model.assets.definition import AssetsDefinition
from assettui.model.dagster_types import is_nothing
from assettui.model.metadata.values import MetadataValue
from assettui.model.results import (
    AssetCheckResult,
    AssetMaterialization,
    AssetObservation,
    MaterializeResult,
    Output,
)

NO_VALUE = object()


@dataclass
class ProducedAsset:
    """One asset's result from a step: its value (or ``NO_VALUE``) and metadata."""

    key: AssetKey
    value: Any = NO_VALUE
    metadata: dict[str, MetadataValue] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    data_version: str | None = None


@dataclass
class StepResults:
    produced: dict[AssetKey, ProducedAsset] = field(default_factory=dict)
    check_results: list[AssetCheckResult] = field(default_factory=list)
    logged: list[Any] = field(default_factory=list)


def _items(result: Any) -> list[Any]:
    if inspect.isgenerator(result):
        return list(result)
    return [result]


def _returns_none(fn: Any) -> bool:
    try:
        annotation = inspect.signature(fn).return_annotation
    except (TypeError, ValueError):
        return False
    return annotation is None or annotation == "None" or annotation is type(None)


def collect_asset_results(
    adef: AssetsDefinition, selected: tuple[AssetKey, ...], result: Any
) -> StepResults:
    """Sort an asset function's return value into per-asset results and check results."""
    out = StepResults()
    keys_by_output = adef.keys_by_output_name
    single = selected[0] if len(adef.keys) == 1 else None

    def produce(key: AssetKey | None, value: Any, **extra: Any) -> None:
        if key is None:
            if single is None:
                raise ExecutionError(
                    f"{adef.node_name!r} produces several assets; say which one each result "
                    "is for (Output(output_name=...) or MaterializeResult(asset_key=...))."
                )
            key = single
        if key not in adef.keys:
            raise ExecutionError(
                f"{adef.node_name!r} returned a result for {key.to_user_string()!r}, which it "
                "does not define."
            )
        if key in out.produced:
            raise ExecutionError(
                f"{adef.node_name!r} returned two results for {key.to_user_string()!r}."
            )
        out.produced[key] = ProducedAsset(key, value, **extra)

    if (
        not inspect.isgenerator(result)
        and isinstance(result, tuple)
        and len(adef.outputs) > 1
        and not any(isinstance(r, (Output, MaterializeResult)) for r in result)
    ):
        names = [info.output_name for info in adef.outputs.values()]
        if len(result) != len(names):
            raise ExecutionError(
                f"{adef.node_name!r} returned {len(result)} values for {len(names)} outputs "
                f"({names}); return one value per output, in order."
            )
        for name, value in zip(names, result, strict=True):
            produce(keys_by_output[name], value)
        return out

    items = _items(result)
    if len(items) == 1 and isinstance(items[0], tuple) and len(adef.outputs) > 1:
        items = list(items[0])
    elif (
        len(items) == 1
        and isinstance(items[0], (list, tuple))
        and items[0]
        and all(isinstance(i, (MaterializeResult, AssetCheckResult)) for i in items[0])
    ):  # a list of results, e.g. a Pipes invocation's get_results()
        items = list(items[0])
    for item in items:
        if isinstance(item, Output):
            key = keys_by_output.get(item.output_name)
            if key is None and item.output_name == "result" and single is not None:
                key = single
            if key is None:
                raise ExecutionError(
                    f"{adef.node_name!r} returned Output(output_name={item.output_name!r}), but "
                    f"its outputs are {sorted(keys_by_output)}."
                )
            produce(
                key,
                item.value,
                metadata=dict(item.metadata),
                tags=dict(item.tags),
                data_version=item.data_version,
            )
        elif isinstance(item, MaterializeResult):
            value = item.value if item.value is not None else NO_VALUE
            produce(
                item.asset_key,
                value,
                metadata=dict(item.metadata),
                tags=dict(item.tags),
                data_version=item.data_version,
            )
            out.check_results.extend(item.check_results)
        elif isinstance(item, AssetCheckResult):
            out.check_results.append(item)
        elif isinstance(item, (AssetMaterialization, AssetObservation)):
            out.logged.append(item)
        elif item is None and inspect.isgenerator(result):
            continue
        else:
            if item is None and (_returns_none(adef.compute_fn) or _is_nothing(adef, single)):
                produce(None, NO_VALUE)
            else:
                if not inspect.isgenerator(result):
                    check_return_type(adef.compute_fn, item)
                produce(None, item)
    if single is not None and single not in out.produced and not inspect.isgenerator(result):
        produce(single, NO_VALUE)
    return out


def _is_nothing(adef: Any, key: AssetKey | None) -> bool:

    info = adef.outputs.get(key) if key is not None else None
    return info is not None and is_nothing(info.dagster_type)


def collect_check_results(definition: Any, result: Any) -> list[AssetCheckResult]:
    """The check results a check function returned or yielded."""
    results = []
    for item in _items(result):
        if isinstance(item, AssetCheckResult):
            results.append(item)
        elif item is None:
            continue
        else:
            raise ExecutionError(
                f"Check {definition.node_name!r} returned {type(item).__name__}; an asset check "
                "must return AssetCheckResult(passed=...)."
            )
    return results


def resolve_check_key(result: AssetCheckResult, candidates: Iterable[Any], where: str) -> Any:
    """Which declared check a result belongs to."""
    cands = list(candidates)
    matches = [
        c
        for c in cands
        if (result.asset_key is None or c.asset_key == result.asset_key)
        and (result.check_name is None or c.name == result.check_name)
    ]
    if len(matches) != 1:
        names = sorted(c.to_user_string() for c in cands)
        raise ExecutionError(
            f"{where} returned a check result that matches {len(matches)} of its checks "
            f"({names}); set asset_key= and check_name= on AssetCheckResult."
        )
    return matches[0]
