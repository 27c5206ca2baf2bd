"""Properties of selection strings: any text fails only with SelectionError, and generated
expressions resolve as a brute-force reference interpreter of Dagster's semantics says."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings, strategies as st

from assettui.errors import SelectionError
from assettui.model.asset_graph import AssetGraph
from assettui.model.asset_key import AssetKey
from assettui.model.assets.definition import AssetsDefinition, external_assets_definition
from assettui.model.assets.spec import AssetSpec
from assettui.model.selection.asset_selection import AssetSelection

# ---- random graphs -----------------------------------------------------------------------


@dataclass(frozen=True)
class Info:
    """What the reference interpreter knows of one asset."""

    name: str
    parents: frozenset[str]
    external: bool
    group: str
    tags: tuple[tuple[str, str], ...]
    kind: str | None
    owner: str | None


@st.composite
def graphs(draw: st.DrawFn) -> tuple[AssetGraph, dict[str, Info]]:
    n = draw(st.integers(1, 10))
    names = [("p/" if draw(st.booleans()) else "") + f"a{i}" for i in range(n)]
    infos: dict[str, Info] = {}
    for i, name in enumerate(names):
        parents = draw(st.sets(st.sampled_from(names[:i]), max_size=3)) if i else set()
        tag = draw(st.sampled_from([(), (("t", "x"),), (("t", "y"),), (("t", ""),)]))
        infos[name] = Info(
            name=name,
            parents=frozenset(parents),
            external=draw(st.integers(0, 4)) == 0,
            group=draw(st.sampled_from(["g0", "g1", "g2"])),
            tags=tag,
            kind=draw(st.sampled_from([None, "k0", "k1"])),
            owner=draw(st.sampled_from([None, "o0", "o1"])),
        )
    defs = []
    for info in infos.values():
        spec = AssetSpec(
            AssetKey.from_user_string(info.name),
            deps=[AssetKey.from_user_string(p) for p in sorted(info.parents)],
            group_name=info.group,
            tags=dict(info.tags),
            kinds=[info.kind] if info.kind else [],
            owners=[info.owner] if info.owner else [],
        )
        if info.external:
            defs.append(external_assets_definition(spec))
        else:
            defs.append(
                AssetsDefinition(specs=(spec,), node_name=f"n{len(defs)}", compute_fn=lambda: None)
            )
    return AssetGraph.from_assets(defs), infos


# ---- expressions: text and reference meaning ---------------------------------------------

Expr = tuple  # ("attr", kind, ...), ("not", e), ("and", a, b), ("up"/"down", depth, e), ...


def attributes() -> st.SearchStrategy[Expr]:
    return st.one_of(
        st.tuples(
            st.just("key"),
            st.sampled_from(["a0", "a1", "a3", "p/a2", "p/*", "*1", "a*", "*", "zz"]),
        ),
        st.tuples(st.just("group"), st.sampled_from(["g0", "g1", "g2", "gx"])),
        st.tuples(st.just("tag"), st.sampled_from(["t", "u"]), st.sampled_from([None, "x", "y"])),
        st.tuples(st.just("kind"), st.sampled_from(["k0", "k1", "k9"])),
        st.tuples(st.just("owner"), st.sampled_from(["o0", "o1"])),
        st.just(("all",)),
    )


def expressions() -> st.SearchStrategy[Expr]:
    depth = st.one_of(st.none(), st.integers(0, 3))
    return st.recursive(
        attributes(),
        lambda inner: st.one_of(
            st.tuples(st.just("not"), inner),
            st.tuples(st.sampled_from(["and", "or"]), inner, inner),
            st.tuples(st.sampled_from(["up", "down"]), depth, inner),
            st.tuples(st.just("both"), depth, depth, inner),
            st.tuples(st.sampled_from(["roots", "sinks"]), inner),
        ),
        max_leaves=8,
    )


def render(e: Expr, quote: bool) -> str:
    """The expression as text; operands of traversals and operators get parentheses."""
    kind = e[0]
    if kind == "all":
        return "*"
    if kind == "key":
        return f'key:"{e[1]}"' if quote or e[1].startswith("*") else f"key:{e[1]}"
    if kind in ("group", "kind", "owner"):
        return f'{kind}:"{e[1]}"' if quote else f"{kind}:{e[1]}"
    if kind == "tag":
        name = f'"{e[1]}"' if quote else e[1]
        return f"tag:{name}" if e[2] is None else f'tag:{name}="{e[2]}"'
    if kind == "not":
        return f"not ({render(e[1], quote)})"
    if kind in ("and", "or"):
        return f"({render(e[1], quote)}) {kind.upper() if quote else kind} ({render(e[2], quote)})"
    if kind in ("roots", "sinks"):
        return f"{kind}({render(e[1], quote)})"
    up = "" if kind == "down" else f"{'' if e[1] is None else e[1]}+"
    down_depth = e[2] if kind == "both" else e[1]
    down = "" if kind == "up" else f"+{'' if down_depth is None else down_depth}"
    return f"{up}({render(e[-1], quote)}){down}"


def walk(infos: dict[str, Info], start: set[str], depth: int | None, upward: bool) -> set[str]:
    """Brute force: add parents (or children) layer by layer."""
    found = set(start)
    layer = set(start)
    steps = 0
    while layer and (depth is None or steps < depth):
        if upward:
            nxt = {p for k in layer for p in infos[k].parents}
        else:
            nxt = {c for c, info in infos.items() if info.parents & layer}
        layer = nxt - found
        found |= nxt
        steps += 1
    return found


def meaning(e: Expr, infos: dict[str, Info]) -> set[str]:
    materializable = {k for k, i in infos.items() if not i.external}
    kind = e[0]
    if kind == "all":
        return materializable
    if kind == "key":
        pattern = re.compile("^" + re.escape(e[1]).replace("\\*", ".*") + "$")
        return {k for k in infos if pattern.match(k)}
    if kind == "group":
        return {k for k in materializable if infos[k].group == e[1]}
    if kind == "tag":
        return {k for k in materializable if dict(infos[k].tags).get(e[1]) == (e[2] or "")}
    if kind == "kind":
        return {k for k in materializable if infos[k].kind == e[1]}
    if kind == "owner":
        return {k for k in infos if infos[k].owner == e[1]}
    if kind == "not":
        return materializable - meaning(e[1], infos)
    if kind == "and":
        return meaning(e[1], infos) & meaning(e[2], infos)
    if kind == "or":
        return meaning(e[1], infos) | meaning(e[2], infos)
    if kind in ("roots", "sinks"):
        inner = meaning(e[1], infos)
        upward = kind == "roots"
        return {k for k in inner if not (walk(infos, {k}, None, upward) - {k}) & inner}
    inner = meaning(e[-1], infos)
    up = walk(infos, inner, e[1], True) & materializable if kind in ("up", "both") else set()
    down_depth = e[2] if kind == "both" else e[1]
    down = walk(infos, inner, down_depth, False) if kind in ("down", "both") else set()
    return up | down


def keys_of(graph: AssetGraph, selection: AssetSelection) -> set[str]:
    return {k.to_user_string() for k in selection.resolve(graph)}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), expressions(), st.booleans())
def test_expressions_resolve_as_the_reference_says(
    graph_and_infos: tuple[AssetGraph, dict[str, Info]], expr: Expr, quote: bool
) -> None:
    graph, infos = graph_and_infos
    text = render(expr, quote)
    selection = AssetSelection.from_string(text)
    assert keys_of(graph, selection) == meaning(expr, infos), text
    # str() gives back the syntax, and it means the same
    assert keys_of(graph, AssetSelection.from_string(str(selection))) == meaning(expr, infos)


# ---- arbitrary text ----------------------------------------------------------------------

WORDS = [
    "key", "group", "tag", "kind", "owner", "status", "roots", "sinks", "and", "or", "not",
    "AND", "a0", "p/a2", "<null>", "a*",
]  # fmt: skip
PIECES = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(list(':"()+*=, 0123456789-/\t!<>')),
    st.text(max_size=3),
)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.lists(PIECES, max_size=14).map("".join))
def test_any_text_fails_only_with_selection_error(
    graph_and_infos: tuple[AssetGraph, dict[str, Info]], text: str
) -> None:
    graph, infos = graph_and_infos
    try:
        selection = AssetSelection.from_string(text)
    except SelectionError as error:
        assert str(error)
        return
    try:
        keys = selection.resolve(graph)
        selection.resolve_checks(graph)
    except SelectionError:
        return  # an older-syntax key that is not defined
    assert {k.to_user_string() for k in keys} <= set(infos)
    str(selection)  # always renders


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_unicode_text_fails_only_with_selection_error(text: str) -> None:
    try:
        AssetSelection.from_string(text)
    except SelectionError as error:
        lines = str(error).splitlines()
        if " at column " in lines[0]:
            column = int(lines[0].rsplit("column ", 1)[1].rstrip(":"))
            assert lines[2].index("^") == column + 1  # the caret sits under that column
