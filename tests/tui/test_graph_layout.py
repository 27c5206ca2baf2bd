"""Layered layout and lane navigator: pure text layout of a DAG."""

from __future__ import annotations

import random

from hypothesis import given, settings, strategies as st

from assettui.tui.layout.graph import (
    SLOT_HEIGHT,
    NodeLabel,
    assign_layers,
    lane_gutter,
    lane_layout,
    layered_layout,
)


def _label(key) -> NodeLabel:
    return NodeLabel(str(key), "group", "●", "fresh")


def _text(layout, y: int) -> str:
    return "".join(t for t, _ in layout.render_row(y, 0, layout.width, _label))


def _random_dag(n: int, seed: int) -> tuple[list[str], dict[str, list[str]]]:
    rng = random.Random(seed)
    keys = [f"n{i}" for i in range(n)]
    parents = {k: rng.sample(keys[:i], min(i, rng.randint(0, 3))) for i, k in enumerate(keys)}
    return keys, parents


def test_layers_are_longest_paths_from_roots():
    parents = {"b": ["a"], "c": ["a", "b"], "d": []}
    assert assign_layers(["a", "b", "c", "d"], parents) == {"a": 0, "b": 1, "c": 2, "d": 0}


def test_chain_draws_boxes_and_arrows_on_one_row():
    layout = layered_layout(["a", "b", "c"], {"b": ["a"], "c": ["b"]}, {k: k for k in "abc"})
    title_row = _text(layout, 1)
    assert title_row.count("▶") == 2
    assert "● a" in title_row and "● c" in title_row
    assert _text(layout, 0).startswith("╭")
    assert layout.position == {"a": (0, 0), "b": (1, 0), "c": (2, 0)}


def test_long_edges_pass_through_the_middle_layer():
    layout = layered_layout(["a", "b", "c"], {"b": ["a"], "c": ["a", "b"]}, {k: k for k in "abc"})
    assert len(layout.edges) == 3
    # every target has an arrow just left of its title row; edges into one target share it
    expected = {(layout.boxes[k].x - 1, layout.boxes[k].y + 1) for k in ("b", "c")}
    assert set(layout.arrows) == expected
    assert "─" in _text(layout, 1)[layout.boxes["b"].x : layout.boxes["b"].x + 3] or any(
        "─" in _text(layout, y) for y in range(layout.height)
    )


def _crossings(layout, parents) -> int:
    pos = layout.position
    segments = [(pos[p][1], pos[c][1], pos[p][0]) for c, ps in parents.items() for p in ps]
    count = 0
    for i, (a1, b1, l1) in enumerate(segments):
        for a2, b2, l2 in segments[i + 1 :]:
            if l1 == l2 and (a1 - a2) * (b1 - b2) < 0:
                count += 1
    return count


def test_barycenter_ordering_removes_an_avoidable_crossing():
    # a1 -> b2, a2 -> b1: drawn in input order the edges cross; reordering fixes it.
    keys = ["a1", "a2", "b1", "b2"]
    parents = {"b1": ["a2"], "b2": ["a1"]}
    layout = layered_layout(keys, parents, {k: k for k in keys})
    assert _crossings(layout, parents) == 0


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=1, max_value=40), st.integers(min_value=0, max_value=10_000))
def test_boxes_never_overlap_and_rows_have_full_width(n, seed):
    keys, parents = _random_dag(n, seed)
    layout = layered_layout(keys, parents, {k: k for k in keys})
    seen = {(box.x, box.y) for box in layout.boxes.values()}
    assert len(seen) == len(keys)
    for (_layer, slot), key in zip(layout.position.values(), layout.position, strict=True):
        assert layout.boxes[key].y == slot * SLOT_HEIGHT
    for y in range(0, layout.height, 3):
        assert len(_text(layout, y)) == layout.width


def test_render_row_crops_to_the_visible_columns():
    keys, parents = _random_dag(30, 1)
    layout = layered_layout(keys, parents, {k: k for k in keys})
    full = _text(layout, 1)
    part = "".join(t for t, _ in layout.render_row(1, 5, 25, _label))
    assert part == full[5:25]


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=1, max_value=60), st.integers(min_value=0, max_value=10_000))
def test_lanes_are_consistent(n, seed):
    keys, parents = _random_dag(n, seed)
    children: dict[str, list[str]] = {}
    for child, ps in parents.items():
        for p in ps:
            children.setdefault(p, []).append(child)
    rows = lane_layout(keys, children)
    assert len(rows) == len(keys)
    for key, row in zip(keys, rows, strict=True):
        assert not (row.passing >> row.column) & 1  # no lane passes through the node itself
        assert row.from_above == bool(parents[key])  # a node with parents is reached by a lane
        assert not row.joins & row.forks
        gutter = "".join(t for t, _ in lane_gutter(row, 8, "●", "fresh"))
        assert len(gutter) == 16


def test_lane_layout_is_linear_enough_for_five_thousand_assets():
    keys = [f"a{i}" for i in range(5000)]
    children = {f"a{i}": [f"a{j}" for j in (i + 1, i * 2, i + 37) if j < 5000] for i in range(5000)}
    rows = lane_layout(keys, children)
    assert len(rows) == 5000
    # lanes may outgrow the gutter; every node still shows its glyph in it
    for row in rows[::97]:
        assert "●" in "".join(t for t, _ in lane_gutter(row, 12, "●", "fresh"))


_HEAVY_DIRECTIONS = {
    "┃": "NS", "━": "EW", "┏": "SE", "┓": "SW", "┗": "NE", "┛": "NW",
    "┣": "NSE", "┫": "NSW", "┳": "EWS", "┻": "EWN", "╋": "NESW",
}  # fmt: skip
_STEP = {"N": (0, -1), "S": (0, 1), "E": (1, 0), "W": (-1, 0)}
_OPPOSITE = {"N": "S", "S": "N", "E": "W", "W": "E"}


def _lit_paths(layout, selected) -> set[tuple[str, str]]:
    """The (source, target) pairs the heavy drawing connects, read back from the text only."""
    from assettui.tui.layout.graph import ATTACH_ROW

    lit = {i for i, (p, c) in enumerate(layout.edges) if selected in (p, c)}
    grid: dict[tuple[int, int], str] = {}
    for y in range(layout.height):
        x = 0
        for text, role in layout.render_row(y, 0, layout.width, _label, selected, lit_edges=lit):
            for ch in text:
                if role == "edge.lit":
                    grid[(x, y)] = "A" if ch == "▶" else _HEAVY_DIRECTIONS[ch]
                x += 1
    starts = {(b.x + b.width, b.y + ATTACH_ROW): k for k, b in layout.boxes.items()}
    ends = {(b.x - 1, b.y + ATTACH_ROW): k for k, b in layout.boxes.items()}
    pairs, seen = set(), set()
    for cell in grid:
        if cell in seen:
            continue
        component, todo = set(), [cell]
        while todo:
            here = todo.pop()
            if here in component:
                continue
            component.add(here)
            directions = "EW" if grid[here] == "A" else grid[here]
            for d in directions:
                dx, dy = _STEP[d]
                there = (here[0] + dx, here[1] + dy)
                if there in grid and (grid[there] == "A" or _OPPOSITE[d] in grid[there]):
                    todo.append(there)
        seen |= component
        sources = {starts[c] for c in component if c in starts}
        targets = {ends[c] for c in component if c in ends and grid[c] == "A"}
        pairs |= {(s, t) for s in sources for t in targets}
    return pairs


@settings(max_examples=60, deadline=None)
@given(st.integers(3, 14), st.integers(0, 10_000))
def test_the_selected_assets_lit_paths_are_exactly_its_true_edges(n: int, seed: int) -> None:
    keys, parents = _random_dag(n, seed)
    layout = layered_layout(keys, parents, {k: k for k in keys})
    for selected in keys:
        true_edges = {(p, selected) for p in parents[selected]}
        true_edges |= {(k, c) for c in keys for k in parents[c] if k == selected}
        assert _lit_paths(layout, selected) == true_edges, selected


def test_shared_trunks_of_other_assets_do_not_join_the_selected_assets_edges() -> None:
    """The sample project's shape: a fan-out trunk next to unrelated edges."""
    parents = {
        "clean_customers": ["raw_customers"], "clean_products": ["raw_products"],
        "clean_orders": ["raw_orders", "clean_products"],
        "daily_revenue": ["clean_orders"], "customer_ltv": ["clean_orders", "clean_customers"],
        "top_products": ["clean_orders", "clean_products"],
        "warehouse": ["clean_customers"],
    }  # fmt: skip
    keys = ["raw_customers", "raw_orders", "raw_products", "clean_customers",
            "clean_products", "clean_orders", "warehouse", "daily_revenue",
            "customer_ltv", "top_products"]  # fmt: skip
    layout = layered_layout(keys, {k: parents.get(k, []) for k in keys}, {k: k for k in keys})
    assert _lit_paths(layout, "raw_orders") == {("raw_orders", "clean_orders")}
    assert _lit_paths(layout, "clean_products") == {
        ("raw_products", "clean_products"), ("clean_products", "clean_orders"),
        ("clean_products", "top_products"),
    }  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(st.integers(3, 14), st.integers(0, 10_000), st.integers(2, 4))
def test_groups_get_framed_bands_and_lit_paths_stay_true(n: int, seed: int, count: int) -> None:
    keys, parents = _random_dag(n, seed)
    groups = {k: f"g{random.Random(seed + i).randrange(count)}" for i, k in enumerate(keys)}
    layout = layered_layout(keys, parents, {k: k for k in keys}, groups=groups)
    if len(set(groups.values())) > 1:
        assert len(layout.frames) == len(set(groups.values()))
        for frame in layout.frames:  # each frame holds its group's boxes and no other box
            for key, box in layout.boxes.items():
                inside = (
                    frame.x0 < box.x
                    and box.x + box.width <= frame.x1
                    and (frame.y0 < box.y < frame.y1)
                )
                assert inside == (groups[key] == frame.label), (key, frame)
    for selected in keys:
        true_edges = {(p, selected) for p in parents[selected]}
        true_edges |= {(k, c) for c in keys for k in parents[c] if k == selected}
        assert _lit_paths(layout, selected) == true_edges, selected


def test_a_group_frame_is_drawn_with_its_label():
    layout = layered_layout(
        ["a", "b", "c"], {"b": ["a"], "c": ["a"]}, {k: k for k in "abc"},
        groups={"a": "raw", "b": "raw", "c": "marts"},
    )  # fmt: skip
    text = "\n".join(_text(layout, y) for y in range(layout.height))
    assert "╭ raw ┄" in text.replace("┄ raw", " raw") or " raw " in text
    assert " marts " in text and "╰" in text
