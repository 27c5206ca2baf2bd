"""Planning a run: step order, unselected upstream loaded through IO managers, refused
selections and partition keys; a few partitioned runs."""

import pytest

import assettui as dg
from assettui.execution.plan import build_plan, plan_resource_keys


@pytest.fixture
def instance(tmp_path):
    inst = dg.DagsterInstance.from_home(tmp_path / "home")
    yield inst
    inst.dispose()


@dg.asset
def a() -> int:
    return 1


@dg.asset
def b(a: int) -> int:
    return a + 1


@dg.asset
def c(a: int) -> int:
    return a + 10


@dg.asset
def d(b: int, c: int) -> int:
    return b + c


def _graph(*assets):
    return dg.Definitions(assets=list(assets)).resolve_asset_graph()


def test_steps_respect_dependencies():
    graph = _graph(d, c, b, a)
    plan = build_plan(graph, graph.materializable_asset_keys)
    order = [s.key for s in plan.steps]
    assert order[0] == "a" and order[-1] == "d"
    assert set(order) == {"a", "b", "c", "d"}
    assert plan.step_named("d").upstream_steps == {"b", "c"}


def test_run_executes_in_dependency_order(instance):
    result = dg.materialize([d, c, b, a], instance=instance)
    started = [e.step_key for e in result.all_events if e.event_type_value == "STEP_START"]
    assert started.index("a") < started.index("b") < started.index("d")
    assert started.index("c") < started.index("d")
    assert result.output_for_node("d") == 13


def test_plan_resource_keys_include_upstream_io_managers():
    @dg.asset(io_manager_key="up_io")
    def up() -> int:
        return 1

    @dg.asset
    def down(up: int) -> int:
        return up

    graph = _graph(up, down)
    plan = build_plan(graph, [dg.AssetKey("down")])
    assert plan_resource_keys(plan, graph) == {"io_manager", "up_io"}


def test_unselected_upstream_is_loaded_through_its_io_manager(instance):
    dg.materialize([a, b, c, d], instance=instance)

    class Spy(dg.IOManager):
        def __init__(self):
            self.loaded = []

        def handle_output(self, context, obj):
            raise AssertionError("only d is selected; nothing upstream is stored")

        def load_input(self, context):
            self.loaded.append(context.asset_key.to_user_string())
            return {"b": 100, "c": 200}[context.asset_key.to_user_string()]

    spy = Spy()

    # same keys as b and c, stored by another IO manager
    @dg.asset(key="b", io_manager_key="spy_io")
    def spy_b(a: int) -> int:
        return a

    @dg.asset(key="c", io_manager_key="spy_io")
    def spy_c(a: int) -> int:
        return a

    result = dg.materialize(
        [a, spy_b, spy_c, d], instance=instance, selection=[d], resources={"spy_io": spy}
    )
    assert result.output_for_node("d") == 300
    assert sorted(spy.loaded) == ["b", "c"]
    started = [e.step_key for e in result.all_events if e.event_type_value == "STEP_START"]
    assert started == ["d"]


def test_selection_by_string_and_asset_selection(instance):
    result = dg.materialize(
        [a, b, c, d], instance=instance, selection=dg.AssetSelection.assets(b).upstream()
    )
    started = {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}
    assert started == {"a", "b"}
    result = dg.materialize([a, b, c, d], instance=instance, selection="c")
    assert {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"} == {"c"}


@dg.multi_asset(outs={"m1": dg.AssetOut(), "m2": dg.AssetOut()})
def together():
    return 1, 2


def test_partial_selection_of_unsubsettable_multi_asset_is_refused(instance):
    with pytest.raises(dg.DagsterInvalidSubsetError, match=r"together.*m2"):
        dg.materialize([together], instance=instance, selection=["m1"])
    assert instance.get_runs()[0].status == dg.DagsterRunStatus.FAILURE


def test_partition_key_for_unpartitioned_assets_is_refused(instance):
    with pytest.raises(dg.DagsterError, match=r"not partitioned|none of the selected"):
        dg.materialize([a], instance=instance, partition_key="2024-01-01")


def test_unknown_partition_key_is_refused(instance):
    @dg.asset(partitions_def=dg.StaticPartitionsDefinition(["x", "y"]))
    def lettered(context: dg.AssetExecutionContext) -> str:
        return context.partition_key

    with pytest.raises(dg.PartitionError, match=r"'z'.*lettered"):
        dg.materialize([lettered], instance=instance, partition_key="z")


def test_external_asset_cannot_be_selected():
    spec = dg.AssetSpec("outside")
    graph = _graph(spec)
    with pytest.raises(dg.DagsterInvalidSubsetError, match="external"):
        build_plan(graph, [dg.AssetKey("outside")])


def test_checks_planned_after_their_asset_and_before_blocked_downstream():
    @dg.asset_check(asset=a, blocking=True)
    def a_ok() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=True)

    graph = _graph(a, b, a_ok)
    plan = build_plan(graph, graph.materializable_asset_keys, graph.asset_check_keys)
    order = [s.key for s in plan.steps]
    assert order.index("a") < order.index("a_a_ok") < order.index("b")  # Dagster's op name


# ---- partitioned runs --------------------------------------------------------------------

daily = dg.DailyPartitionsDefinition(start_date="2024-01-01")


def test_daily_partition_key_and_time_window(instance):
    seen = {}

    @dg.asset(partitions_def=daily)
    def events(context: dg.AssetExecutionContext) -> str:
        seen["key"] = context.partition_key
        window = context.partition_time_window
        seen["window"] = (window.start.isoformat(), window.end.isoformat())
        return context.partition_key

    dg.materialize([events], instance=instance, partition_key="2024-01-05")
    assert seen["key"] == "2024-01-05"
    assert seen["window"][0].startswith("2024-01-05T00:00:00")
    assert seen["window"][1].startswith("2024-01-06T00:00:00")
    assert instance.get_materialized_partitions(dg.AssetKey("events")) == {"2024-01-05"}


def test_daily_identity_mapping_loads_the_same_partition(instance):
    @dg.asset(partitions_def=daily)
    def raw(context: dg.AssetExecutionContext) -> str:
        return f"raw-{context.partition_key}"

    @dg.asset(partitions_def=daily)
    def clean(raw: str) -> str:
        return raw.upper()

    result = dg.materialize([raw, clean], instance=instance, partition_key="2024-02-01")
    assert result.output_for_node("clean") == "RAW-2024-02-01"


def test_time_window_mapping_gives_a_dict_of_partitions(instance):
    mapping_cls = pytest.importorskip(
        "assettui.model.partitions.mapping"
    ).TimeWindowPartitionMapping

    @dg.asset(partitions_def=daily)
    def day_value(context: dg.AssetExecutionContext) -> str:
        return context.partition_key

    @dg.asset(
        partitions_def=daily,
        ins={"day_value": dg.AssetIn(partition_mapping=mapping_cls(start_offset=-2, end_offset=0))},
    )
    def rolling(context: dg.AssetExecutionContext, day_value: dict) -> list[str]:
        assert context.asset_partition_keys_for_input("day_value") == sorted(day_value)
        return sorted(day_value.values())

    for day in ["2024-03-01", "2024-03-02", "2024-03-03"]:
        dg.materialize([day_value], instance=instance, partition_key=day)
    result = dg.materialize(
        [day_value, rolling], instance=instance, partition_key="2024-03-03", selection=[rolling]
    )
    assert result.output_for_node("rolling") == ["2024-03-01", "2024-03-02", "2024-03-03"]
