"""The asset graph: every asset of a ``Definitions``, its edges, checks and order."""

from __future__ import annotations

import difflib
import heapq
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assettui.errors import DefinitionError, SelectionError
from assettui.model.asset_key import AssetKey
from assettui.model.assets.checks import AssetChecksDefinition
from assettui.model.assets.coerce import coerce_assets
from assettui.model.assets.definition import AssetCheckSpec, AssetsDefinition
from assettui.model.assets.spec import AssetSpec
from assettui.model.results import AssetCheckKey


@dataclass(frozen=True, eq=False)
class AssetNode:
    """One asset in the graph, with its spec, its definition and its neighbours."""

    key: AssetKey
    spec: AssetSpec
    assets_def: AssetsDefinition
    parent_keys: frozenset[AssetKey]
    child_keys: frozenset[AssetKey]
    check_keys: frozenset[AssetCheckKey]

    @property
    def group_name(self) -> str:
        return self.spec.group_name or "default"

    @property
    def is_materializable(self) -> bool:
        return self.assets_def.is_executable

    @property
    def is_external(self) -> bool:
        return not self.assets_def.is_executable

    @property
    def partitions_def(self) -> Any:
        return self.spec.partitions_def

    @property
    def is_partitioned(self) -> bool:
        return self.spec.partitions_def is not None

    @property
    def code_version(self) -> str | None:
        return self.spec.code_version

    @property
    def tags(self) -> Mapping[str, str]:
        return self.spec.tags

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self.spec.kinds)

    @property
    def owners(self) -> Sequence[str]:
        return tuple(self.spec.owners)

    @property
    def description(self) -> str | None:
        return self.spec.description

    @property
    def metadata(self) -> Mapping[str, Any]:
        return self.spec.metadata

    @property
    def automation_condition(self) -> Any:
        return self.spec.automation_condition

    @property
    def backfill_policy(self) -> Any:
        return self.assets_def.backfill_policy

    def partition_mapping_for(self, parent: AssetKey) -> Any:
        return self.assets_def.get_partition_mapping(parent)


class AssetGraph:
    """Assets and checks with their dependency edges, in topological order.

    Build it with :meth:`from_definitions`; it does not validate (see ``validation``), but
    it refuses to order a graph with a cycle.
    """

    def __init__(
        self,
        assets_defs: Sequence[AssetsDefinition],
        checks_defs: Sequence[AssetChecksDefinition] = (),
    ):
        self.assets_defs = tuple(assets_defs)
        self.checks_defs = tuple(checks_defs)
        specs: dict[AssetKey, tuple[AssetSpec, AssetsDefinition]] = {}
        for adef in self.assets_defs:
            for spec in adef.specs:
                # An executable definition wins over an external spec of the same key.
                if spec.key in specs and not adef.is_executable:
                    continue
                specs[spec.key] = (spec, adef)
        children: dict[AssetKey, set[AssetKey]] = {k: set() for k in specs}
        parents: dict[AssetKey, frozenset[AssetKey]] = {}
        for key, (spec, _) in specs.items():
            parents[key] = frozenset(d.key for d in spec.deps)
            for parent in parents[key]:
                children.setdefault(parent, set()).add(key)
        checks: dict[AssetKey, set[AssetCheckKey]] = {}
        self._check_specs: dict[AssetCheckKey, tuple[AssetCheckSpec, Any]] = {}
        owners: list[Any] = [*self.assets_defs, *self.checks_defs]
        for owner in owners:
            for cspec in owner.check_specs:
                checks.setdefault(cspec.asset_key, set()).add(cspec.key)
                self._check_specs[cspec.key] = (cspec, owner)
        self._nodes: dict[AssetKey, AssetNode] = {
            key: AssetNode(
                key=key,
                spec=spec,
                assets_def=adef,
                parent_keys=parents[key],
                child_keys=frozenset(children.get(key, ())),
                check_keys=frozenset(checks.get(key, ())),
            )
            for key, (spec, adef) in specs.items()
        }
        self._topo: list[AssetKey] | None = None

    @staticmethod
    def from_assets(
        assets: Iterable[Any], asset_checks: Iterable[AssetChecksDefinition] = ()
    ) -> AssetGraph:
        return AssetGraph(coerce_assets(assets), tuple(asset_checks))

    # ---- lookups -----------------------------------------------------------------------

    @property
    def all_asset_keys(self) -> frozenset[AssetKey]:
        return frozenset(self._nodes)

    @property
    def materializable_asset_keys(self) -> frozenset[AssetKey]:
        return frozenset(k for k, n in self._nodes.items() if n.is_materializable)

    @property
    def external_asset_keys(self) -> frozenset[AssetKey]:
        return frozenset(k for k, n in self._nodes.items() if n.is_external)

    @property
    def asset_nodes(self) -> list[AssetNode]:
        return [self._nodes[k] for k in self.toposorted_asset_keys]

    @property
    def asset_check_keys(self) -> frozenset[AssetCheckKey]:
        return frozenset(self._check_specs)

    def has(self, key: AssetKey) -> bool:
        return key in self._nodes

    def get(self, key: AssetKey) -> AssetNode:
        try:
            return self._nodes[key]
        except KeyError:
            pass
        # A key some asset depends on but nobody defines: name that asset, not just the key.
        for node in self._nodes.values():
            if key in node.parent_keys:
                params = {k: p for p, k in node.assets_def.keys_by_input_name.items()}
                raise DefinitionError(
                    missing_upstream_message(node.key, key, self._nodes, parameter=params.get(key))
                )
        raise SelectionError(unknown_key_message(key, self._nodes))

    def get_check_spec(self, key: AssetCheckKey) -> AssetCheckSpec:
        return self._check_specs[key][0]

    def get_checks_def(self, key: AssetCheckKey) -> Any:
        """The definition computing a check: an AssetChecksDefinition or an AssetsDefinition."""
        return self._check_specs[key][1]

    def assets_def_for(self, key: AssetKey) -> AssetsDefinition:
        return self.get(key).assets_def

    def group_names(self) -> list[str]:
        return sorted({n.group_name for n in self._nodes.values()})

    # ---- order -------------------------------------------------------------------------

    @property
    def toposorted_asset_keys(self) -> list[AssetKey]:
        """Every key, parents before children; ties broken by key for a stable order."""
        if self._topo is None:
            indegree = {
                k: sum(1 for p in n.parent_keys if p in self._nodes) for k, n in self._nodes.items()
            }
            ready = [k for k, d in indegree.items() if d == 0]
            heapq.heapify(ready)
            order: list[AssetKey] = []
            while ready:
                key = heapq.heappop(ready)
                order.append(key)
                for child in self._nodes[key].child_keys:
                    if child in indegree:
                        indegree[child] -= 1
                        if indegree[child] == 0:
                            heapq.heappush(ready, child)
            if len(order) != len(self._nodes):
                cycle = self.find_cycle()
                raise DefinitionError(cycle_message(cycle))
            self._topo = order
        return self._topo

    def toposorted_asset_keys_by_level(self) -> list[list[AssetKey]]:
        """Keys grouped by longest path from a root (level 0 = roots)."""
        level: dict[AssetKey, int] = {}
        for key in self.toposorted_asset_keys:
            parents = [p for p in self._nodes[key].parent_keys if p in self._nodes]
            level[key] = 1 + max((level[p] for p in parents), default=-1)
        levels: list[list[AssetKey]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
        for key in self.toposorted_asset_keys:
            levels[level[key]].append(key)
        return levels

    def find_cycle(self) -> list[AssetKey] | None:
        """One dependency cycle as a list of keys (first == last), or None."""
        white, grey, black = 0, 1, 2
        color = dict.fromkeys(self._nodes, white)
        for start in sorted(self._nodes):
            if color[start] != white:
                continue
            stack: list[tuple[AssetKey, list[AssetKey]]] = [
                (start, sorted(self._nodes[start].child_keys))
            ]
            path = [start]
            color[start] = grey
            while stack:
                node, pending = stack[-1]
                if pending:
                    child = pending.pop(0)
                    if child not in color:
                        continue
                    if color[child] == grey:
                        return [*path[path.index(child) :], child]
                    if color[child] == white:
                        color[child] = grey
                        path.append(child)
                        stack.append((child, sorted(self._nodes[child].child_keys)))
                else:
                    color[node] = black
                    path.pop()
                    stack.pop()
        return None

    # ---- traversal ---------------------------------------------------------------------

    def upstream(
        self, keys: Iterable[AssetKey], depth: int | None = None, include_self: bool = True
    ) -> set[AssetKey]:
        return self._walk(keys, "parent_keys", depth, include_self)

    def downstream(
        self, keys: Iterable[AssetKey], depth: int | None = None, include_self: bool = True
    ) -> set[AssetKey]:
        return self._walk(keys, "child_keys", depth, include_self)

    def _walk(
        self, keys: Iterable[AssetKey], attr: str, depth: int | None, include_self: bool
    ) -> set[AssetKey]:
        start = [k for k in keys if k in self._nodes]
        seen: dict[AssetKey, int] = dict.fromkeys(start, 0)
        queue = deque(start)
        while queue:
            key = queue.popleft()
            d = seen[key]
            if depth is not None and d >= depth:
                continue
            for nxt in getattr(self._nodes[key], attr):
                if nxt in self._nodes and nxt not in seen:
                    seen[nxt] = d + 1
                    queue.append(nxt)
        result = set(seen)
        if not include_self:
            result -= set(start)
            # a start key reachable from another start key stays in
            for key, d in seen.items():
                if d > 0:
                    result.add(key)
        return result

    def parents(self, key: AssetKey) -> frozenset[AssetKey]:
        return frozenset(p for p in self.get(key).parent_keys if p in self._nodes)

    def children(self, key: AssetKey) -> frozenset[AssetKey]:
        return self.get(key).child_keys

    @property
    def root_keys(self) -> frozenset[AssetKey]:
        return frozenset(k for k in self._nodes if not self.parents(k))

    @property
    def sink_keys(self) -> frozenset[AssetKey]:
        return frozenset(k for k, n in self._nodes.items() if not n.child_keys)

    def toposort(self, keys: Iterable[AssetKey]) -> list[AssetKey]:
        wanted = set(keys)
        return [k for k in self.toposorted_asset_keys if k in wanted]

    def __len__(self) -> int:
        return len(self._nodes)

    def __repr__(self) -> str:
        return f"<AssetGraph {len(self._nodes)} assets, {len(self._check_specs)} checks>"


def cycle_message(cycle: list[AssetKey] | None) -> str:
    if not cycle:
        return "The asset graph has a dependency cycle."
    path = " -> ".join(k.to_user_string() for k in cycle)
    return (
        f"The asset graph has a dependency cycle: {path}. Remove one of these dependencies "
        "(an input parameter, an AssetIn or a deps= entry)."
    )


def close_matches(key: AssetKey, candidates: Iterable[AssetKey]) -> list[str]:
    names = {c.to_user_string(): c for c in candidates}
    return difflib.get_close_matches(key.to_user_string(), list(names), n=3, cutoff=0.6)


def unknown_key_message(key: AssetKey, candidates: Iterable[AssetKey]) -> str:
    hint = close_matches(key, candidates)
    suggestion = f" Did you mean {', '.join(repr(h) for h in hint)}?" if hint else ""
    return f"No asset {key.to_user_string()!r} is defined.{suggestion}"


# The names a parameter may have that are not upstream assets (see compute_fn).
_SPECIAL_PARAMETERS = ("context", "config")


def missing_upstream_message(
    asset_key: AssetKey,
    dep_key: AssetKey,
    known: Iterable[AssetKey],
    *,
    location: str | None = None,
    parameter: str | None = None,
    resource_keys: Iterable[str] = (),
) -> str:
    """Why ``asset_key``'s dependency on an undefined ``dep_key`` fails, and what to do.

    A parameter that is not the context, a ``Config`` or an annotated resource names an
    upstream asset, so a misspelt ``contxt`` or an unannotated resource lands here too:
    the hint then points at what the parameter was probably meant to be.
    """
    asset = asset_key.to_user_string()
    dep = dep_key.to_user_string()
    where = f" ({location})" if location else ""
    hints = close_matches(dep_key, known)
    if parameter is None:
        head = f"Asset {asset!r}{where} depends on {dep!r} via deps=, but no asset has that key."
    else:
        head = (
            f"Asset {asset!r}{where} takes parameter {parameter!r}, but no asset has the key "
            f"{dep!r}. A parameter that is not `context`, a Config or a resource (annotated "
            "with its class) names an upstream asset."
        )
        if parameter not in _SPECIAL_PARAMETERS:
            hints += difflib.get_close_matches(parameter, _SPECIAL_PARAMETERS, n=1, cutoff=0.6)
    suggestion = f" Did you mean {', '.join(repr(h) for h in hints)}?" if hints else ""
    if parameter == "config":
        suggestion += (
            " To receive run config, annotate it with a Config subclass defined at module "
            "level (config: MyConfig), so the annotation resolves."
        )
    if parameter is not None and parameter in set(resource_keys):
        suggestion += (
            f" {parameter!r} is a resource: annotate the parameter with its class "
            f"({parameter}: MyResource) or ResourceParam[...]."
        )
    return (
        f"{head}{suggestion} If {dep!r} lives outside this project, declare it with "
        f"AssetSpec({dep!r})."
    )
