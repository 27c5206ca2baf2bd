"""``AssetSelection.from_string``: Dagster's selection syntax, its older clause syntax, errors.

Expected sets are worked out by hand on the shop graph of ``test_selection.py`` from
Dagster's grammar (``AssetSelection.g4``) and its visitor: ``+`` without a number means every
layer, a number limits the depth; ``not x`` is ``*`` minus ``x``; ``key:`` matches by
wildcard (external assets too, unknown keys select nothing); a bare word is the older
syntax (one asset by key, which must exist).
"""

from __future__ import annotations

import pytest

from assettui.errors import SelectionError
from assettui.model.selection.asset_selection import AssetSelection

try:
    from test_selection import GRAPH, MATERIALIZABLE, UPSTREAM_OF_REVENUE
except ImportError:  # tests/ imported as a package
    from tests.test_selection import GRAPH, MATERIALIZABLE, UPSTREAM_OF_REVENUE

RAW = {"raw/orders", "raw/customers", "raw/payments"}
STAGING = {"stg_orders", "stg_customers", "stg_payments", "stg_refunds"}
MARTS = {"orders_enriched", "revenue", "churn", "report", "lonely"}
DOWN_OF_RAW_ORDERS = {"raw/orders", "stg_orders", "orders_enriched", "revenue", "churn", "report"}


def select(text: str, include_sources: bool = False) -> set[str]:
    selection = AssetSelection.from_string(text, include_sources=include_sources)
    return {k.to_user_string() for k in selection.resolve(GRAPH)}


STRING_CASES = [
    # keys
    ('key:"revenue"', {"revenue"}),
    ("key:revenue", {"revenue"}),
    ('key:"raw/orders"', {"raw/orders"}),
    ("key:raw/orders", {"raw/orders"}),
    ('key:"raw/*"', RAW),
    ("key:stg_*", STAGING),
    ('key:"*_*s"', {"stg_orders", "stg_customers", "stg_payments", "stg_refunds"}),
    ('key:"*"', MATERIALIZABLE | {"vendor_feed"}),  # a wildcard includes external assets
    ('key:"vendor_feed"', {"vendor_feed"}),
    ('key:"nope"', set()),  # unknown keys select nothing, as in Dagster
    # other attributes
    ('group:"raw"', RAW),
    ("group:marts", MARTS),
    ("group:<null>", set()),
    ('tag:"tier"="bronze"', {"raw/orders", "raw/customers"}),
    ("tag:tier=silver", {"stg_orders", "stg_customers"}),
    ("tag:pii", {"raw/customers", "stg_customers"}),  # key-only tag
    ("tag:tier", set()),  # tier always has a value
    ('kind:"dbt"', {"stg_payments", "stg_refunds"}),
    ("kind:python", {"raw/orders", "raw/customers", "report"}),
    ("kind:<null>", {"orders_enriched", "revenue", "churn", "lonely"}),
    ('owner:"alice@example.com"', {"raw/customers", "vendor_feed"}),
    ('owner:"team:ingest"', {"raw/orders", "raw/customers"}),
    # all, not, and, or, parentheses, precedence
    ("*", MATERIALIZABLE),
    ("not group:marts", RAW | STAGING),
    ("NOT group:marts AND NOT group:raw", STAGING),
    ("group:raw or group:staging", RAW | STAGING),
    ("group:raw OR kind:dbt", RAW | {"stg_payments", "stg_refunds"}),
    ("tag:pii and group:staging", {"stg_customers"}),
    # 'and' binds tighter than 'or'; 'not' tighter than 'and'
    ("group:raw or group:staging and kind:dbt", RAW | {"stg_payments", "stg_refunds"}),
    ("(group:raw or group:staging) and kind:polars", {"stg_orders", "stg_customers"}),
    ("not group:raw and not group:staging", MARTS),
    ("not (group:raw or group:staging)", MARTS),
    ("not not group:raw", RAW),
    ("* and not kind:<null>", MATERIALIZABLE - {"orders_enriched", "revenue", "churn", "lonely"}),
    # traversals: '+' alone is every layer, N+ is N layers
    ("+key:revenue", UPSTREAM_OF_REVENUE),
    ("1+key:revenue", {"revenue", "orders_enriched", "stg_refunds"}),
    (
        "2+key:revenue",
        {"revenue", "orders_enriched", "stg_refunds"}
        | {"stg_orders", "stg_customers", "stg_payments", "raw/payments"},
    ),
    ("0+key:revenue", {"revenue"}),
    ("key:raw/orders+", DOWN_OF_RAW_ORDERS),
    ("key:raw/orders+1", {"raw/orders", "stg_orders"}),
    ("key:raw/orders+2", {"raw/orders", "stg_orders", "orders_enriched"}),
    (
        "+key:stg_orders+",
        {"raw/orders", "stg_orders", "orders_enriched", "revenue", "churn", "report"},
    ),
    (
        "1+key:orders_enriched+1",
        {"stg_orders", "stg_customers", "stg_payments", "orders_enriched", "revenue", "churn"},
    ),
    ("+key:vendor_feed", set()),  # upstream never returns external assets
    ("key:vendor_feed+1", {"vendor_feed", "raw/payments"}),
    ("+(key:report or key:churn)", UPSTREAM_OF_REVENUE | {"report", "churn"}),
    ("+group:staging", STAGING | RAW),
    ("group:staging+1", STAGING | {"orders_enriched", "revenue"}),
    # the path between two assets (Dagster's documented example)
    (
        "key:raw/orders+ and +key:report",
        {"raw/orders", "stg_orders", "orders_enriched", "revenue", "report"},
    ),
    ("+key:revenue and not key:revenue", UPSTREAM_OF_REVENUE - {"revenue"}),
    # functions
    ("roots(*)", {"raw/orders", "raw/customers", "raw/payments", "lonely"}),
    ("sinks(*)", {"churn", "report", "lonely"}),
    ("roots(+key:revenue)", RAW),
    ("sinks(group:staging)", STAGING),
    ("roots(key:raw/orders or key:report)", {"raw/orders"}),  # report is below raw/orders
    ("sinks(key:raw/orders or key:report)", {"report"}),
    ("roots(group:marts)+1", {"orders_enriched", "revenue", "churn", "lonely"}),
    ("sinks(+key:revenue)", {"revenue"}),
    # whitespace is free
    ("  group:raw\tor\n  group:staging  ", RAW | STAGING),
    ("(group:raw)", RAW),
    ("((((group:raw))))", RAW),
    # Dagster's older clause syntax (used when the new syntax does not parse)
    ("revenue", {"revenue"}),
    ("raw/orders", {"raw/orders"}),
    ("*revenue", UPSTREAM_OF_REVENUE),
    ("+revenue", {"revenue", "orders_enriched", "stg_refunds"}),
    (
        "++revenue",
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
    ("raw/orders*", DOWN_OF_RAW_ORDERS),
    ("raw/orders+", {"raw/orders", "stg_orders"}),
    ("*stg_orders*", {"raw/orders", "stg_orders", "orders_enriched", "revenue", "churn", "report"}),
    (
        "+orders_enriched+",
        {"stg_orders", "stg_customers", "stg_payments", "orders_enriched", "revenue", "churn"},
    ),
    ("tag:pii", {"raw/customers", "stg_customers"}),
    ("tag:tier=data-eng", set()),  # '-' is not valid unquoted: Dagster reads it as tag_string
    # comma-separated lists (assettui extension, as Dagster's CLI --select)
    ("revenue, lonely", {"revenue", "lonely"}),
    ("group:raw, +key:stg_orders", RAW | {"stg_orders"}),
    ('key:"a,b", lonely', {"lonely"}),  # commas inside quotes do not split
]


@pytest.mark.parametrize(("text", "expected"), STRING_CASES, ids=[c[0] for c in STRING_CASES])
def test_string_selects_like_dagster(text: str, expected: set[str]) -> None:
    assert select(text) == expected


def test_include_sources_applies_to_all_not_and_attributes() -> None:
    everything = MATERIALIZABLE | {"vendor_feed"}
    assert select("*", include_sources=True) == everything
    assert select("group:raw", include_sources=True) == RAW | {"vendor_feed"}
    assert select('tag:"tier"="bronze"', include_sources=True) == {
        "raw/orders",
        "raw/customers",
        "vendor_feed",
    }
    assert select("not group:marts", include_sources=True) == RAW | STAGING | {"vendor_feed"}
    assert select("roots(*)", include_sources=True) == {
        "raw/orders",
        "raw/customers",
        "vendor_feed",
        "lonely",
    }


def test_string_builds_the_same_selection_as_the_methods() -> None:
    S = AssetSelection
    assert S.from_string('group:"raw"') == S.groups("raw")
    assert S.from_string("tag:k=v") == S.tag("k", "v")
    assert S.from_string("kind:dbt") == S.kind("dbt")
    assert S.from_string("2+group:g") == S.groups("g").upstream(depth=2)
    assert S.from_string("group:g+") == S.groups("g").downstream()
    assert S.from_string("+group:g+1") == S.groups("g").upstream() | S.groups("g").downstream(1)
    assert S.from_string("not group:g") == S.all() - S.groups("g")
    assert S.from_string("group:a and group:b or group:c") == (
        S.groups("a") & S.groups("b")
    ) | S.groups("c")
    assert S.from_string("sinks(group:g)") == S.groups("g").sinks()
    assert S.from_string("*a") == S.assets("a").upstream()
    assert S.from_string("a++") == S.assets("a").downstream(2)
    assert S.from_string("a") == S.assets("a")


def test_bare_unknown_key_raises_with_a_suggestion_when_resolved() -> None:
    selection = AssetSelection.from_string("revenu")
    with pytest.raises(SelectionError, match="Did you mean 'revenue'"):
        selection.resolve(GRAPH)


# ---- errors ------------------------------------------------------------------------------

ERROR_CASES = [
    ("key:a and )", 11, "Unexpected ')'"),
    ("key:my-asset", 7, "Unexpected character '-'"),
    ("(key:a", 7, "Missing ')'"),
    ("(key:a key:b)", 8, "Unexpected 'key'"),
    ("key:a key:b", 7, "Unexpected 'key'"),
    ("key:", 5, "Unexpected end of selection"),
    ("key:a and", 10, "Unexpected end of selection"),
    ("group:", 7, "Unexpected end of selection"),
    ('tag:"k"=', 9, "Unexpected end of selection"),
    ("foo:x", 1, "Unknown attribute 'foo:'"),
    ("status:missing", 1, "Unsupported attribute 'status:'"),
    ("key:a or code_location:x", 10, "Unsupported attribute 'code_location:'"),
    ("key:a or job:j", 10, "Unsupported attribute 'job:'"),
    ('key:"abc', 5, "Unterminated string"),
    ("key:a++", 7, "Unexpected '+'"),
    ("+*", 2, "Unexpected '*'"),
    ("2key:a", 1, "Unexpected '2'"),
    ("roots(key:a", 12, "Missing ')'"),
    ("a and b", 1, "Unexpected 'a'"),
    ("revenue, ", 9, "Empty item"),
    ("revenue, key:(", 14, "Unexpected '('"),
    ("   ", 1, "Empty selection"),
    ("key:a ! key:b", 7, "Unexpected character '!'"),
]


@pytest.mark.parametrize(
    ("text", "column", "headline"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES]
)
def test_errors_point_at_the_column(text: str, column: int, headline: str) -> None:
    with pytest.raises(SelectionError) as info:
        AssetSelection.from_string(text)
    message = str(info.value)
    first, shown, caret = message.splitlines()[:3]
    assert first == f"{headline} at column {column}:"
    assert shown == "  " + text
    assert caret == " " * (column + 1) + "^"


def test_error_message_reads_well() -> None:
    with pytest.raises(SelectionError) as info:
        AssetSelection.from_string("key:a and )")
    assert str(info.value) == (
        "Unexpected ')' at column 11:\n"
        "  key:a and )\n"
        "            ^\n"
        "Expected an attribute (key:, group:, tag:, kind:, owner:), roots(...), sinks(...), "
        "'(' or '*'."
    )


def test_deep_nesting_is_a_selection_error() -> None:
    with pytest.raises(SelectionError, match="nested too deeply"):
        AssetSelection.from_string("(" * 5000 + "key:a" + ")" * 5000)
    assert AssetSelection.from_string("(" * 50 + "group:raw" + ")" * 50).resolve(GRAPH)


def test_non_string_is_a_selection_error() -> None:
    with pytest.raises(SelectionError, match="must be a str"):
        AssetSelection.from_string(42)  # type: ignore[arg-type]


def test_tag_string_fallback_with_two_equals_fails() -> None:
    with pytest.raises(SelectionError, match="at most one '='"):
        AssetSelection.from_string("tag:a=b=c")
