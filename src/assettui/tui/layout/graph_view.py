"""What the asset graph pane shows: the scope and its drawing, as a pure function.

The pane computes small views (a neighbourhood, a filter) itself; the app computes the
first view of a newly loaded project in its loading thread, so a big project's layout never
blocks the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from assettui.model.asset_graph import AssetGraph
from assettui.model.asset_key import AssetKey
from assettui.tui.layout.graph import LaneRow, LayeredLayout, lane_layout, layered_layout

LAYERED_LIMIT = 250  # above this many assets in scope, the navigator list is shown
LANE_WIDTH = 12


@dataclass(frozen=True, slots=True)
class ViewRequest:
    """What to show: the selected asset, a filter, a neighbourhood depth, list or drawing,
    and the pane's width, which a drawing too wide for it is fitted to with narrower boxes."""

    selected: AssetKey | None
    filter_keys: frozenset[AssetKey] | None
    depth: int | None
    force_list: bool
    fit_width: int | None = None
    framed_groups: bool = True  # each group's assets in a band of their own, framed


@dataclass(frozen=True, slots=True)
class GraphView:
    """A laid-out scope: exactly one of ``layered`` and ``lanes`` is set."""

    graph: AssetGraph
    request: ViewRequest
    scope: list[AssetKey]
    row_of: dict[AssetKey, int]
    layered: LayeredLayout | None
    lanes: list[LaneRow] | None
    width: int
    height: int


PARTITION_COUNTS_WIDTH = 12
COMPACT_BOX_WIDTH = (12, 18)  # the narrowest and widest boxes when fitting a wide graph


def scope_keys(graph: AssetGraph, request: ViewRequest) -> list[AssetKey]:
    """The assets in view, in topological order."""
    keys: set[AssetKey] | None = None
    if request.filter_keys is not None:
        keys = set(request.filter_keys)
    if request.depth is not None and request.selected is not None:
        selected = request.selected
        near = graph.upstream([selected], request.depth) | graph.downstream(
            [selected], request.depth
        )
        keys = near if keys is None else (keys & near) | {selected}
    return list(graph.toposorted_asset_keys) if keys is None else graph.toposort(keys)


def graph_view(graph: AssetGraph, request: ViewRequest) -> GraphView:
    """Lay out ``request``'s scope of ``graph``: a layered drawing, or lanes when it is big."""
    scope = scope_keys(graph, request)
    row_of = {k: i for i, k in enumerate(scope)}
    if request.force_list or len(scope) > LAYERED_LIMIT:
        children = {k: [c for c in graph.get(k).child_keys if c in row_of] for k in scope}
        names = max((len(k.to_user_string()) for k in scope), default=0)
        return GraphView(
            graph, request, scope, row_of, None, lane_layout(scope, children),
            LANE_WIDTH * 2 + 2 + names + 30, len(scope),
        )  # fmt: skip
    parents = {k: [p for p in graph.get(k).parent_keys if p in row_of] for k in scope}
    # A partitioned asset's box is wide enough for its counts ("337/337 ✘12") as well.
    titles = {
        k: k.to_user_string().ljust(PARTITION_COUNTS_WIDTH if graph.get(k).is_partitioned else 0)
        for k in scope
    }
    groups = {k: graph.get(k).group_name for k in scope} if request.framed_groups else None
    layered = layered_layout(scope, parents, titles, groups=groups)
    if request.fit_width and layered.width > request.fit_width:
        compact = layered_layout(scope, parents, titles, COMPACT_BOX_WIDTH, groups)
        layered = compact if compact.width < layered.width else layered
    return GraphView(
        graph, request, scope, row_of, layered, None, layered.width + 1, layered.height
    )
