"""Op jobs run in process: composition, nested graphs, outputs, dynamic fan-out, config,
failures, retries, hooks and selections, as Dagster's docs on ops, graphs, jobs and dynamic
graphs describe them (each behaviour here was checked against Dagster 1.x)."""

from __future__ import annotations

from typing import Any

import pytest

import assettui as dg
from assettui.model.records.events import DagsterEventType as E


@dg.op
def one() -> int:
    return 1


@dg.op(config_schema={"n": dg.Field(int, default_value=3)})
def times(context, x: int) -> int:
    context.log.info(f"times {context.op_config['n']}")
    return x * context.op_config["n"]


@dg.op(out={"a": dg.Out(), "b": dg.Out()})
def split(x: int):
    return x, x + 1


@dg.op
def add(a: int, b: int) -> int:
    return a + b


@dg.graph
def add_split(x):
    return add(*split(x))


@dg.op(out=dg.DynamicOut())
def fan():
    for i in range(3):
        yield dg.DynamicOutput(i, mapping_key=f"k{i}")


@dg.op
def square(x: int) -> int:
    return x * x


@dg.op
def total(xs: list) -> int:
    return sum(xs)


def _types(result: Any, node: str) -> list[str]:
    return [e.event_type_value for e in result.events_for_node(node)]


def test_a_job_composes_ops_graphs_and_a_dynamic_fan_out() -> None:
    @dg.job
    def etl():
        v = times(one())
        add_split(v)
        total(fan().map(square).collect())

    result = etl.execute_in_process()
    assert result.success
    assert result.output_for_node("times") == 3
    assert result.output_for_node("add_split") == 7  # a graph node's output mapping
    assert result.output_for_node("add_split.add") == 7
    assert result.output_for_node("add_split.split", "b") == 4
    assert result.output_for_node("fan") == {"k0": 0, "k1": 1, "k2": 2}
    assert result.output_for_node("square") == {"k0": 0, "k1": 1, "k2": 4}
    assert result.output_for_node("total") == 5
    steps = {e.step_key for e in result.get_step_success_events()}
    assert steps == {
        "one", "times", "add_split.split", "add_split.add", "fan",
        "square[k0]", "square[k1]", "square[k2]", "total",
    }  # fmt: skip
    assert _types(result, "times") == [
        "STEP_START", "LOADED_INPUT", "STEP_INPUT", "LOG", "STEP_OUTPUT", "HANDLED_OUTPUT",
        "STEP_SUCCESS",
    ]  # fmt: skip


def test_runs_are_recorded_in_the_instance_with_the_job_name() -> None:
    @dg.job(tags={"team": "data"})
    def tagged():
        times(one())

    instance = dg.DagsterInstance.ephemeral()
    result = tagged.execute_in_process(instance=instance)
    run = instance.get_run_by_id(result.run_id)
    assert run.job_name == "tagged"
    assert run.status == dg.DagsterRunStatus.SUCCESS
    assert run.tags["team"] == "data"
    stored = [r.event_type for r in instance.storage.event_log.run_events(result.run_id)]
    assert E.RUN_SUCCESS in stored and E.STEP_OUTPUT in stored


def test_graph_inputs_outputs_and_multiple_outputs() -> None:
    @dg.graph(out={"low": dg.GraphOut(), "high": dg.GraphOut()})
    def bounds(x):
        low, high = split(x)
        return {"low": low, "high": high}

    @dg.op
    def diff(low: int, high: int) -> int:
        return high - low

    @dg.job
    def outer():
        b = bounds(one())
        diff(b.low, b.high)

    result = outer.execute_in_process()
    assert result.output_for_node("bounds", "high") == 2
    assert result.output_for_node("diff") == 1
    # a graph with its own inputs runs with input_values
    assert add_split.execute_in_process(input_values={"x": 10}).output_value() == 21


def test_output_objects_and_yielded_outputs_name_their_output() -> None:
    @dg.op(out={"x": dg.Out(), "y": dg.Out()})
    def yields():
        yield dg.Output(1, output_name="y", metadata={"n": 1})
        yield dg.Output(2, output_name="x")

    @dg.job
    def j():
        yields()

    result = j.execute_in_process()
    assert result.output_for_node("yields", "x") == 2
    assert result.output_for_node("yields", "y") == 1


def test_nothing_inputs_order_ops_without_passing_values() -> None:
    order: list[str] = []

    @dg.op
    def create_table() -> None:
        order.append("create")

    @dg.op(ins={"start": dg.In(dg.Nothing)})
    def fill_table() -> int:
        order.append("fill")
        return 3

    @dg.job
    def j():
        fill_table(start=create_table())

    assert j.execute_in_process().output_for_node("fill_table") == 3
    assert order == ["create", "fill"]


def test_fan_in_of_several_outputs_is_a_list() -> None:
    @dg.job
    def j():
        total([one(), times(one()), one.alias("another")()])

    result = j.execute_in_process()
    assert result.output_for_node("total") == 5
    assert result.output_for_node("another") == 1


def test_same_op_twice_gets_a_numbered_node_name() -> None:
    @dg.job
    def j():
        times(times(one()))

    result = j.execute_in_process()
    assert result.output_for_node("times_2") == 9


def test_chained_map_and_mapping_key_in_the_context() -> None:
    seen: list[str | None] = []

    @dg.op
    def plus_one(context, x: int) -> int:
        seen.append(context.get_mapping_key())
        return x + 1

    @dg.job
    def j():
        total(fan().map(square).map(plus_one).collect())

    result = j.execute_in_process()
    assert result.output_for_node("total") == 8
    assert sorted(seen) == ["k0", "k1", "k2"]


def test_an_empty_fan_out_collects_an_empty_list() -> None:
    @dg.op(out=dg.DynamicOut())
    def nothing_found():
        yield from ()

    @dg.job
    def j():
        total(nothing_found().map(square).collect())

    assert j.execute_in_process().output_for_node("total") == 0


def test_bad_mapping_keys_fail_the_step_clearly() -> None:
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="mapping_key"):
        dg.DynamicOutput(1, mapping_key="a.b")

    @dg.op(out=dg.DynamicOut())
    def twice():
        yield dg.DynamicOutput(1, mapping_key="same")
        yield dg.DynamicOutput(2, mapping_key="same")

    @dg.job
    def j():
        twice().map(square)

    with pytest.raises(dg.DagsterInvariantViolationError, match="'same' twice"):
        j.execute_in_process()


class Scale(dg.Config):
    factor: int = 2


class Greeting(dg.ConfigurableResource):
    word: str


def test_config_schema_defaults_and_config_classes() -> None:
    @dg.op
    def scaled(config: Scale, x: int) -> int:
        return x * config.factor

    @dg.job
    def j():
        scaled(times(one()))

    assert j.execute_in_process().output_for_node("scaled") == 6
    result = j.execute_in_process(
        run_config={"ops": {"times": {"config": {"n": 5}}, "scaled": {"config": {"factor": 10}}}}
    )
    assert result.output_for_node("scaled") == 50
    typed = j.execute_in_process(run_config=dg.RunConfig(ops={"scaled": Scale(factor=4)}))
    assert typed.output_for_node("scaled") == 12


def test_bad_config_is_refused_before_any_run_exists() -> None:
    @dg.job
    def j():
        times(one())

    instance = dg.DagsterInstance.ephemeral()
    with pytest.raises(dg.DagsterInvalidConfigError, match=r"op 'times'.*\.n: expected int"):
        j.execute_in_process(
            run_config={"ops": {"times": {"config": {"n": "x"}}}}, instance=instance
        )
    with pytest.raises(dg.DagsterInvalidConfigError, match=r"'nope'.*ops: one, times"):
        j.execute_in_process(run_config={"ops": {"nope": {}}}, instance=instance)
    assert instance.get_runs() == []


def test_inputs_from_run_config_and_defaults() -> None:
    @dg.op(ins={"x": dg.In(default_value=4)})
    def defaulted(x):
        return x

    @dg.op
    def from_config(y: int) -> int:
        return y

    @dg.job
    def j():
        defaulted()
        from_config()

    result = j.execute_in_process(run_config={"ops": {"from_config": {"inputs": {"y": 9}}}})
    assert result.output_for_node("defaulted") == 4
    assert result.output_for_node("from_config") == 9
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="'y' of op 'from_config'"):
        j.execute_in_process()


def test_a_failure_stops_its_downstream_and_reraises_the_users_error() -> None:
    @dg.op
    def boom() -> int:
        raise ValueError("bad input row")

    @dg.op
    def after(x: int) -> int:
        return x

    @dg.job
    def j():
        after(boom())
        one()

    with pytest.raises(ValueError, match="bad input row"):
        j.execute_in_process()
    result = j.execute_in_process(raise_on_error=False)
    assert not result.success
    assert result.get_failed_step_keys() == {"boom"}
    assert result.events_for_node("after") == []  # not executed, as in Dagster
    assert {e.step_key for e in result.get_step_success_events()} == {"one"}
    failure = result.get_step_failure_events()[0]
    assert "Error in op 'boom'" in failure.message and "bad input row" in failure.message


def test_failure_with_metadata_and_retry_requested() -> None:
    attempts: list[int] = []

    @dg.op
    def flaky() -> int:
        attempts.append(1)
        if len(attempts) < 3:
            raise dg.RetryRequested(max_retries=3)
        return len(attempts)

    @dg.op(retry_policy=dg.RetryPolicy(max_retries=2))
    def hopeless() -> None:
        raise dg.Failure(description="the API is down", allow_retries=False)

    @dg.job
    def j():
        flaky()
        hopeless()

    result = j.execute_in_process(raise_on_error=False)
    assert result.output_for_node("flaky") == 3
    assert _types(result, "flaky").count("STEP_UP_FOR_RETRY") == 2
    assert "STEP_UP_FOR_RETRY" not in _types(result, "hopeless")
    assert result.get_failed_step_keys() == {"hopeless"}


def test_optional_outputs_not_produced_skip_their_downstream() -> None:
    @dg.op(out={"yes": dg.Out(is_required=False), "no": dg.Out(is_required=False)})
    def branch():
        yield dg.Output(1, "yes")

    @dg.op
    def on_yes(x: int) -> int:
        return x

    @dg.op
    def on_no(x: int) -> int:
        return x

    @dg.op
    def after_no(x: int) -> int:
        return x

    @dg.job
    def j():
        yes, no = branch()
        on_yes(yes)
        after_no(on_no(no))

    result = j.execute_in_process()
    assert result.success
    assert {e.step_key for e in result.get_step_skipped_events()} == {"on_no", "after_no"}
    assert result.output_for_node("on_yes") == 1


def test_a_required_output_not_returned_fails_the_op() -> None:
    @dg.op(out={"a": dg.Out(), "b": dg.Out()})
    def half():
        yield dg.Output(1, "a")

    @dg.job
    def j():
        half()

    with pytest.raises(dg.DagsterInvariantViolationError, match="required output 'b'"):
        j.execute_in_process()


def test_success_and_failure_hooks_on_jobs_and_ops() -> None:
    calls: list[tuple[str, str]] = []

    @dg.success_hook
    def on_ok(context) -> None:
        calls.append(("ok", context.op.name))

    @dg.failure_hook(required_resource_keys={"alerts"})
    def on_bad(context) -> None:
        context.resources.alerts.append(str(context.op_exception))
        calls.append(("bad", context.op.name))

    @dg.op
    def boom() -> None:
        raise RuntimeError("down")

    alerts: list[str] = []

    @dg.job(
        hooks={on_bad}, resource_defs={"alerts": dg.ResourceDefinition.hardcoded_resource(alerts)}
    )
    def j():
        one.with_hooks({on_ok})()
        boom()

    j.execute_in_process(raise_on_error=False)
    assert sorted(calls) == [("bad", "boom"), ("ok", "one")]
    assert alerts == ["down"]


def test_op_selection_runs_a_subset() -> None:
    @dg.job
    def j():
        times(one())
        fan()

    result = j.execute_in_process(op_selection=["one*"])
    assert {e.step_key for e in result.get_step_success_events()} == {"one", "times"}
    with pytest.raises(dg.SelectionError, match=r"'one'.*feeds its input 'x'"):
        j.execute_in_process(op_selection=["times"])
    with pytest.raises(dg.SelectionError, match="matches no op"):
        j.execute_in_process(op_selection=["nope"])


def test_ops_record_asset_events_and_expectations() -> None:
    @dg.op
    def write_table(context):
        yield dg.AssetMaterialization(asset_key="legacy_table", metadata={"rows": 3})
        yield dg.AssetObservation(asset_key="legacy_table", metadata={"seen": 1})
        yield dg.ExpectationResult(success=True, label="rows_positive")
        yield dg.Output(3)

    @dg.job
    def j():
        write_table()

    instance = dg.DagsterInstance.ephemeral()
    result = j.execute_in_process(instance=instance)
    mats = result.asset_materializations_for_node("write_table")
    assert [m.asset_key for m in mats] == [dg.AssetKey("legacy_table")]
    assert "STEP_EXPECTATION_RESULT" in _types(result, "write_table")
    latest = instance.get_latest_materialization_event(dg.AssetKey("legacy_table"))
    assert latest is not None


def test_resources_for_ops_by_key_and_by_parameter() -> None:
    @dg.op(required_resource_keys={"store"})
    def keyed(context) -> int:
        return context.resources.store["n"]

    @dg.op
    def typed(greeting: Greeting) -> str:
        return greeting.word

    @dg.job(resource_defs={"store": dg.ResourceDefinition.hardcoded_resource({"n": 2})})
    def j():
        keyed()
        typed()

    result = j.execute_in_process(resources={"greeting": Greeting(word="hi")})
    assert result.output_for_node("keyed") == 2
    assert result.output_for_node("typed") == "hi"


def test_io_managers_see_op_outputs_by_run_step_and_name(tmp_path) -> None:
    seen: list[list[str]] = []

    class Recording(dg.IOManager):
        def __init__(self) -> None:
            self.values: dict[tuple[str, ...], Any] = {}

        def handle_output(self, context, obj) -> None:
            assert not context.has_asset_key
            seen.append(context.get_identifier())
            self.values[tuple(context.get_identifier())] = obj

        def load_input(self, context) -> Any:
            return self.values[tuple(context.upstream_output.get_identifier())]

    @dg.job(resource_defs={"io_manager": Recording()})
    def j():
        times(one())

    result = j.execute_in_process()
    assert seen == [[result.run_id, "one", "result"], [result.run_id, "times", "result"]]

    fs_job = dg.GraphDefinition(
        "fs", node_defs=[one, times], dependencies={"times": {"x": dg.DependencyDefinition("one")}}
    ).to_job(resource_defs={"io_manager": dg.FilesystemIOManager(base_dir=str(tmp_path))})
    fs_result = fs_job.execute_in_process()
    assert (tmp_path / fs_result.run_id / "times" / "result").is_file()


def test_partitioned_configs_make_partitioned_jobs() -> None:
    @dg.op(config_schema={"date": str})
    def load_day(context) -> str:
        return context.op_config["date"] + "/" + context.partition_key

    @dg.daily_partitioned_config(start_date="2024-01-01")
    def daily_config(start, end):
        return {"ops": {"load_day": {"config": {"date": start.strftime("%Y-%m-%d")}}}}

    @dg.job(config=daily_config)
    def daily_job():
        load_day()

    assert isinstance(daily_job.partitions_def, dg.DailyPartitionsDefinition)
    result = daily_job.execute_in_process(partition_key="2024-01-05")
    assert result.output_for_node("load_day") == "2024-01-05/2024-01-05"
    assert result.dagster_run.tags["dagster/partition"] == "2024-01-05"
    with pytest.raises(dg.PartitionError, match="'1999-01-01' is not a partition of job"):
        daily_job.execute_in_process(partition_key="1999-01-01")

    @dg.static_partitioned_config(partition_keys=["eu", "us"])
    def region_config(partition_key: str):
        return {"ops": {"load_day": {"config": {"date": partition_key.upper()}}}}

    region_job = dg.GraphDefinition("regions", node_defs=[load_day]).to_job(config=region_config)
    assert region_job.partitions_def.get_partition_keys() == ["eu", "us"]
    assert region_job.execute_in_process(partition_key="us").output_for_node("load_day") == "US/us"


def test_direct_invocation_of_ops() -> None:
    @dg.op
    def scaled(config: Scale) -> int:
        return config.factor

    assert scaled(dg.build_op_context(op_config={"factor": 4})) == 4
    assert scaled(Scale(factor=9)) == 9
    assert times(dg.build_op_context(op_config={"n": 7}), 2) == 14


def test_wiring_errors_name_the_node_input_and_output() -> None:
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="output 'nope' of 'one'"):
        dg.GraphDefinition(
            "g",
            node_defs=[one, times],
            dependencies={"times": {"x": dg.DependencyDefinition("one", "nope")}},
        )
    with pytest.raises(dg.DagsterInvalidDefinitionError, match=r"cycle: .*times.*square.*times"):
        dg.GraphDefinition(
            "g",
            node_defs=[times, square],
            dependencies={
                "times": {"x": dg.DependencyDefinition("square")},
                "square": {"x": dg.DependencyDefinition("times")},
            },
        )
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="input 'x' of 'times' was given 3"):

        @dg.job
        def plain_value():
            times(3)

    with pytest.raises(dg.DagsterInvalidDefinitionError, match=r"\.map\(op\).*\.collect\(\)"):

        @dg.job
        def unmapped():
            square(fan())

    with pytest.raises(dg.DagsterInvalidDefinitionError, match="outside a @graph or @job"):
        add_split(1)


def test_dynamic_outputs_need_a_mapping_key_and_dynamic_outs_need_dynamic_outputs() -> None:
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="needs a mapping_key"):
        dg.DynamicOutput(1)

    @dg.op(out=dg.DynamicOut())
    def plain():
        yield dg.Output(1)

    @dg.job
    def j():
        plain().map(square)

    with pytest.raises(dg.DagsterInvariantViolationError, match=r"'plain'.*DynamicOutput"):
        j.execute_in_process()


def test_retry_policy_retries_an_op() -> None:
    attempts: list[int] = []

    @dg.op(retry_policy=dg.RetryPolicy(max_retries=2))
    def shaky() -> int:
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionError("flaky network")
        return 7

    @dg.job
    def j():
        shaky()

    result = j.execute_in_process()
    assert result.output_for_node("shaky") == 7
    assert _types(result, "shaky").count("STEP_RESTARTED") == 2


def test_output_metadata_from_the_context_is_recorded() -> None:
    @dg.op(out={"rows": dg.Out(), "cols": dg.Out()})
    def table(context):
        context.add_output_metadata({"row_count": 3}, output_name="rows")
        return [1, 2, 3], ["a"]

    @dg.job
    def j():
        table()

    result = j.execute_in_process()
    outputs = [e for e in result.events_for_node("table") if e.event_type_value == "STEP_OUTPUT"]
    metadata = {e.event_specific_data.output_name: e.event_specific_data.metadata for e in outputs}
    assert "row_count" in metadata["rows"] and not metadata["cols"]


def test_repository_loads_as_definitions_with_a_supersession_warning() -> None:
    with pytest.warns(dg.SupersessionWarning, match="superseded by Definitions"):

        @dg.repository
        def my_repo():
            return [times.alias("t")
                    ] if False else [add_split.to_job(name="adder"), summary_job()]  # fmt: skip

    assert isinstance(my_repo, dg.Definitions) and my_repo.name == "my_repo"
    assert sorted(j.name for j in my_repo.get_all_jobs()) == ["__ASSET_JOB", "adder", "summed"]
    assert my_repo.get_job("summed").execute_in_process().output_for_node("total") == 5


def summary_job() -> dg.JobDefinition:
    @dg.job
    def summed():
        total(fan().map(square).collect())

    return summed


def test_partitions_def_on_a_job_and_a_dynamic_partitioned_config() -> None:
    @dg.op
    def which(context) -> str:
        return context.partition_key

    @dg.job(partitions_def=dg.StaticPartitionsDefinition(["a", "b"]))
    def lettered():
        which()

    assert lettered.execute_in_process(partition_key="b").output_for_node("which") == "b"

    @dg.op(config_schema={"name": str})
    def named(context) -> str:
        return context.op_config["name"]

    @dg.dynamic_partitioned_config(partition_fn=lambda _now: ["x", "y"])
    def by_name(partition_key: str):
        return {"ops": {"named": {"config": {"name": partition_key * 2}}}}

    job = dg.GraphDefinition("g", node_defs=[named]).to_job(config=by_name)
    assert job.partitions_def.get_partition_keys() == ["x", "y"]
    assert job.execute_in_process(partition_key="y").output_for_node("named") == "yy"


def test_unpacking_a_single_output_names_the_op() -> None:
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="'one' has one output"):

        @dg.job
        def j():
            a, b = one()
            add(a, b)
