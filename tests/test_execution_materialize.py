"""In-process runs: ``materialize``, ``materialize_to_memory``, ``execute_in_process`` and the
result API; every run and every event lands in the instance."""

import pytest

import assettui as dg
from assettui.model.records.events import DagsterEventType


@pytest.fixture
def instance(tmp_path):
    inst = dg.DagsterInstance.from_home(tmp_path / "home")
    yield inst
    inst.dispose()


@dg.asset
def numbers() -> list[int]:
    return [1, 2, 3]


@dg.asset
def total(numbers: list[int]) -> int:
    return sum(numbers)


@dg.asset(deps=[total])
def report() -> None:
    """Depends on total without loading it."""


def test_materialize_chain_returns_values_and_stores_run(instance):
    result = dg.materialize([numbers, total], instance=instance)

    assert result.success
    assert result.output_for_node("numbers") == [1, 2, 3]
    assert result.output_for_node("total") == 6
    run = instance.get_run_by_id(result.run_id)
    assert run is not None
    assert run.status == dg.DagsterRunStatus.SUCCESS
    assert run.asset_selection == {dg.AssetKey("numbers"), dg.AssetKey("total")}


def test_materializations_recorded_for_each_node(instance):
    result = dg.materialize([numbers, total, report], instance=instance)

    mats = result.asset_materializations_for_node("total")
    assert [m.asset_key for m in mats] == [dg.AssetKey("total")]
    assert result.asset_materializations_for_node("report")[0].asset_key == dg.AssetKey("report")
    latest = instance.get_latest_materialization_event(dg.AssetKey("total"))
    assert latest is not None and latest.run_id == result.run_id


def test_every_result_event_is_stored_in_the_instance(instance):
    result = dg.materialize([numbers, total], instance=instance)

    types = [e.event_type_value for e in result.all_events]
    assert types[0] == "RUN_START" and types[-1] == "RUN_SUCCESS"
    assert types.count("ASSET_MATERIALIZATION") == 2
    assert types.count("STEP_SUCCESS") == 2
    stored = instance.all_logs(result.run_id)
    assert [e.dagster_event_type for e in stored] == [e.event_type for e in result.all_events]


def test_default_instance_is_ephemeral_and_still_records():
    result = dg.materialize([numbers])
    assert result.success
    assert result.run_id
    assert result.dagster_run.run_id == result.run_id


def test_materialize_to_memory_writes_no_files(instance):
    result = dg.materialize_to_memory([numbers, total], instance=instance)

    assert result.success
    assert result.output_for_node("total") == 6
    storage = instance.storage.home / "storage"
    assert not storage.exists() or not any(storage.rglob("*"))
    assert instance.get_latest_materialization_event(dg.AssetKey("total")) is not None


def test_materialize_writes_pickles_under_instance_storage(instance):
    dg.materialize([numbers, total], instance=instance)
    assert (instance.storage.home / "storage" / "total").is_file()


def test_values_persist_between_runs_via_selection(instance):
    dg.materialize([numbers, total], instance=instance)
    result = dg.materialize([numbers, total], instance=instance, selection=[total])

    assert result.success
    assert result.output_for_node("total") == 6
    assert {m.asset_key for m in (e.asset_materialization for e in result.all_events) if m} == {
        dg.AssetKey("total")
    }


def test_tags_are_recorded_on_the_run(instance):
    result = dg.materialize([numbers], instance=instance, tags={"team": "data"})
    assert instance.get_run_by_id(result.run_id).tags["team"] == "data"


def test_execute_in_process_of_an_asset_job(instance):
    job = dg.define_asset_job("all_job", selection=dg.AssetSelection.all())
    defs = dg.Definitions(assets=[numbers, total], jobs=[job])

    result = defs.resolve_job_def("all_job").execute_in_process(instance=instance)

    assert result.success
    assert result.output_for_node("total") == 6
    assert instance.get_run_by_id(result.run_id).job_name == "all_job"


class Boom(Exception):
    pass


@dg.asset
def broken() -> int:
    raise Boom("kaboom")


@dg.asset
def after_broken(broken: int) -> int:
    return broken + 1


def test_raise_on_error_raises_the_users_exception(instance):
    # Dagster re-raises the user's own exception from execute_in_process / materialize.
    with pytest.raises(Boom, match="kaboom"):
        dg.materialize([broken], instance=instance)
    runs = instance.get_runs()
    assert runs[0].status == dg.DagsterRunStatus.FAILURE


def test_failed_run_without_raise_reports_failure_and_skips_downstream(instance):
    result = dg.materialize([broken, after_broken], instance=instance, raise_on_error=False)

    assert not result.success
    assert result.get_failed_step_keys() == {"broken"}
    failure = result.get_step_failure_events()[0]
    assert "kaboom" in failure.message
    assert "test_execution_materialize.py" in failure.message  # the user's file and line
    types = [e.event_type_value for e in result.all_events]
    assert "STEP_SKIPPED" in types
    assert types[-1] == "RUN_FAILURE"
    stored = instance.get_run_by_id(result.run_id)
    assert stored.status == dg.DagsterRunStatus.FAILURE
    assert result.asset_materializations_for_node("after_broken") == []


def test_failure_event_carries_the_users_traceback(instance):
    result = dg.materialize([broken], instance=instance, raise_on_error=False)
    failures = instance.all_logs(result.run_id, of_type=DagsterEventType.STEP_FAILURE)
    assert len(failures) == 1
    error = failures[0].dagster_event.event_specific_data.error
    assert error.cls_name == "Boom"
    assert any("raise Boom" in line for line in error.stack)


def test_asset_check_evaluations_in_result(instance):
    @dg.asset
    def orders() -> list[int]:
        return [1, 2]

    @dg.asset_check(asset=orders)
    def orders_not_empty(orders: list[int]) -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=len(orders) > 0, metadata={"n": len(orders)})

    result = dg.materialize([orders, orders_not_empty], instance=instance)

    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == 1
    assert evaluations[0].passed
    assert evaluations[0].check_name == "orders_not_empty"
    assert evaluations[0].asset_key == dg.AssetKey("orders")
    assert evaluations[0].metadata["n"].value == 2
    stored = instance.all_logs(result.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
    assert len(stored) == 1


def test_output_for_node_unknown_node_is_a_clear_error(instance):
    result = dg.materialize([numbers], instance=instance)
    with pytest.raises(dg.DagsterInvariantViolationError, match="nope"):
        result.output_for_node("nope")


def test_context_log_lines_land_in_the_event_log(instance):
    @dg.asset
    def chatty(context: dg.AssetExecutionContext) -> int:
        context.log.info("hello from chatty")
        return 1

    result = dg.materialize([chatty], instance=instance)
    logs = instance.all_logs(result.run_id, of_type=DagsterEventType.LOG)
    assert [e.user_message for e in logs] == ["hello from chatty"]
    assert logs[0].step_key == "chatty"
