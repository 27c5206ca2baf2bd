"""Laying out and drawing an asset DAG as text: pure functions, no Textual.

Two drawings:

- :func:`layered_layout` — left-to-right layers (longest path from a root), long edges
  broken by dummy slots, crossings reduced by barycenter sweeps, edges routed through
  per-source channels between layers. The result draws itself row by row
  (:meth:`LayeredLayout.render_row`), so only visible rows cost anything.
- :func:`lane_layout` — the navigator for big graphs: one row per asset in topological
  order with a git-log style lane gutter, computed in one linear pass.

Rows come out as lists of ``(text, role)`` segments; roles (``"edge"``, ``"box.sel"``,
``"status.fresh"``...) are mapped to styles by the widget.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

Segment = tuple[str, str]
Row = list[Segment]

SLOT_HEIGHT = 5  # box of 4 rows + 1 blank row
ATTACH_ROW = 1  # edges meet a box on its title row
MAX_CHANNELS = 16  # beyond this many sources in one gap, sources share vertical channels
SWEEPS = 4
N, E, S, W = 1, 2, 4, 8
_BOX_CHARS = {
    N | S: "│", E | W: "─", S | E: "╭", S | W: "╮", N | E: "╰", N | W: "╯",
    N | S | E: "├", N | S | W: "┤", E | W | S: "┬", E | W | N: "┴", N | E | S | W: "┼",
    N: "│", S: "│", E: "─", W: "─",
}  # fmt: skip
# The selected asset's edges are drawn from their own directions only, in heavy lines, so a
# highlighted path never branches into an edge of other assets (and shows without colour).
_HEAVY_CHARS = {
    N | S: "┃", E | W: "━", S | E: "┏", S | W: "┓", N | E: "┗", N | W: "┛",
    N | S | E: "┣", N | S | W: "┫", E | W | S: "┳", E | W | N: "┻", N | E | S | W: "╋",
    N: "┃", S: "┃", E: "━", W: "━",
}  # fmt: skip


@dataclass(frozen=True)
class NodeLabel:
    """What a node box shows: its title, a subtitle and a status glyph and role."""

    title: str
    subtitle: str
    glyph: str
    status: str


@dataclass
class _Box:
    key: Hashable
    x: int
    y: int
    width: int


@dataclass(frozen=True)
class _Frame:
    """A group's frame: its label and the rectangle (inclusive corners) around its boxes."""

    label: str
    x0: int
    y0: int
    x1: int
    y1: int

    def row(self, y: int) -> dict[int, str]:
        """The frame's characters on row ``y``, by column."""
        if y < self.y0 or y > self.y1:
            return {}
        if y in (self.y0, self.y1):
            left, right = ("╭", "╮") if y == self.y0 else ("╰", "╯")
            line = {x: "┄" for x in range(self.x0 + 1, self.x1)}
            line[self.x0], line[self.x1] = left, right
            if y == self.y0:
                for i, char in enumerate(f" {self.label} "[: max(0, self.x1 - self.x0 - 3)]):
                    line[self.x0 + 2 + i] = char
            return line
        return {self.x0: "┆", self.x1: "┆"}


@dataclass
class LayeredLayout:
    """A layered drawing: node boxes and routed edges on a character grid."""

    width: int
    height: int
    position: dict[Hashable, tuple[int, int]]  # key -> (layer, slot) of real nodes
    layers: list[list[Hashable]]  # real nodes per layer, top to bottom
    boxes: dict[Hashable, _Box]
    edges: list[tuple[Hashable, Hashable]]
    # row -> x -> edge index -> the directions that edge takes through the cell
    cells: dict[int, dict[int, dict[int, int]]] = field(default_factory=dict)
    arrows: dict[tuple[int, int], set[int]] = field(default_factory=dict)  # cell -> edges
    frames: list[_Frame] = field(default_factory=list)  # one per group, when grouped
    top: int = 0  # rows above the first slot (the first frame's top line)
    _by_band: dict[int, list[_Box]] = field(default_factory=dict)

    def box_at(self, key: Hashable) -> tuple[int, int, int]:
        """``(x, y, width)`` of a node's box."""
        box = self.boxes[key]
        return box.x, box.y, box.width

    def render_row(
        self,
        y: int,
        x0: int,
        x1: int,
        labels: Callable[[Hashable], NodeLabel],
        selected: Hashable | None = None,
        lit_nodes: frozenset[Hashable] = frozenset(),
        lit_edges: frozenset[int] = frozenset(),
    ) -> Row:
        """Segments of canvas row ``y`` between columns ``x0`` and ``x1``."""
        chars: list[tuple[str, str]] = [(" ", "")] * (x1 - x0)
        for group in self.frames:  # under everything else: edges and boxes draw over them
            for x, char in group.row(y).items():
                if x0 <= x < x1:
                    chars[x - x0] = (char, "group")
        for x, through in self.cells.get(y, {}).items():
            if not x0 <= x < x1:
                continue
            lit = 0
            for edge, bits in through.items():
                if edge in lit_edges:
                    lit |= bits
            if lit:
                chars[x - x0] = (_HEAVY_CHARS.get(lit, "·"), "edge.lit")
            else:
                chars[x - x0] = (_BOX_CHARS.get(_union(through), "·"), "edge")
        for (ax, ay), edges in self.arrows.items():
            if ay == y and x0 <= ax < x1:
                chars[ax - x0] = ("▶", "edge.lit" if edges & lit_edges else "edge")
        for box in self._by_band.get((y - self.top) // SLOT_HEIGHT, ()):
            row = y - box.y
            if not 0 <= row < SLOT_HEIGHT - 1:
                continue
            label = labels(box.key)
            frame = (
                "box.sel" if box.key == selected else "box.lit" if box.key in lit_nodes else "box"
            )
            text = _box_row(row, box.width, label, frame)
            for i, cell in enumerate(text):
                if x0 <= box.x + i < x1:
                    chars[box.x + i - x0] = cell
        return _merge(chars)


def _box_row(row: int, width: int, label: NodeLabel, frame: str) -> list[tuple[str, str]]:
    inner = width - 2
    if row == 0:
        return [("╭", frame), *[("─", frame)] * inner, ("╮", frame)]
    if row == 3:
        return [("╰", frame), *[("─", frame)] * inner, ("╯", frame)]
    if row == 1:
        title = _fit(label.title, inner - 2)
        text_role = "title.sel" if frame == "box.sel" else "title"
        return [
            ("│", frame),
            (label.glyph, f"status.{label.status}"),
            (" ", text_role),
            *[(c, text_role) for c in title.ljust(inner - 2)],
            ("│", frame),
        ]
    sub = _fit(label.subtitle, inner)
    return [("│", frame), *[(c, "sub") for c in sub.ljust(inner)], ("│", frame)]


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _merge(chars: Sequence[tuple[str, str]]) -> Row:
    out: Row = []
    for ch, role in chars:
        if out and out[-1][1] == role:
            out[-1] = (out[-1][0] + ch, role)
        else:
            out.append((ch, role))
    return out


# ---------------------------------------------------------------------- layered layout


def assign_layers(
    keys: Sequence[Hashable], parents: Mapping[Any, Sequence[Hashable]]
) -> dict[Hashable, int]:
    """Layer of each key (``keys`` in topological order): longest path from a root."""
    layer: dict[Hashable, int] = {}
    for key in keys:
        layer[key] = 1 + max((layer[p] for p in parents.get(key, ()) if p in layer), default=-1)
    return layer


def _order_layers(
    slots: list[list[Hashable]],
    ups: dict[Hashable, list[Hashable]],
    downs: dict[Hashable, list[Hashable]],
) -> None:
    """Reorder each layer in place by the barycenter of its neighbours (a few sweeps)."""
    for sweep in range(SWEEPS):
        downward = sweep % 2 == 0
        indices = range(1, len(slots)) if downward else range(len(slots) - 2, -1, -1)
        for i in indices:
            ref = slots[i - 1] if downward else slots[i + 1]
            where = {k: j for j, k in enumerate(ref)}
            links = ups if downward else downs

            def center(key: Hashable, j: int, links: dict = links, where: dict = where) -> float:
                near = [where[n] for n in links.get(key, ()) if n in where]
                return sum(near) / len(near) if near else float(j)

            ranked = [(center(k, j), j, k) for j, k in enumerate(slots[i])]
            ranked.sort(key=lambda t: (t[0], t[1]))
            slots[i] = [k for _, _, k in ranked]


def _place(
    slots: list[list[Hashable]],
    ups: dict[Hashable, list[Hashable]],
    band_of: Mapping[Hashable, int] | None = None,
) -> dict[Hashable, int]:
    """A vertical slot for each entry: near its upstream neighbours, order kept, no overlap.

    With ``band_of`` (entry -> group band, bands in order), each band's entries take slots
    of their own, below the previous band's and one empty slot apart (room for the frame).
    """
    y: dict[Hashable, int] = {}
    if band_of is None:
        for layer in slots:
            last = -1
            for key in layer:
                near = [y[p] for p in ups.get(key, ()) if p in y]
                want = round(sum(near) / len(near)) if near else 0
                y[key] = max(want, last + 1)
                last = y[key]
        return y
    start = 0
    for band in sorted(set(band_of.values())):
        bottom = start
        for layer in slots:
            last = start - 1
            for key in (k for k in layer if band_of[k] == band):
                near = [y[p] for p in ups.get(key, ()) if p in y and band_of[p] == band]
                want = round(sum(near) / len(near)) if near else start
                y[key] = max(want, last + 1)
                last = y[key]
                bottom = max(bottom, last)
        start = bottom + 2
    return y


def layered_layout(
    keys: Sequence[Hashable],
    parents: Mapping[Any, Sequence[Hashable]],
    titles: Mapping[Any, str],
    box_width: tuple[int, int] = (14, 28),
    groups: Mapping[Any, str] | None = None,
) -> LayeredLayout:
    """Lay out the DAG of ``keys`` (topological order) left to right.

    Args:
        keys: the nodes, parents before children.
        parents: each node's parents (entries outside ``keys`` are ignored).
        titles: each node's title, to size its layer's boxes.
        box_width: the smallest and largest box width.
        groups: each node's group: with two groups or more, each group's nodes share a
            band of rows, framed and labelled (a long edge's path runs in its target's band).
    """
    inside = set(keys)
    parents = {k: [p for p in parents.get(k, ()) if p in inside] for k in keys}
    layer = assign_layers(keys, parents)
    depth = max(layer.values(), default=-1) + 1
    slots: list[list[Hashable]] = [[] for _ in range(depth)]
    ups: dict[Hashable, list[Hashable]] = {}
    downs: dict[Hashable, list[Hashable]] = {}
    edges: list[tuple[Hashable, Hashable]] = []
    chains: list[list[Hashable]] = []  # per edge: parent, dummies..., child
    for key in keys:
        slots[layer[key]].append(key)
    for key in keys:
        for parent in sorted(parents[key], key=lambda p: layer[p]):
            chain: list[Hashable] = [parent]
            for lay in range(layer[parent] + 1, layer[key]):
                dummy = ("__dummy__", len(edges), lay)
                slots[lay].append(dummy)
                layer[dummy] = lay
                chain.append(dummy)
            chain.append(key)
            for a, b in pairwise(chain):
                ups.setdefault(b, []).append(a)
                downs.setdefault(a, []).append(b)
            edges.append((parent, key))
            chains.append(chain)
    _order_layers(slots, ups, downs)
    band_of: dict[Hashable, int] | None = None
    group_names: list[str] = []
    if groups is not None and len({groups.get(k, "") for k in keys}) > 1:
        group_names = list(dict.fromkeys(groups.get(k, "") for k in keys))
        rank = {name: i for i, name in enumerate(group_names)}
        band_of = {k: rank[groups.get(k, "")] for k in keys}
        for chain in chains:  # a long edge's dummies run in its target's band
            for inner in chain[1:-1]:
                band_of[inner] = band_of[chain[-1]]
        for layer_slots in slots:
            layer_slots.sort(key=band_of.__getitem__)  # stable: the barycenter order stays
    slot_y = _place(slots, ups, band_of)
    top = 1 if band_of is not None else 0  # a row above the first band for its frame

    widths = []
    for entries in slots:
        longest = max((len(titles.get(k, "")) + 4 for k in entries if k in inside), default=0)
        widths.append(min(max(longest, box_width[0]), box_width[1]))
    # channels: sources in layer i whose edges move vertically into layer i+1
    gap_sources: list[list[Hashable]] = [[] for _ in range(depth)]
    for chain in chains:
        for a, b in pairwise(chain):
            lay = layer[a]
            if slot_y[a] != slot_y[b] and a not in gap_sources[lay]:
                gap_sources[lay].append(a)
    x = 1 if band_of is not None else 0  # room for the first frame's left line
    layer_x: list[int] = []
    gaps: list[int] = []
    for i in range(depth):
        layer_x.append(x)
        gaps.append(min(len(gap_sources[i]), MAX_CHANNELS) + 3)
        x += widths[i] + gaps[i]
    boxes = {
        k: _Box(k, layer_x[layer[k]], top + slot_y[k] * SLOT_HEIGHT, widths[layer[k]]) for k in keys
    }
    out = LayeredLayout(
        width=max(x - (gaps[-1] if gaps else 0), 1) + (1 if band_of is not None else 0),  # frame
        height=top + (max(slot_y.values(), default=0) + 1) * SLOT_HEIGHT,
        position={k: (layer[k], slot_y[k]) for k in keys},
        layers=[[k for k in lay if k in inside] for lay in slots],
        boxes=boxes,
        edges=edges,
    )
    for box in boxes.values():
        out._by_band.setdefault((box.y - top) // SLOT_HEIGHT, []).append(box)
    out.top = top
    if band_of is not None:
        for band, name in enumerate(group_names):
            members = [boxes[k] for k in keys if band_of[k] == band]
            out.frames.append(
                _Frame(
                    name or "default",
                    min(b.x for b in members) - 1,
                    min(b.y for b in members) - 1,
                    max(b.x + b.width for b in members),
                    max(b.y for b in members) + SLOT_HEIGHT - 1,
                )
            )
    channel = {src: i % MAX_CHANNELS for srcs in gap_sources for i, src in enumerate(srcs)}
    for index, chain in enumerate(chains):
        for a, b in pairwise(chain):
            lay = layer[a]
            ya = top + slot_y[a] * SLOT_HEIGHT + ATTACH_ROW
            yb = top + slot_y[b] * SLOT_HEIGHT + ATTACH_ROW
            start = layer_x[lay] + widths[lay] if a in inside else layer_x[lay]
            if a not in inside:  # a dummy: the line runs through its slot
                _hline(out, ya, layer_x[lay], layer_x[lay] + widths[lay], index)
            end = layer_x[lay + 1] - 1
            turn = layer_x[lay] + widths[lay] + 1 + channel.get(a, 0)
            _route(out, start, ya, turn, end, yb, index)
            if b in inside:
                out.arrows.setdefault((end, yb), set()).add(index)
    return out


def _union(through: Mapping[int, int]) -> int:
    bits = 0
    for edge_bits in through.values():
        bits |= edge_bits
    return bits


def _mark(out: LayeredLayout, x: int, y: int, bits: int, edge: int) -> None:
    through = out.cells.setdefault(y, {}).setdefault(x, {})
    through[edge] = through.get(edge, 0) | bits


def _hline(out: LayeredLayout, y: int, xa: int, xb: int, edge: int) -> None:
    for x in range(xa, xb):
        _mark(out, x, y, E | W, edge)


def _route(out: LayeredLayout, xa: int, ya: int, xt: int, xb: int, yb: int, edge: int) -> None:
    """An edge from (xa, ya) right to column xt, vertically to yb, right to (xb, yb)."""
    if ya == yb:
        _hline(out, ya, xa, xb + 1, edge)
        return
    _hline(out, ya, xa, xt, edge)
    _mark(out, xt, ya, W | (S if yb > ya else N), edge)
    step = 1 if yb > ya else -1
    for y in range(ya + step, yb, step):
        _mark(out, xt, y, N | S, edge)
    _mark(out, xt, yb, E | (N if yb > ya else S), edge)
    _hline(out, yb, xt + 1, xb + 1, edge)


# ---------------------------------------------------------------------- lane navigator


@dataclass(frozen=True)
class LaneRow:
    """One navigator row: the node's lane, lanes passing by, and lanes joined or opened."""

    column: int
    passing: int  # bit mask of the lanes passing by
    joins: frozenset[int]  # existing lanes this node feeds into
    forks: frozenset[int]  # lanes this node opens
    continues: bool  # the node's own lane goes on below
    from_above: bool  # a lane arrived at this node from above


def lane_layout(
    keys: Sequence[Hashable], children: Mapping[Any, Sequence[Hashable]]
) -> list[LaneRow]:
    """Git-log style lanes for ``keys`` in topological order (one lane per awaited child).

    Linear in nodes + edges (free lanes are reused lowest-first through a heap).
    """
    import heapq

    order = {k: i for i, k in enumerate(keys)}
    mask = 0  # bit per occupied lane
    where: dict[Hashable, int] = {}  # awaited child -> column
    free: list[int] = []
    top = 0
    rows: list[LaneRow] = []

    def take() -> int:
        nonlocal top
        if free:
            return heapq.heappop(free)
        top += 1
        return top - 1

    for key in keys:
        column = where.pop(key, None)
        from_above = column is not None
        if column is None:
            column = take()
        else:
            mask &= ~(1 << column)
        passing = mask
        kids = sorted((c for c in children.get(key, ()) if c in order), key=order.__getitem__)
        joins, forks = set(), set()
        continues = False
        for child in kids:
            if child in where:
                joins.add(where[child])
            elif not continues:
                continues = True
                where[child] = column
                mask |= 1 << column
            else:
                lane = take()
                where[child] = lane
                mask |= 1 << lane
                forks.add(lane)
        if not continues:
            heapq.heappush(free, column)
        rows.append(
            LaneRow(column, passing, frozenset(joins), frozenset(forks), continues, from_above)
        )
    return rows


def lane_gutter(row: LaneRow, width: int, glyph: str, status: str) -> Row:
    """The gutter of one navigator row, ``width`` lanes wide (2 characters per lane).

    A node whose lane lies beyond the gutter is drawn in the last lane, after a ``┄``.
    """
    column = min(row.column, width - 1)
    reach = [column, *(j for j in (*row.joins, *row.forks) if j < width)]
    lo, hi = min(reach), max(reach)
    cells: list[tuple[str, str]] = []
    for lane in range(width):
        if lane == column:
            cells.append((glyph, f"status.{status}"))
        elif lane in row.joins:
            cells.append(("┤" if lane > column else "├", "lane"))
        elif lane in row.forks:
            cells.append(("╮" if lane > column else "╭", "lane"))
        elif (row.passing >> lane) & 1:
            cells.append(("┼" if lo < lane < hi else "│", "lane"))
        else:
            cells.append(("─" if lo < lane < hi else " ", "lane"))
        cells.append(("─" if lo <= lane < hi else " ", "lane"))
    if row.column >= width:
        cells[2 * column - 1] = ("┄", "lane")
    elif row.passing >> width or any(j >= width for j in (*row.joins, *row.forks)):
        cells[-1] = ("┄", "lane")
    return _merge(cells)
