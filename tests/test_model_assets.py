"""The declarative model: @asset, @multi_asset, specs, checks and Dagster's attributes."""

from __future__ import annotations

import pytest

import assettui as dg


def test_asset_key_forms() -> None:
    assert dg.AssetKey("a") == dg.AssetKey(["a"])
    key = dg.AssetKey.from_user_string("raw/orders")
    assert key.path == ("raw", "orders")
    assert key.to_user_string() == "raw/orders"
    assert key.with_prefix("db") == dg.AssetKey(["db", "raw", "orders"])
    assert dg.AssetKey.from_coercible(["x", "y"]) == dg.AssetKey(["x", "y"])


def test_asset_attributes_follow_dagster() -> None:
    @dg.asset(
        group_name="raw",
        metadata={"owner_note": "x"},
        tags={"tier": "gold"},
        kinds={"polars"},
        owners=["team:data"],
        code_version="3",
        key_prefix=["shop"],
    )
    def orders() -> list[int]:
        """Orders from the shop."""
        return [1]

    assert orders.key == dg.AssetKey(["shop", "orders"])
    assert orders.keys == {orders.key}
    assert orders.group_names_by_key == {orders.key: "raw"}
    assert orders.descriptions_by_key[orders.key] == "Orders from the shop."
    assert orders.code_versions_by_key[orders.key] == "3"
    assert orders.tags_by_key[orders.key] == {"tier": "gold"}
    assert orders.op.name == "shop__orders"
    assert orders.specs_by_key[orders.key].kinds == {"polars"}


def test_inputs_from_parameter_names_ins_and_deps() -> None:
    @dg.asset
    def a() -> int:
        return 1

    @dg.asset(ins={"upstream": dg.AssetIn(key=["db", "b"])}, deps=[a, "c/d"])
    def x(upstream: int) -> int:
        return upstream

    assert x.keys_by_input_name == {"upstream": dg.AssetKey(["db", "b"])}
    assert x.dependency_keys == {
        dg.AssetKey(["db", "b"]),
        dg.AssetKey("a"),
        dg.AssetKey(["c", "d"]),
    }


def test_multi_asset_outs_and_specs() -> None:
    @dg.multi_asset(outs={"left": dg.AssetOut(group_name="g"), "right": dg.AssetOut(key="r")})
    def pair():
        return 1, 2

    assert pair.keys == {dg.AssetKey("left"), dg.AssetKey("r")}
    assert pair.keys_by_output_name == {"left": dg.AssetKey("left"), "right": dg.AssetKey("r")}

    @dg.multi_asset(specs=[dg.AssetSpec("s1", deps=["a"]), dg.AssetSpec("s2", skippable=True)])
    def specs():
        yield dg.MaterializeResult(asset_key="s1")

    assert specs.asset_deps[dg.AssetKey("s1")] == {dg.AssetKey("a")}


def test_multi_asset_needs_outs_or_specs() -> None:
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="exactly one of outs= or specs="):
        dg.multi_asset()


def test_ins_for_unknown_parameter_is_an_error() -> None:
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="no parameter of that name"):

        @dg.asset(ins={"nope": dg.AssetIn("a")})
        def x(a):
            return a


def test_asset_check_declaration() -> None:
    @dg.asset
    def orders():
        return [1]

    @dg.asset_check(asset=orders, blocking=True, description="ids unique")
    def unique_ids(orders):
        return dg.AssetCheckResult(passed=len(set(orders)) == len(orders))

    assert unique_ids.check_key == dg.AssetCheckKey(dg.AssetKey("orders"), "unique_ids")
    assert unique_ids.spec.blocking
    assert unique_ids([1, 2]).passed


class Opts(dg.Config):
    factor: int = 2


def test_direct_invocation_with_context_and_config() -> None:
    @dg.asset
    def scaled(context: dg.AssetExecutionContext, config: Opts, base: int) -> int:
        return base * config.factor

    assert scaled(dg.build_asset_context(), base=3) == 6
    assert scaled(dg.build_asset_context(), 3, config=Opts(factor=5)) == 15
    with pytest.raises(dg.DagsterInvalidInvocationError, match="context"):
        scaled()


def test_external_assets_and_source_assets_in_definitions() -> None:
    @dg.asset(deps=["upstream_table"])
    def x():
        return 1

    defs = dg.Definitions(assets=[dg.AssetSpec("upstream_table"), x, dg.SourceAsset("legacy")])
    graph = defs.resolve_asset_graph()
    assert graph.get(dg.AssetKey("upstream_table")).is_external
    assert graph.get(dg.AssetKey("legacy")).is_external
    assert graph.materializable_asset_keys == {dg.AssetKey("x")}


def test_load_assets_from_modules_with_group(tmp_path, monkeypatch) -> None:
    pkg = tmp_path / "mypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "raw.py").write_text("import assettui as dg\n@dg.asset\ndef one():\n    return 1\n")
    (pkg / "marts.py").write_text(
        "import assettui as dg\n@dg.asset\ndef two(one):\n    return one\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    package = importlib.import_module("mypkg")
    assets = dg.load_assets_from_package_module(package, group_name="grp")
    keys = {a.key for a in assets}
    assert keys == {dg.AssetKey("one"), dg.AssetKey("two")}
    assert all(a.group_names_by_key[a.key] == "grp" for a in assets)
    raw = importlib.import_module("mypkg.raw")
    assert [a.key for a in dg.load_assets_from_modules([raw])] == [dg.AssetKey("one")]


def test_definitions_lookups() -> None:
    @dg.asset
    def a():
        return 1

    job = dg.define_asset_job("all_job", selection=[a])
    defs = dg.Definitions(assets=[a], jobs=[job])
    assert defs.resolve_job_def("all_job").asset_keys == {dg.AssetKey("a")}
    assert defs.get_job_def("all_job").name == "all_job"
    assert defs.resolve_assets_def("a") is a
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="No job named 'nope'"):
        defs.resolve_job_def("nope")


def test_definitions_merge_keeps_shared_objects_once_and_refuses_conflicts() -> None:

    from assettui.errors import DefinitionError

    @dg.asset
    def shared() -> int:
        return 1

    @dg.asset
    def other() -> int:
        return 2

    merged = dg.Definitions.merge(
        dg.Definitions(assets=[shared], resources={"r": "x"}),
        dg.Definitions(assets=[shared, other], executor=dg.multiprocess_executor),
    )
    assert [a.key.to_user_string() for a in merged.assets] == ["shared", "other"]
    assert merged.resources["r"] == "x" and merged.executor is dg.multiprocess_executor
    with pytest.raises(DefinitionError, match="'r' is defined twice"):
        dg.Definitions.merge(
            dg.Definitions(resources={"r": object()}), dg.Definitions(resources={"r": object()})
        )
    with pytest.raises(DefinitionError, match="different executors"):
        dg.Definitions.merge(
            dg.Definitions(executor=dg.multiprocess_executor),
            dg.Definitions(executor=dg.in_process_executor),
        )
