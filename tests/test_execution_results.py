"""What asset functions return and how runs treat it: Output, MaterializeResult, metadata,
optional outputs, multi-assets, asset checks (severity, blocking) and retries."""

import pytest

import assettui as dg
from assettui.model.records.events import DagsterEventType


@pytest.fixture
def instance(tmp_path):
    inst = dg.DagsterInstance.from_home(tmp_path / "home")
    yield inst
    inst.dispose()


def storage(instance):
    return instance.storage.home / "storage"


def event_types(result):
    return [e.event_type_value for e in result.all_events]


# ---- Output, MaterializeResult, metadata ------------------------------------------------


def test_output_with_metadata(instance):
    @dg.asset
    def table() -> dg.Output:
        rows = [1, 2, 3]
        return dg.Output(rows, metadata={"num_rows": len(rows), "first": dg.MetadataValue.int(1)})

    result = dg.materialize([table], instance=instance)

    assert result.output_for_node("table") == [1, 2, 3]
    meta = result.asset_materializations_for_node("table")[0].metadata
    assert meta["num_rows"].value == 3
    assert meta["first"].value == 1


def test_typed_metadata_values_round_trip_through_storage(instance):
    @dg.asset
    def described() -> dg.MaterializeResult:
        return dg.MaterializeResult(
            metadata={
                "count": 7,
                "ratio": 0.5,
                "label": "hello",
                "flag": True,
                "link": dg.MetadataValue.url("https://example.com"),
                "doc": dg.MetadataValue.md("# Title"),
                "blob": dg.MetadataValue.json({"a": [1, 2]}),
                "where": dg.MetadataValue.path("/tmp/x"),
            }
        )

    dg.materialize([described], instance=instance)
    event = instance.get_latest_materialization_event(dg.AssetKey("described"))
    meta = event.asset_materialization.metadata
    assert meta["count"].value == 7
    assert meta["ratio"].value == 0.5
    assert meta["label"].value == "hello"
    assert meta["flag"].value is True
    assert meta["link"].value == "https://example.com"
    assert meta["doc"].value == "# Title"
    assert meta["blob"].value == {"a": [1, 2]}
    assert meta["where"].value == "/tmp/x"


def test_output_is_subscriptable_like_dagsters():
    assert dg.Output[int] is not None


def test_materialize_result_stores_no_value(instance):
    @dg.asset
    def external_table() -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata={"rows": 10})

    result = dg.materialize([external_table], instance=instance)
    assert result.success
    assert not (storage(instance) / "external_table").exists()
    assert result.asset_materializations_for_node("external_table")[0].metadata["rows"].value == 10


def test_none_returning_asset_stores_nothing(instance):
    @dg.asset
    def side_effect() -> None:
        pass

    dg.materialize([side_effect], instance=instance)
    assert not (storage(instance) / "side_effect").exists()
    assert instance.get_latest_materialization_event(dg.AssetKey("side_effect")) is not None


# ---- optional outputs --------------------------------------------------------------------


def test_output_required_false_skips_downstream(instance):
    @dg.asset(output_required=False)
    def maybe():
        if False:
            yield dg.Output(1)

    @dg.asset
    def after_maybe(maybe: int) -> int:
        return maybe + 1

    result = dg.materialize([maybe, after_maybe], instance=instance)

    assert result.success
    assert result.asset_materializations_for_node("maybe") == []
    assert result.asset_materializations_for_node("after_maybe") == []
    skipped = [e for e in result.all_events if e.event_type_value == "STEP_SKIPPED"]
    assert [e.step_key for e in skipped] == ["after_maybe"]
    assert instance.get_latest_materialization_event(dg.AssetKey("maybe")) is None


def test_output_required_false_that_yields_materializes(instance):
    @dg.asset(output_required=False)
    def sometimes():
        yield dg.Output(5)

    result = dg.materialize([sometimes], instance=instance)
    assert result.output_for_node("sometimes") == 5


def test_missing_required_output_fails_clearly(instance):
    @dg.asset
    def forgetful():
        if False:
            yield dg.Output(1)

    result = dg.materialize([forgetful], instance=instance, raise_on_error=False)
    assert not result.success
    assert "output_required=False" in result.get_step_failure_events()[0].message


# ---- multi-assets ------------------------------------------------------------------------


def test_multi_asset_tuple_return(instance):
    @dg.multi_asset(outs={"a": dg.AssetOut(), "b": dg.AssetOut()})
    def pair():
        return 1, 2

    result = dg.materialize([pair], instance=instance)
    assert result.output_for_node("pair", "a") == 1
    assert result.output_for_node("pair", "b") == 2
    assert {m.asset_key for m in result.asset_materializations_for_node("pair")} == {
        dg.AssetKey("a"),
        dg.AssetKey("b"),
    }


def test_multi_asset_yielding_outputs_by_name(instance):
    @dg.multi_asset(outs={"left": dg.AssetOut(), "right": dg.AssetOut(key_prefix=["side"])})
    def split():
        yield dg.Output([1], output_name="left", metadata={"n": 1})
        yield dg.Output([2, 3], output_name="right")

    @dg.asset(ins={"right": dg.AssetIn(key=["side", "right"])})
    def right_len(right: list[int]) -> int:
        return len(right)

    result = dg.materialize([split, right_len], instance=instance)
    assert result.output_for_node("right_len") == 2
    assert (storage(instance) / "side" / "right").exists()
    mats = {m.asset_key: m for m in result.asset_materializations_for_node("split")}
    assert mats[dg.AssetKey("left")].metadata["n"].value == 1


def test_multi_asset_materialize_results_by_key(instance):
    @dg.multi_asset(specs=[dg.AssetSpec("x"), dg.AssetSpec("y")])
    def xy():
        yield dg.MaterializeResult(asset_key="x", metadata={"v": 1})
        yield dg.MaterializeResult(asset_key="y", metadata={"v": 2})

    result = dg.materialize([xy], instance=instance)
    values = {
        m.asset_key.to_user_string(): m.metadata["v"].value
        for m in result.asset_materializations_for_node("xy")
    }
    assert values == {"x": 1, "y": 2}


def test_can_subset_multi_asset_runs_only_selected(instance):
    ran = []

    @dg.multi_asset(
        outs={"c": dg.AssetOut(is_required=False), "d": dg.AssetOut(is_required=False)},
        can_subset=True,
    )
    def subsettable(context: dg.AssetExecutionContext):
        for key in sorted(context.selected_asset_keys):
            ran.append(key.to_user_string())
            yield dg.Output(key.to_user_string(), output_name=key.path[-1])

    result = dg.materialize([subsettable], instance=instance, selection=["d"])
    assert ran == ["d"]
    assert result.output_for_node("subsettable", "d") == "d"
    assert [m.asset_key for m in result.asset_materializations_for_node("subsettable")] == [
        dg.AssetKey("d")
    ]


# ---- asset checks ------------------------------------------------------------------------


@dg.asset
def orders() -> list[int]:
    return [1, 2, -3]


@dg.asset
def orders_report(orders: list[int]) -> int:
    return len(orders)


def test_separate_asset_check_runs_after_its_asset(instance):
    @dg.asset_check(asset=orders)
    def no_negatives(orders: list[int]) -> dg.AssetCheckResult:
        bad = [o for o in orders if o < 0]
        return dg.AssetCheckResult(passed=not bad, metadata={"bad": len(bad)})

    result = dg.materialize([orders, no_negatives], instance=instance)

    assert result.success  # a failed non-blocking check does not fail the run
    [evaluation] = result.get_asset_check_evaluations()
    assert not evaluation.passed
    assert evaluation.metadata["bad"].value == 1
    types = event_types(result)
    assert types.index("ASSET_MATERIALIZATION") < types.index("ASSET_CHECK_EVALUATION")


def test_check_specs_on_the_asset(instance):
    @dg.asset(check_specs=[dg.AssetCheckSpec("has_rows", asset="sized")])
    def sized():
        yield dg.Output([1, 2])
        yield dg.AssetCheckResult(check_name="has_rows", passed=True)

    result = dg.materialize([sized], instance=instance)
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.passed and evaluation.check_name == "has_rows"


def test_check_specs_with_materialize_result(instance):
    @dg.asset(check_specs=[dg.AssetCheckSpec("fresh", asset="mr")])
    def mr():
        return dg.MaterializeResult(check_results=[dg.AssetCheckResult(passed=False)])

    result = dg.materialize([mr], instance=instance)
    assert [e.passed for e in result.get_asset_check_evaluations()] == [False]


def test_warn_severity_is_recorded_as_a_warning(instance):
    @dg.asset_check(asset=orders)
    def soft_check() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN)

    result = dg.materialize([orders, soft_check], instance=instance)
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    [stored] = instance.all_logs(result.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
    assert stored.level == 30  # logging.WARNING


def test_failed_blocking_check_stops_downstream(instance):
    @dg.asset_check(asset=orders, blocking=True)
    def must_be_positive(orders: list[int]) -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=all(o > 0 for o in orders))

    result = dg.materialize(
        [orders, orders_report, must_be_positive], instance=instance, raise_on_error=False
    )

    assert not result.success
    assert result.asset_materializations_for_node("orders_report") == []
    skipped = [e.step_key for e in result.all_events if e.event_type_value == "STEP_SKIPPED"]
    assert skipped == ["orders_report"]
    assert instance.get_run_by_id(result.run_id).status == dg.DagsterRunStatus.FAILURE


def test_failed_blocking_check_with_warn_severity_does_not_block(instance):
    @dg.asset_check(asset=orders, blocking=True)
    def gentle(orders: list[int]) -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN)

    result = dg.materialize([orders, orders_report, gentle], instance=instance)
    assert result.success
    assert result.output_for_node("orders_report") == 3


def test_failed_non_blocking_check_does_not_stop_downstream(instance):
    @dg.asset_check(asset=orders)
    def advisory(orders: list[int]) -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False)

    result = dg.materialize([orders, orders_report, advisory], instance=instance)
    assert result.success
    assert result.output_for_node("orders_report") == 3


def test_blocking_check_spec_on_the_asset_stops_downstream(instance):
    @dg.asset(check_specs=[dg.AssetCheckSpec("sane", asset="checked", blocking=True)])
    def checked():
        yield dg.Output(0)
        yield dg.AssetCheckResult(passed=False)

    @dg.asset
    def after_checked(checked: int) -> int:
        return checked

    result = dg.materialize([checked, after_checked], instance=instance, raise_on_error=False)
    assert not result.success
    assert result.asset_materializations_for_node("after_checked") == []


# ---- retries -----------------------------------------------------------------------------


def test_retry_policy_with_backoff_and_jitter(instance):
    attempts = []

    @dg.asset(
        retry_policy=dg.RetryPolicy(
            max_retries=3, delay=0.01, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
        )
    )
    def flaky(context: dg.AssetExecutionContext) -> int:
        attempts.append(context.retry_number)
        if len(attempts) < 3:
            raise ConnectionError("try again")
        return len(attempts)

    result = dg.materialize([flaky], instance=instance)

    assert result.output_for_node("flaky") == 3
    assert attempts == [0, 1, 2]
    types = event_types(result)
    assert types.count("STEP_UP_FOR_RETRY") == 2
    assert types.count("STEP_RESTARTED") == 2


def test_retry_policy_gives_up_after_max_retries(instance):
    calls = []

    @dg.asset(
        retry_policy=dg.RetryPolicy(
            max_retries=2, delay=0.01, backoff=dg.Backoff.LINEAR, jitter=dg.Jitter.FULL
        )
    )
    def hopeless() -> int:
        calls.append(1)
        raise ValueError("always")

    with pytest.raises(ValueError, match="always"):
        dg.materialize([hopeless], instance=instance)
    assert len(calls) == 3


def test_retry_requested(instance):
    calls = []

    @dg.asset
    def asks_for_retry() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise dg.RetryRequested(max_retries=1, seconds_to_wait=0.01)
        return 9

    result = dg.materialize([asks_for_retry], instance=instance)
    assert result.output_for_node("asks_for_retry") == 9
    assert len(calls) == 2


def test_failure_without_retries(instance):
    calls = []

    @dg.asset(retry_policy=dg.RetryPolicy(max_retries=3))
    def fatal() -> int:
        calls.append(1)
        raise dg.Failure(description="bad input file", allow_retries=False)

    result = dg.materialize([fatal], instance=instance, raise_on_error=False)
    assert not result.success
    assert len(calls) == 1
    assert "bad input file" in result.get_step_failure_events()[0].message


def test_job_op_retry_policy_applies_to_its_assets(instance):
    calls = []

    @dg.asset
    def wobbly() -> int:
        calls.append(1)
        if len(calls) < 2:
            raise RuntimeError("once")
        return 1

    job = dg.define_asset_job(
        "retrying", selection=[wobbly], op_retry_policy=dg.RetryPolicy(max_retries=1)
    )
    defs = dg.Definitions(assets=[wobbly], jobs=[job])
    assert defs.resolve_job_def("retrying").execute_in_process(instance=instance).success
    assert len(calls) == 2


def test_results_and_the_event_log_give_the_same_dagster_event(tmp_path):
    @dg.asset
    def one_event() -> int:
        return 1

    with dg.DagsterInstance.from_home(tmp_path / "home") as instance:
        result = dg.materialize([one_event], instance=instance)
        (from_result,) = result.get_asset_materialization_events()
        stored = instance.get_latest_materialization_event(dg.AssetKey("one_event"))
        assert stored is not None and stored.dagster_event is not None
        assert type(from_result) is type(stored.dagster_event)
        for event in (from_result, stored.dagster_event):
            assert event.job_name == "__ASSET_JOB"
            assert event.is_step_materialization and event.step_key == "one_event"
            data = event.step_materialization_data
            assert data is not None and data.materialization.asset_key == dg.AssetKey("one_event")
