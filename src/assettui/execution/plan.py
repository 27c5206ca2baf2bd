"""Planning: a selection of assets and checks x partitions -> ordered steps.

One step per asset definition (a ``@multi_asset`` is one step producing several assets) and
one per check definition; a step runs after the steps producing its inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assettui.errors import PartitionError, SelectionError
from assettui.model.asset_graph import AssetGraph
from assettui.model.asset_key import AssetKey
from assettui.model.assets.checks import AssetChecksDefinition
from assettui.model.assets.definition import AssetsDefinition
from assettui.model.results import AssetCheckKey


@dataclass(frozen=True, eq=False)
class Step:
    """One unit of work: a definition's function called once."""

    key: str
    # an AssetsDefinition or an AssetChecksDefinition; Any because the hot path reads
    # attributes of whichever it is without narrowing on every access
    definition: Any
    asset_keys: tuple[AssetKey, ...]
    check_keys: tuple[AssetCheckKey, ...]
    upstream_steps: frozenset[str]
    partition_keys: tuple[str, ...] = ()

    @property
    def is_check_step(self) -> bool:
        return isinstance(self.definition, AssetChecksDefinition)

    @property
    def partition_key(self) -> str | None:
        return self.partition_keys[0] if len(self.partition_keys) == 1 else None


@dataclass(frozen=True, eq=False)
class ExecutionPlan:
    """The steps of a run, in an order that respects their dependencies."""

    steps: tuple[Step, ...]
    asset_keys: frozenset[AssetKey]
    check_keys: frozenset[AssetCheckKey]
    partition_keys: tuple[str, ...] = ()
    step_by_asset: dict[AssetKey, str] = field(default_factory=dict)

    def step_named(self, key: str) -> Step:
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(key)


def _partition_keys_for(
    node_def: Any, key: AssetKey, run_keys: Sequence[str], store: Any
) -> tuple[str, ...]:
    if not run_keys:
        return ()
    if node_def is None:
        return ()
    for pkey in run_keys:
        try:
            ok = node_def.has_partition_key(pkey, dynamic_partitions_store=store)
        except TypeError:
            ok = node_def.has_partition_key(pkey)
        if not ok:
            raise PartitionError(
                f"Partition {pkey!r} is not a partition of asset {key.to_user_string()!r}. "
                f"Its partitions run from {_first_last(node_def, store)}."
            )
    return tuple(run_keys)


def _first_last(pdef: Any, store: Any) -> str:
    try:
        keys = pdef.get_partition_keys(dynamic_partitions_store=store)
    except Exception:
        return "(unknown)"
    if not keys:
        return "(none yet)"
    return f"{keys[0]!r} to {keys[-1]!r} ({len(keys)} partitions)"


def build_plan(
    graph: AssetGraph,
    asset_keys: Iterable[AssetKey],
    check_keys: Iterable[AssetCheckKey] = (),
    partition_keys: Sequence[str] = (),
    dynamic_partitions_store: Any = None,
) -> ExecutionPlan:
    """Order the steps that materialize ``asset_keys`` and evaluate ``check_keys``.

    Raises:
        SelectionError: for an unknown or external asset, or a partial selection of a
            multi-asset that cannot be subset.
        PartitionError: for partition keys that the selected partitioned assets lack, or
            a partition given for a run of only unpartitioned assets.
    """
    selected = set(asset_keys)
    for key in selected:
        node = graph.get(key)
        if node.is_external:
            raise SelectionError(
                f"Asset {key.to_user_string()!r} is external (an AssetSpec/SourceAsset) and "
                "cannot be materialized; deselect it."
            )
    if partition_keys and selected and not any(graph.get(k).is_partitioned for k in selected):
        names = ", ".join(sorted(k.to_user_string() for k in selected)[:5])
        raise PartitionError(
            f"A partition key ({partition_keys[0]!r}) was given, but none of the selected assets "
            f"({names}) is partitioned. Drop the partition key."
        )
    # group selected keys by the definition that computes them
    by_def: dict[int, tuple[AssetsDefinition, list[AssetKey]]] = {}
    for key in graph.toposort(selected):
        adef = graph.get(key).assets_def
        by_def.setdefault(id(adef), (adef, []))[1].append(key)
    checks = set(check_keys)
    steps: list[Step] = []
    step_by_asset: dict[AssetKey, str] = {}
    used_names: set[str] = set()
    for adef, keys in by_def.values():
        if len(keys) != len(adef.keys) and not adef.can_subset:
            missing = sorted(k.to_user_string() for k in adef.keys - set(keys))
            raise SelectionError(
                f"{adef.node_name!r} computes its assets together and cannot be subset; the "
                f"selection leaves out {missing}. Select all of its assets (or declare it with "
                "can_subset=True)."
            )
        name = _unique(adef.node_name, used_names)
        for key in keys:
            step_by_asset[key] = name
        own_checks = tuple(c.key for c in adef.check_specs if c.key in checks)
        pdef = adef.partitions_def or graph.get(keys[0]).partitions_def
        steps.append(
            Step(
                key=name,
                definition=adef,
                asset_keys=tuple(keys),
                check_keys=own_checks,
                upstream_steps=frozenset(),
                partition_keys=_partition_keys_for(
                    pdef, keys[0], partition_keys, dynamic_partitions_store
                ),
            )
        )
    for check in sorted(checks):
        owner = graph.get_checks_def(check)
        if isinstance(owner, AssetsDefinition):
            continue  # evaluated inside the asset's own step
        if any(s.definition is owner for s in steps):
            continue
        asset_node = graph.get(check.asset_key)
        name = _unique(owner.node_name, used_names)
        steps.append(
            Step(
                key=name,
                definition=owner,
                asset_keys=(),
                check_keys=tuple(c for c in sorted(owner.check_keys) if c in checks),
                upstream_steps=frozenset(),
                partition_keys=_partition_keys_for(
                    asset_node.partitions_def,
                    check.asset_key,
                    partition_keys,
                    dynamic_partitions_store,
                )
                if asset_node.is_partitioned
                else (),
            )
        )
    # wire dependencies between steps
    blocking_checks: dict[AssetKey, set[str]] = {}  # asset -> steps of its blocking checks
    for step in steps:
        if step.is_check_step:
            for c in step.check_keys:
                if graph.get_check_spec(c).blocking:
                    blocking_checks.setdefault(c.asset_key, set()).add(step.key)
    wired: list[Step] = []
    for step in steps:
        if step.is_check_step:
            deps = set(step.definition.dependency_keys)
        else:
            deps = {p for k in step.asset_keys for p in graph.get(k).parent_keys}
        upstream = {
            step_by_asset[d] for d in deps if d in step_by_asset and step_by_asset[d] != step.key
        }
        if not step.is_check_step:
            # a blocking check on an upstream asset must pass before this step runs
            for dep in deps & blocking_checks.keys():
                upstream |= blocking_checks[dep] - {step.key}
        wired.append(
            Step(
                step.key,
                step.definition,
                step.asset_keys,
                step.check_keys,
                frozenset(upstream),
                step.partition_keys,
            )
        )
    return ExecutionPlan(
        steps=tuple(_toposort_steps(wired)),
        asset_keys=frozenset(selected),
        check_keys=frozenset(checks),
        partition_keys=tuple(partition_keys),
        step_by_asset=step_by_asset,
    )


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 2
    while candidate in used:
        candidate, n = f"{name}_{n}", n + 1
    used.add(candidate)
    return candidate


def _toposort_steps(steps: list[Step]) -> list[Step]:
    by_key = {s.key: s for s in steps}
    done: set[str] = set()
    order: list[Step] = []
    pending = list(steps)
    while pending:
        rest = []
        for step in pending:
            if step.upstream_steps <= done:
                order.append(step)
                done.add(step.key)
            else:
                rest.append(step)
        if len(rest) == len(pending):  # only a cycle can stall this; the graph refuses cycles
            raise SelectionError(f"Steps {sorted(s.key for s in rest)} depend on each other.")
        pending = rest
    assert len(order) == len(by_key)
    return order


def plan_resource_keys(plan: ExecutionPlan, graph: AssetGraph) -> set[str]:
    """Every resource key the plan's steps use, including the IO managers of their inputs.

    A step's own ``required_resource_keys`` name its output IO managers, but an input read
    from an asset outside the selection is loaded through *that* asset's IO manager.
    """
    needed = {"io_manager"}
    for step in plan.steps:
        definition = step.definition
        needed |= set(getattr(definition, "required_resource_keys", ()))
        for info in definition.inputs.values():
            node = graph.get(info.key)
            if info.io_manager_key:
                needed.add(info.io_manager_key)
            elif info.key in node.assets_def.outputs:
                needed.add(node.assets_def.get_io_manager_key(info.key))
    return needed
