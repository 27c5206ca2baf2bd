"""The asset graph and load-time validation messages."""

from __future__ import annotations

import pytest

import assettui as dg
from assettui.model.validation import find_problems


def _chain():
    @dg.asset
    def a():
        return 1

    @dg.asset
    def b(a):
        return a

    @dg.asset
    def c(b):
        return b

    @dg.asset
    def d(a):
        return a

    return [a, b, c, d]


def test_topological_order_roots_sinks_and_depth() -> None:
    graph = dg.Definitions(assets=_chain()).resolve_asset_graph()
    order = [k.to_user_string() for k in graph.toposorted_asset_keys]
    assert order.index("a") < order.index("b") < order.index("c")
    assert graph.root_keys == {dg.AssetKey("a")}
    assert graph.sink_keys == {dg.AssetKey("c"), dg.AssetKey("d")}
    assert graph.downstream([dg.AssetKey("a")], depth=1) == {dg.AssetKey(k) for k in "abd"}
    assert graph.upstream([dg.AssetKey("c")]) == {dg.AssetKey(k) for k in "abc"}
    assert [len(level) for level in graph.toposorted_asset_keys_by_level()] == [1, 2, 1]


def test_cycle_is_reported_with_its_path() -> None:
    @dg.asset
    def x(z):
        return z

    @dg.asset
    def y(x):
        return x

    @dg.asset
    def z(y):
        return y

    with pytest.raises(dg.DagsterInvalidDefinitionError, match=r"cycle: .*x -> y -> z -> x"):
        dg.Definitions.validate_loadable(dg.Definitions(assets=[x, y, z]))


def test_duplicate_keys_name_both_definitions() -> None:
    def make():
        @dg.asset(name="dup")
        def first():
            return 1

        return first

    one, two = make(), make()
    problems = find_problems(dg.Definitions(assets=[one, two]))
    assert len(problems) == 1
    assert "Duplicate asset key 'dup'" in problems[0]
    assert "test_model_graph_validation.py:" in problems[0]


def test_unknown_upstream_suggests_close_matches() -> None:
    @dg.asset
    def orders():
        return 1

    @dg.asset
    def report(orderz):
        return orderz

    with pytest.raises(dg.DagsterInvalidDefinitionError) as info:
        dg.Definitions.validate_loadable(dg.Definitions(assets=[orders, report]))
    message = str(info.value)
    assert "'report'" in message and "'orderz'" in message
    assert "Did you mean 'orders'?" in message


class Warehouse(dg.ConfigurableResource):
    dsn: str = "x"


def test_check_on_unknown_asset_and_missing_resource() -> None:
    @dg.asset
    def a(warehouse: Warehouse):
        return 1

    @dg.asset_check(asset="aa")
    def c():
        return dg.AssetCheckResult(passed=True)

    problems = find_problems(dg.Definitions(assets=[a], asset_checks=[c]))
    text = "\n".join(problems)
    assert "Check 'c'" in text and "'aa'" in text and "Did you mean 'a'?" in text
    assert "needs resource 'warehouse'" in text


def test_valid_definitions_pass() -> None:
    dg.Definitions.validate_loadable(dg.Definitions(assets=_chain()))
