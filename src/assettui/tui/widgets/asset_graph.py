"""The asset graph pane: a layered drawing, or a lane navigator for big scopes.

Only visible rows are drawn (Textual's line API): a 5,000-asset project costs one linear
lane pass, then a few dozen rows per frame.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from assettui.model.asset_graph import AssetGraph as DefGraph
from assettui.model.asset_key import AssetKey
from assettui.model.selection.asset_selection import AssetSelection
from assettui.tui.layout.graph import SLOT_HEIGHT, LaneRow, LayeredLayout, NodeLabel, lane_gutter
from assettui.tui.layout.graph_view import LANE_WIDTH, GraphView, ViewRequest, graph_view
from assettui.tui.status import MISSING, ROLE_STYLES, NodeState

DEPTHS = (1, 2, 3, 5, None)  # neighbourhood depths `+`/`-` step through; None = everything


class AssetGraph(ScrollView, can_focus=True):
    """The asset graph of the loaded definitions, coloured by status."""

    ALLOW_MAXIMIZE = True  # `z` zooms the pane

    BINDINGS = [
        Binding("up,k", "move('up')", "Up", show=False),
        Binding("down,j", "move('down')", "Down", show=False),
        Binding(
            "left,h", "move('left')", "Upstream", show=False, tooltip="Move upstream along an edge"
        ),
        Binding(
            "right,l",
            "move('right')",
            "Downstream",
            show=False,
            tooltip="Move downstream along an edge",
        ),
        Binding(
            "enter", "activate", "Open", tooltip="Details, or the calendar of a partitioned asset"
        ),
        Binding(
            "plus,equals_sign",
            "depth(1)",
            "Depth +",
            key_display="+",
            tooltip="Show more around the selection",
        ),
        Binding(
            "minus",
            "depth(-1)",
            "Depth -",
            key_display="-",
            tooltip="Show only the neighbourhood of the selection",
        ),
        Binding(
            "v",
            "toggle_list",
            "List/graph",
            show=False,
            tooltip="Navigator list or layered drawing",
        ),
        Binding(
            "space",
            "toggle_mark",
            "Mark",
            tooltip="Mark the asset (m materializes the marked ones)",
        ),
        Binding("escape", "clear_filter", "Clear marks, then filter", show=False),
        Binding("g", "toggle_groups", "Groups", show=False, tooltip="Group frames on/off"),
        Binding("shift+left", "pan(-8, 0)", "Pan left", show=False),
        Binding("shift+right", "pan(8, 0)", "Pan right", show=False),
        Binding("shift+up", "pan(0, -5)", "Pan up", show=False),
        Binding("shift+down", "pan(0, 5)", "Pan down", show=False),
        Binding("home", "reveal", "Back to selection", show=False),
    ]

    class AssetSelected(Message):
        """The cursor moved to an asset."""

        def __init__(self, key: AssetKey) -> None:
            super().__init__()
            self.key = key

    class AssetActivated(Message):
        """``enter`` was pressed on an asset."""

        def __init__(self, key: AssetKey) -> None:
            super().__init__()
            self.key = key

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.graph: DefGraph | None = None
        self.states: dict[AssetKey, NodeState] = {}
        self.selected: AssetKey | None = None
        self.filter_keys: frozenset[AssetKey] | None = None
        self.filter_label = ""
        self.depth_index = len(DEPTHS) - 1
        self.force_list = False
        self.scope: list[AssetKey] = []
        self._row_of: dict[AssetKey, int] = {}
        self._layered: LayeredLayout | None = None
        self._lanes: list[LaneRow] | None = None
        self._lit_nodes: frozenset[Hashable] = frozenset()
        self._lit_edges: frozenset[int] = frozenset()
        self._styles: dict[str, Style] = {}
        self.marked: set[AssetKey] = set()  # space marks; m materializes them together
        self.framed_groups = True  # g: groups in framed bands, or one compact drawing
        self._fitted_width = 0  # the pane width the current drawing was fitted to

    # ---- public API ---------------------------------------------------------------------

    @property
    def depth(self) -> int | None:
        return DEPTHS[self.depth_index]

    @property
    def is_list_mode(self) -> bool:
        return self._lanes is not None

    def view_request(self, graph: DefGraph) -> ViewRequest:
        """What :meth:`set_graph` will lay out for ``graph`` (callable from any thread)."""
        filter_keys, selected = self.filter_keys, self.selected
        if filter_keys is not None:
            filter_keys = frozenset(k for k in filter_keys if graph.has(k))
        if selected is None or not graph.has(selected):
            order = graph.toposorted_asset_keys
            selected = order[0] if order else None
        return ViewRequest(
            selected,
            filter_keys,
            self.depth,
            self.force_list,
            self._fit_width(),
            self.framed_groups,
        )

    def _fit_width(self) -> int | None:
        self._fitted_width = self.size.width
        return self.size.width or None

    def set_graph(self, graph: DefGraph, view: GraphView | None = None) -> None:
        """Show ``graph``, keeping the selection (and filter) where the keys still exist.

        Args:
            graph: the definitions' asset graph.
            view: its layout, computed off the event loop from :meth:`view_request`; used
                when nothing changed since (else the layout is computed here).
        """
        request = self.view_request(graph)
        self.graph = graph
        self.filter_keys, self.selected = request.filter_keys, request.selected
        if view is not None and (view.graph is not graph or view.request != request):
            view = None
        self._rebuild(view)
        if self.selected is not None:
            self.post_message(self.AssetSelected(self.selected))

    def set_states(self, states: dict[AssetKey, NodeState]) -> None:
        if states != self.states:
            self.states = states
            self.refresh()

    def set_filter(self, keys: Iterable[AssetKey] | None, label: str = "") -> None:
        """Restrict the view to ``keys`` (``None``: everything) and select the first one."""
        self.filter_keys = None if keys is None else frozenset(keys)
        self.filter_label = label if keys is not None else ""
        if self.graph is not None and self.filter_keys:
            first = next(k for k in self.graph.toposorted_asset_keys if k in self.filter_keys)
            self.selected = first
        self._rebuild()
        if self.selected is not None:
            self.post_message(self.AssetSelected(self.selected))

    def select(self, key: AssetKey) -> None:
        """Move the cursor to ``key`` (widening the view when it is filtered out)."""
        if self.graph is None or not self.graph.has(key):
            return
        if self.filter_keys is not None and key not in self.filter_keys:
            self.filter_keys, self.filter_label = None, ""
        previous = self.selected
        self.selected = key
        if self.depth is not None or key not in self._row_of:
            self._rebuild()
        else:
            self._relight()
        self._reveal()
        if previous != key:
            self.post_message(self.AssetSelected(key))

    # ---- building -----------------------------------------------------------------------

    def _rebuild(self, view: GraphView | None = None) -> None:
        graph = self.graph
        if graph is None:
            return
        if view is None:
            request = ViewRequest(
                self.selected,
                self.filter_keys,
                self.depth,
                self.force_list,
                self._fit_width(),
                self.framed_groups,
            )
            view = graph_view(graph, request)
        self.scope, self._row_of = view.scope, view.row_of
        self._layered, self._lanes = view.layered, view.lanes
        self.virtual_size = Size(view.width, view.height)
        self._retitle()
        self._relight()
        self.call_after_refresh(self._reveal)

    def _relight(self) -> None:
        if self.graph is None or self.selected is None or not self.graph.has(self.selected):
            self._lit_nodes, self._lit_edges = frozenset(), frozenset()
        else:
            up = self.graph.upstream([self.selected])
            down = self.graph.downstream([self.selected])
            self._lit_nodes = frozenset(up | down)
            if self._layered is not None:
                # Its own edges only: drawn apart from the others (heavy lines), each lit
                # path is one of its true dependencies, never a trunk shared with others.
                selected = self.selected
                self._lit_edges = frozenset(
                    i for i, (p, c) in enumerate(self._layered.edges) if selected in (p, c)
                )
        self.refresh()

    def _reveal(self) -> None:
        if self.selected is None or self.selected not in self._row_of:
            return
        if self._layered is not None:
            x, y, w = self._layered.box_at(self.selected)
            self.scroll_to_region(Region(x, y, w, SLOT_HEIGHT - 1), animate=False, force=True)
        else:
            row = self._row_of[self.selected]
            self.scroll_to_region(Region(0, row, 1, 1), animate=False, force=True)

    # ---- drawing ------------------------------------------------------------------------

    def _label(self, key: Hashable) -> NodeLabel:
        assert isinstance(key, AssetKey) and self.graph is not None
        node = self.graph.get(key)
        state = self.states.get(key, MISSING)
        kinds = ",".join(sorted(node.kinds))
        parts = [state.counts_label(), node.group_name, kinds]  # counts before what is cut
        title = ("✓ " if key in self.marked else "") + key.to_user_string()
        return NodeLabel(title, " · ".join(p for p in parts if p), state.glyph, state.status)

    def _style(self, role: str) -> Style:
        style = self._styles.get(role)
        if style is None:
            spec = ROLE_STYLES.get(role, "") or "none"
            if "$accent" in spec:  # the theme's accent colour
                accent = self.app.current_theme.accent or "bright_cyan"
                # an ANSI theme names the terminal's colours ("ansi_green"); Rich: "green"
                spec = spec.replace("$accent", accent.removeprefix("ansi_"))
            style = self._styles[role] = Style.parse(spec)
        return style

    def _watch_theme(self) -> None:
        self._styles.clear()
        self.refresh()

    def on_mount(self) -> None:
        self.watch(self.app, "theme", self._watch_theme, init=False)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        row = y + scroll_y
        base = self.rich_style
        if self._layered is not None:
            if row >= self._layered.height:
                return Strip.blank(width, base)
            segs = self._layered.render_row(
                row,
                scroll_x,
                scroll_x + width,
                self._label,
                self.selected,
                self._lit_nodes,
                self._lit_edges,
            )
            return Strip([Segment(t, base + self._style(r)) for t, r in segs], width)
        if self._lanes is None or row >= len(self.scope):
            return Strip.blank(width, base)
        key = self.scope[row]
        label = self._label(key)
        segs = lane_gutter(self._lanes[row], LANE_WIDTH, label.glyph, label.status)
        role = (
            "name.sel" if key == self.selected else "name.lit" if key in self._lit_nodes else "name"
        )
        segs += [(" ", ""), (label.title, role), ("  " + label.subtitle, "sub")]
        strip = Strip([Segment(t, base + self._style(r)) for t, r in segs])
        return strip.crop(scroll_x, scroll_x + width).extend_cell_length(width, base)

    # ---- keys and mouse -----------------------------------------------------------------

    def action_toggle_groups(self) -> None:
        self.framed_groups = not self.framed_groups
        self._rebuild()

    def action_pan(self, dx: int, dy: int) -> None:
        """Move the view without moving the selection."""
        self.scroll_relative(dx, dy, animate=False)

    def action_reveal(self) -> None:
        self._reveal()

    def on_resize(self, event: events.Resize) -> None:
        # A wide drawing is fitted to the pane's width: lay it out again when that changes
        # (not when only the height does, as when the runs area opens below).
        width = event.size.width
        if width != self._fitted_width and self.graph is not None and self._layered is not None:
            self._rebuild()

    def action_move(self, direction: str) -> None:
        target = self._neighbour(direction)
        if target is not None:
            self.select(target)

    def _neighbour(self, direction: str) -> AssetKey | None:
        if self.graph is None or self.selected is None or self.selected not in self._row_of:
            return self.scope[0] if self.scope else None
        key = self.selected
        if self._layered is not None:
            layer, slot = self._layered.position[key]
            column = self._layered.layers[layer]
            index = column.index(key)
            if direction in ("up", "down"):
                index += -1 if direction == "up" else 1
                return column[index] if 0 <= index < len(column) else None  # type: ignore[return-value]
            near = (
                self.graph.get(key).parent_keys
                if direction == "left"
                else self.graph.get(key).child_keys
            )
            found = [k for k in near if k in self._row_of]
            pos = self._layered.position
            return min(found, key=lambda k: (abs(pos[k][1] - slot), pos[k]), default=None)
        row = self._row_of[key]
        if direction in ("up", "down"):
            row += -1 if direction == "up" else 1
            return self.scope[row] if 0 <= row < len(self.scope) else None
        near = (
            self.graph.get(key).parent_keys
            if direction == "left"
            else self.graph.get(key).child_keys
        )
        found = [k for k in near if k in self._row_of]
        return min(found, key=lambda k: abs(self._row_of[k] - row), default=None)

    def action_activate(self) -> None:
        if self.selected is not None:
            self.post_message(self.AssetActivated(self.selected))

    def action_depth(self, step: int) -> None:
        self.depth_index = max(0, min(len(DEPTHS) - 1, self.depth_index + step))
        self._rebuild()

    def action_toggle_list(self) -> None:
        self.force_list = not self.force_list
        self._rebuild()

    def action_clear_filter(self) -> None:
        if self.marked:
            self.marked.clear()
            self._retitle()
        elif self.filter_keys is not None:
            self.set_filter(None)

    def action_toggle_mark(self) -> None:
        key = self.selected
        if key is None:
            return
        self.marked.symmetric_difference_update({key})
        self._retitle()

    def marked_in_order(self) -> list[AssetKey]:
        """The marked assets that still exist, parents before children."""
        if self.graph is None:
            return []
        return self.graph.toposort({k for k in self.marked if self.graph.has(k)})

    def _retitle(self) -> None:
        graph = self.graph
        if graph is None:
            return
        mode = "list" if self._lanes is not None else "graph"
        depth = "all" if self.depth is None else f"depth {self.depth}"
        what = f" · {self.filter_label}" if self.filter_label else ""
        marks = f" · {len(self.marked)} marked" if self.marked else ""
        self.border_title = (
            f"Assets ({len(self.scope)}/{len(graph)}) · {mode} · {depth}{what}{marks}"
        )
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        x, y = offset.x + self.scroll_offset.x, offset.y + self.scroll_offset.y
        if self._layered is not None:
            for key, box in self._layered.boxes.items():
                if box.x <= x < box.x + box.width and box.y <= y < box.y + SLOT_HEIGHT - 1:
                    assert isinstance(key, AssetKey)
                    self.select(key)
                    return
        elif 0 <= y < len(self.scope):
            self.select(self.scope[y])


_SELECTION_MARKS = (":", "*", "+", "(", " ")


def resolve_filter(graph: DefGraph, text: str) -> tuple[frozenset[AssetKey] | None, str]:
    """The keys a filter shows and its label: ``None`` for an empty filter (everything).

    Text with selection syntax (``group:raw``, ``+key:x``, ``a or b``) is an asset
    selection; anything else matches part of a key, case-insensitively.

    Raises:
        SelectionError: the selection string does not parse or names nothing known.
    """

    text = text.strip()
    if not text:
        return None, ""
    if any(mark in text for mark in _SELECTION_MARKS):
        return frozenset(AssetSelection.from_string(text).resolve(graph)), text
    needle = text.lower()
    return frozenset(
        k for k in graph.toposorted_asset_keys if needle in k.to_user_string().lower()
    ), f"/{text}"
