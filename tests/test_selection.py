"""AssetSelection's Python API: constructors, traversals, operators, checks, errors, values.

The expected sets are worked out by hand from Dagster 1.x's documented and implemented
semantics (``dagster/_core/definitions/asset_selection.py``) on the graph drawn below.
"""

from __future__ import annotations

import re

import pytest

from assettui.errors import DagsterInvalidSubsetError, SelectionError
from assettui.model.asset_graph import AssetGraph
from assettui.model.asset_key import AssetKey
from assettui.model.assets.checks import asset_check
from assettui.model.assets.decorator import asset, multi_asset
from assettui.model.assets.definition import AssetsDefinition
from assettui.model.assets.spec import AssetSpec
from assettui.model.results import AssetCheckKey
from assettui.model.selection.asset_selection import AssetSelection

# The shop graph (groups in brackets, * = external asset):
#
#   raw/orders ----> stg_orders ----.
#   raw/customers -> stg_customers -+-> orders_enriched -> revenue -> report
#   vendor_feed* -> raw/payments -> stg_payments -'          `-> churn
#                                `-> stg_refunds ------------------^ (revenue)
#   lonely
#
# [raw] raw/orders, raw/customers, raw/payments, vendor_feed*
# [staging] stg_orders, stg_customers, stg_payments + stg_refunds (one multi-asset, no subset)
# [marts] orders_enriched, revenue + churn (one multi-asset, can_subset), report, lonely


def build_shop() -> tuple[AssetGraph, dict[str, object]]:
    @asset(
        key_prefix="raw",
        group_name="raw",
        kinds={"python"},
        tags={"tier": "bronze"},
        owners=["team:ingest"],
    )
    def orders(): ...

    @asset(
        key_prefix="raw",
        group_name="raw",
        kinds={"python"},
        tags={"tier": "bronze", "pii": ""},
        owners=["team:ingest", "alice@example.com"],
    )
    def customers(): ...

    vendor_feed = AssetSpec(
        "vendor_feed", group_name="raw", tags={"tier": "bronze"}, owners=["alice@example.com"]
    )

    @asset(key_prefix="raw", group_name="raw", kinds={"sqlite"}, deps=[vendor_feed])
    def payments(): ...

    @asset(group_name="staging", kinds={"polars"}, tags={"tier": "silver"}, deps=[orders])
    def stg_orders(): ...

    @asset(
        group_name="staging", kinds={"polars"}, tags={"tier": "silver", "pii": ""}, deps=[customers]
    )
    def stg_customers(): ...

    @multi_asset(
        specs=[
            AssetSpec("stg_payments", deps=[payments], group_name="staging", kinds={"dbt"}),
            AssetSpec("stg_refunds", deps=[payments], group_name="staging", kinds={"dbt"}),
        ]
    )
    def stg_money(): ...

    @asset(
        group_name="marts",
        owners=["bob@example.com"],
        tags={"tier": "gold"},
        deps=[stg_orders, stg_customers, "stg_payments"],
    )
    def orders_enriched(): ...

    @multi_asset(
        specs=[
            AssetSpec("revenue", deps=["orders_enriched", "stg_refunds"], group_name="marts"),
            AssetSpec("churn", deps=["orders_enriched"], group_name="marts"),
        ],
        can_subset=True,
    )
    def metrics(): ...

    @asset(group_name="marts", kinds={"python"}, deps=["revenue"])
    def report(): ...

    @asset(group_name="marts")
    def lonely(): ...

    @asset_check(asset=orders)
    def orders_not_empty(): ...

    @asset_check(asset="orders_enriched")
    def enriched_unique(): ...

    @asset_check(asset=vendor_feed)
    def feed_fresh(): ...

    assets = [
        orders,
        customers,
        vendor_feed,
        payments,
        stg_orders,
        stg_customers,
        stg_money,
        orders_enriched,
        metrics,
        report,
        lonely,
    ]
    checks = [orders_not_empty, enriched_unique, feed_fresh]
    defs = {"stg_money": stg_money, "metrics": metrics, "enriched_unique": enriched_unique}
    return AssetGraph.from_assets(assets, checks), {**defs, "assets": assets}


GRAPH, DEFS = build_shop()
MATERIALIZABLE = {
    "raw/orders",
    "raw/customers",
    "raw/payments",
    "stg_orders",
    "stg_customers",
    "stg_payments",
    "stg_refunds",
    "orders_enriched",
    "revenue",
    "churn",
    "report",
    "lonely",
}
UPSTREAM_OF_REVENUE = {
    "revenue",
    "orders_enriched",
    "stg_refunds",
    "stg_orders",
    "stg_customers",
    "stg_payments",
    "raw/orders",
    "raw/customers",
    "raw/payments",
}


def names(selection: AssetSelection, **kwargs: bool) -> set[str]:
    return {k.to_user_string() for k in selection.resolve(GRAPH, **kwargs)}


def check_names(selection: AssetSelection) -> set[str]:
    return {k.name for k in selection.resolve_checks(GRAPH)}


S = AssetSelection

METHOD_CASES = [
    (S.all(), MATERIALIZABLE),
    (S.all(include_sources=True), MATERIALIZABLE | {"vendor_feed"}),
    (S.all(include_external_assets=True), MATERIALIZABLE | {"vendor_feed"}),
    (S.assets("raw/orders", "lonely"), {"raw/orders", "lonely"}),
    (S.assets(AssetKey(["raw", "orders"])), {"raw/orders"}),
    (S.assets("vendor_feed"), {"vendor_feed"}),  # named explicitly: external is fine
    (S.keys("raw/orders"), {"raw/orders"}),
    (S.keys(["raw", "orders"]), {"raw/orders"}),
    (S.key_prefixes("raw"), {"raw/orders", "raw/customers", "raw/payments"}),
    (S.key_prefixes(["raw", "orders"]), {"raw/orders"}),
    (S.key_prefixes("raw/orders"), set()),  # a string prefix is one key part, as in Dagster
    (S.groups("raw"), {"raw/orders", "raw/customers", "raw/payments"}),
    (
        S.groups("raw", include_sources=True),
        {"raw/orders", "raw/customers", "raw/payments", "vendor_feed"},
    ),
    (S.groups("nope"), set()),
    (S.tag("tier", "bronze"), {"raw/orders", "raw/customers"}),
    (S.tag("tier", "bronze", include_sources=True), {"raw/orders", "raw/customers", "vendor_feed"}),
    (S.tag("pii", ""), {"raw/customers", "stg_customers"}),
    (S.tag("tier", ""), set()),  # a key-only selection matches only key-only tags
    (S.tag_string("tier=silver"), {"stg_orders", "stg_customers"}),
    (S.tag_string("pii"), {"raw/customers", "stg_customers"}),
    (S.tag("dagster/kind/python", ""), {"raw/orders", "raw/customers", "report"}),
    (S.kind("dbt"), {"stg_payments", "stg_refunds"}),
    (S.kind(None), {"orders_enriched", "revenue", "churn", "lonely"}),
    (
        S.kind(None, include_sources=True),
        {"orders_enriched", "revenue", "churn", "lonely", "vendor_feed"},
    ),
    (S.owner("alice@example.com"), {"raw/customers", "vendor_feed"}),
    (S.owner("team:ingest"), {"raw/orders", "raw/customers"}),
    (S.assets("revenue").upstream(), UPSTREAM_OF_REVENUE),
    (S.assets("revenue").upstream(depth=1), {"revenue", "orders_enriched", "stg_refunds"}),
    (
        S.assets("revenue").upstream(depth=2),
        {
            "revenue",
            "orders_enriched",
            "stg_refunds",
            "stg_orders",
            "stg_customers",
            "stg_payments",
            "raw/payments",
        },
    ),
    (S.assets("revenue").upstream(depth=1, include_self=False), {"orders_enriched", "stg_refunds"}),
    (S.assets("revenue").upstream(depth=0), {"revenue"}),
    (S.assets("vendor_feed").upstream(), set()),  # upstream never returns external assets
    (S.assets("raw/payments").upstream(), {"raw/payments"}),
    (
        S.assets("raw/orders").downstream(),
        {"raw/orders", "stg_orders", "orders_enriched", "revenue", "churn", "report"},
    ),
    (S.assets("vendor_feed").downstream(depth=1), {"vendor_feed", "raw/payments"}),
    # include_self=False drops every selected asset, even one below another selected one
    (
        S.assets("raw/orders", "stg_orders").downstream(include_self=False),
        {"orders_enriched", "revenue", "churn", "report"},
    ),
    (S.all().roots(), {"raw/orders", "raw/customers", "raw/payments", "lonely"}),
    (S.all(include_sources=True).roots(), {"raw/orders", "raw/customers", "vendor_feed", "lonely"}),
    # roots/sinks look through unselected assets: report sits below raw/orders
    (S.assets("raw/orders", "orders_enriched", "report").roots(), {"raw/orders"}),
    (S.assets("raw/orders", "orders_enriched", "report").sinks(), {"report"}),
    (S.all().sinks(), {"churn", "report", "lonely"}),
    (S.assets("raw/orders", "stg_orders", "revenue").sinks(), {"revenue"}),
    (S.groups("staging").roots(), {"stg_orders", "stg_customers", "stg_payments", "stg_refunds"}),
    (S.assets("raw/orders").roots(), {"raw/orders"}),
    (S.assets("stg_payments").required_multi_asset_neighbors(), {"stg_payments", "stg_refunds"}),
    (S.assets("revenue").required_multi_asset_neighbors(), {"revenue"}),  # can_subset
    (S.assets("lonely").required_multi_asset_neighbors(), {"lonely"}),
    (S.all(include_sources=True).materializable(), MATERIALIZABLE),
    (S.assets("report").upstream_source_assets(), {"vendor_feed"}),
    (
        S.groups("raw") | S.groups("staging"),
        {
            "raw/orders",
            "raw/customers",
            "raw/payments",
            "stg_orders",
            "stg_customers",
            "stg_payments",
            "stg_refunds",
        },
    ),
    (S.all() & S.tag("tier", "gold"), {"orders_enriched"}),
    (
        S.all() - S.groups("marts") - S.groups("staging"),
        {"raw/orders", "raw/customers", "raw/payments"},
    ),
    (
        S.assets("revenue").upstream() & S.assets("raw/orders").downstream(),
        {"raw/orders", "stg_orders", "orders_enriched", "revenue"},
    ),
    (S.assets(), set()),
]


@pytest.mark.parametrize(
    ("selection", "expected"), METHOD_CASES, ids=[str(c[0]) for c in METHOD_CASES]
)
def test_method_api_resolves_like_dagster(selection: AssetSelection, expected: set[str]) -> None:
    assert names(selection) == expected


def test_assets_takes_definitions_with_all_their_keys() -> None:
    assert names(S.assets(DEFS["stg_money"])) == {"stg_payments", "stg_refunds"}
    assert names(S.assets(DEFS["metrics"], "lonely")) == {"revenue", "churn", "lonely"}


def test_resolve_accepts_a_list_of_assets() -> None:
    keys = S.groups("marts").resolve(DEFS["assets"])
    assert {k.to_user_string() for k in keys} == {
        "orders_enriched",
        "revenue",
        "churn",
        "report",
        "lonely",
    }


# ---- checks ------------------------------------------------------------------------------


def test_selecting_assets_selects_their_checks() -> None:
    assert check_names(S.all()) == {"orders_not_empty", "enriched_unique"}
    assert check_names(S.all(include_sources=True)) == {
        "orders_not_empty",
        "enriched_unique",
        "feed_fresh",
    }
    assert check_names(S.groups("raw")) == {"orders_not_empty"}
    assert check_names(S.assets("lonely")) == set()


def test_without_checks_keeps_assets_and_drops_checks() -> None:
    selection = S.groups("raw").without_checks()
    assert names(selection) == {"raw/orders", "raw/customers", "raw/payments"}
    assert check_names(selection) == set()


def test_check_only_selections_select_no_assets() -> None:
    key = AssetCheckKey(AssetKey("orders_enriched"), "enriched_unique")
    for selection in (
        S.checks_for_assets("orders_enriched"),
        S.checks(DEFS["enriched_unique"]),
        S.checks(key),
    ):
        assert names(selection) == set()
        assert check_names(selection) == {"enriched_unique"}
    assert check_names(S.all_asset_checks()) == {
        "orders_not_empty",
        "enriched_unique",
        "feed_fresh",
    }
    assert names(S.all_asset_checks()) == set()


def test_checks_combine_with_assets() -> None:
    selection = S.groups("marts") | S.checks_for_assets("raw/orders")
    assert names(selection) == {"orders_enriched", "revenue", "churn", "report", "lonely"}
    assert check_names(selection) == {"enriched_unique", "orders_not_empty"}
    assert check_names(S.all() - S.checks_for_assets("raw/orders")) == {"enriched_unique"}
    assert check_names(S.all() & S.all_asset_checks()) == {"orders_not_empty", "enriched_unique"}


def test_unknown_check_raises_unless_allowed() -> None:
    selection = S.checks(AssetCheckKey(AssetKey("orders_enriched"), "nope"))
    with pytest.raises(SelectionError, match="orders_enriched:nope"):
        selection.resolve_checks(GRAPH)
    assert selection.resolve_checks(GRAPH, allow_missing=True) == set()


# ---- unknown keys ------------------------------------------------------------------------


def test_unknown_key_raises_at_resolve_time_with_suggestions() -> None:
    selection = S.assets("revenu")  # building it does not look anything up
    with pytest.raises(DagsterInvalidSubsetError) as info:
        selection.resolve(GRAPH)
    message = str(info.value)
    assert "revenu" in message
    assert "Did you mean 'revenue'" in message


def test_unknown_key_inside_an_expression_raises_too() -> None:
    with pytest.raises(SelectionError, match="raw/order"):
        names(S.assets("raw/order").upstream() | S.groups("marts"))


def test_allow_missing_ignores_unknown_keys() -> None:
    assert names(S.assets("revenu", "revenue"), allow_missing=True) == {"revenue"}


# ---- values and text ---------------------------------------------------------------------


def test_selections_are_values() -> None:
    assert S.assets("a", "b") == S.keys("a", "b")
    assert S.groups("x") != S.groups("y")
    assert S.tag("k", "v") != S.tag("k", "v", include_sources=True)
    assert (S.groups("a") | S.groups("b")) | S.groups("c") == S.groups("a") | (
        S.groups("b") | S.groups("c")
    )
    assert S.assets("a").upstream(2) == S.assets("a").upstream(depth=2)
    assert S.assets("a").upstream() != S.assets("a").downstream()
    assert len({S.all(), S.all(), S.groups("g").roots(), S.groups("g").roots()}) == 2


@pytest.mark.parametrize(
    ("selection", "text"),
    [
        (S.all(), "*"),
        (S.assets("raw/orders"), 'key:"raw/orders"'),
        (S.groups("raw") | S.assets("lonely").upstream(2), 'group:"raw" or 2+key:"lonely"'),
        (
            (S.groups("a") | S.groups("b")) & S.tag("k", "v"),
            '(group:"a" or group:"b") and tag:"k"="v"',
        ),
        (S.all() - S.groups("marts"), 'not group:"marts"'),
        (S.groups("a") - S.groups("b"), 'group:"a" and not group:"b"'),
        (S.assets("a").downstream(include_self=False), 'key:"a"+ and not key:"a"'),
        ((S.assets("a") | S.assets("b")).upstream(), '+(key:"a" or key:"b")'),
        (S.kind("dbt").roots(), 'roots(kind:"dbt")'),
        (S.owner("o").sinks().downstream(1), 'sinks(owner:"o")+1'),
        (S.tag("pii", ""), 'tag:"pii"'),
        (S.groups("raw").without_checks(), 'group:"raw".without_checks()'),
    ],
)
def test_str_is_readable_selection_syntax(selection: AssetSelection, text: str) -> None:
    assert str(selection) == text


def test_str_round_trips_through_from_string() -> None:
    for selection, _ in METHOD_CASES:
        text = str(selection)
        if "AssetSelection." in text or re.search(r'[)"]\.\w+\(', text):
            continue  # no string syntax for this one (key_prefixes, materializable(), ...)
        if "include_sources=True" in repr(selection):
            continue  # the syntax has no include_sources: '*' is materializable assets only
        reparsed = S.from_string(text)
        assert reparsed.resolve(GRAPH, allow_missing=True) == selection.resolve(
            GRAPH, allow_missing=True
        ), text


# ---- coercion ----------------------------------------------------------------------------


def test_from_coercible() -> None:
    assert S.from_coercible(S.groups("raw")) == S.groups("raw")
    assert names(S.from_coercible('group:"raw"')) == {"raw/orders", "raw/customers", "raw/payments"}
    assert names(S.from_coercible(["lonely", "report+"])) == {"lonely", "report"}
    assert names(S.from_coercible([AssetKey("lonely"), AssetKey(["raw", "orders"])])) == {
        "lonely",
        "raw/orders",
    }
    assert names(S.from_coercible([DEFS["metrics"]])) == {"revenue", "churn"}
    assert names(S.from_coercible(AssetKey("lonely"))) == {"lonely"}
    assert names(S.from_coercible(DEFS["stg_money"])) == {"stg_payments", "stg_refunds"}
    assert names(S.from_coercible([])) == set()
    with pytest.raises(SelectionError, match="must be an AssetSelection"):
        S.from_coercible(42)


def test_operators_need_selections() -> None:
    with pytest.raises(SelectionError, match="both sides"):
        S.all() | "lonely"  # type: ignore[operator]


def test_bad_tag_string() -> None:
    with pytest.raises(SelectionError, match="at most one '='"):
        S.tag_string("a=b=c")


# ---- scale -------------------------------------------------------------------------------


def _wide_deep_graph(n: int) -> AssetGraph:
    """``n`` assets in 50 chains with cross links: deep (100 layers) and wide."""
    specs = []
    for i in range(n):
        deps = [f"a{i - 50}"] if i >= 50 else []
        if i >= 101 and i % 7 == 0:
            deps.append(f"a{i - 101}")
        specs.append(AssetSpec(f"a{i}", deps=deps, group_name=f"g{i % 3}", tags={"t": str(i % 5)}))
    defs = [
        AssetsDefinition(specs=(s,), node_name=s.key.path[0], compute_fn=lambda: None)
        for s in specs
    ]
    return AssetGraph.from_assets(defs)


def test_large_graph_resolves_traversals_roots_and_sinks() -> None:
    # A quadratic roots()/sinks() (one walk per selected asset) would take minutes here.
    graph = _wide_deep_graph(5000)
    selection = S.from_string(
        'roots(group:"g1") or sinks(+tag:t="3") or (key:"a2*"+ and not group:"g0")'
    )
    keys = selection.resolve(graph)
    assert AssetKey("a1") in keys  # a root of its chain, in group g1
    assert AssetKey("a4998") in keys  # the sink of a chain tagged 3
    everything = S.all().upstream().downstream().resolve(graph)
    assert len(everything) == 5000
    assert len(S.all().roots().resolve(graph)) == 50
    assert len(S.all().sinks().resolve(graph)) == 50
