"""Dagster compatibility: table metadata, legacy policies, freshness, logger, small helpers.

Hook-free tests import the new modules directly; ``needs hook`` tests go through
``import assettui as dg`` / ``@asset`` / ``materialize`` and pass once the lead wires the
hooks listed in the compat report.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assettui.automation.clock import ManualClock
from assettui.automation.freshness import freshness_state
from assettui.automation.scheduler import Scheduler, SchedulerSettings
from assettui.errors import DefinitionError
from assettui.execution.in_process import materialize
from assettui.file_paths import file_relative_path
from assettui.logging_compat import capture_dagster_logs, get_dagster_logger
from assettui.model.asset_key import AssetKey
from assettui.model.assets.bound_resources import (
    bound_resources,
    merge_bound_resources,
    with_resources,
)
from assettui.model.assets.decorator import asset
from assettui.model.automation.conditions import AutomationCondition
from assettui.model.automation.legacy_policies import (
    AutoMaterializePolicy,
    AutoMaterializePolicyType,
    AutoMaterializeRule,
    CronFreshnessPolicy,
    FreshnessPolicy,
    FreshnessState,
    LegacyFreshnessPolicy,
    TimeWindowFreshnessPolicy,
    resolve_automation_condition,
)
from assettui.model.dagster_types import Nothing, is_nothing
from assettui.model.definitions import Definitions
from assettui.model.metadata.table import (
    COLUMN_LINEAGE,
    TABLE,
    TABLE_SCHEMA,
    TableColumn,
    TableColumnConstraints,
    TableColumnDep,
    TableColumnLineage,
    TableConstraints,
    TableData,
    TableMetadataSet,
    TableRecord,
    TableSchema,
    table_value_from_json,
    table_value_text,
    table_value_to_json,
)
from assettui.model.metadata.values import (
    MetadataValue,
    column_lineage_value,
    table_metadata_value,
    table_schema_value,
    table_value,
)
from assettui.model.resources import ConfigurableResource
from assettui.storage import DagsterEventType, DagsterRunStatus, Storage
from assettui.storage.instance import DagsterInstance

AC = AutomationCondition

SCHEMA = TableSchema(
    columns=[
        TableColumn("id", "int", constraints=TableColumnConstraints(nullable=False, unique=True)),
        TableColumn("name", description="the name", tags={"pii": "true"}),
    ],
    constraints=TableConstraints(other=["id > 0"]),
)
LINEAGE = TableColumnLineage(
    deps_by_column={
        "total": [TableColumnDep("orders", "amount"), TableColumnDep(["raw", "fx"], "rate")]
    }
)


# ---- table metadata ----------------------------------------------------------------------


def test_table_values_have_dagsters_defaults_and_compare_by_value() -> None:
    column = TableColumn("x")
    assert (column.type, column.description, column.tags) == ("string", None, {})
    assert column.constraints == TableColumnConstraints(nullable=True, unique=False, other=())
    assert TableSchema(columns=[column]) == TableSchema(columns=(column,))
    assert TableSchema.from_name_type_dict({"a": "int", "b": "float"}).columns == (
        TableColumn("a", "int"),
        TableColumn("b", "float"),
    )
    assert hash(SCHEMA) == hash(TableSchema(list(SCHEMA.columns), SCHEMA.constraints))
    assert LINEAGE.deps_by_column["total"][1].asset_key == AssetKey(["raw", "fx"])


def test_bad_table_values_are_definition_errors() -> None:
    with pytest.raises(DefinitionError, match="TableColumn values"):
        TableSchema(columns=["id"])  # type: ignore[list-item]
    with pytest.raises(DefinitionError, match="field 'when'"):
        TableRecord({"when": datetime(2026, 1, 1)})  # type: ignore[dict-item]
    with pytest.raises(DefinitionError, match="same fields"):
        TableData([TableRecord({"a": 1}), TableRecord({"b": 1})])
    with pytest.raises(DefinitionError, match="give a schema"):
        TableData([])
    with pytest.raises(DefinitionError, match="TableColumnDep"):
        TableColumnLineage({"a": ["orders.amount"]})  # type: ignore[list-item]


def test_table_schema_is_inferred_from_the_first_record() -> None:
    value = table_value([TableRecord({"code": "x", "row": 2, "ok": True, "share": 0.5})])
    assert value.kind == TABLE
    assert [(c.name, c.type) for c in value.value.schema.columns] == [
        ("code", "string"),
        ("row", "int"),
        ("ok", "bool"),
        ("share", "float"),
    ]
    assert value.value.records[0].data["row"] == 2


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (table_schema_value(SCHEMA), TABLE_SCHEMA),
        (column_lineage_value(LINEAGE), COLUMN_LINEAGE),
        (
            table_value(
                [TableRecord({"a": 1, "b": None})],
                TableSchema([TableColumn("a", "int"), TableColumn("b")]),
            ),
            TABLE,
        ),
    ],
)
def test_table_values_survive_json(value: MetadataValue, kind: str) -> None:
    import json

    assert value.kind == kind
    stored = json.loads(json.dumps(table_value_to_json(kind, value.value)))
    assert table_value_from_json(kind, stored) == value.value


def test_raw_table_values_normalize_to_typed_values() -> None:
    assert table_metadata_value(SCHEMA) == MetadataValue(TABLE_SCHEMA, SCHEMA)
    assert table_metadata_value(LINEAGE) == MetadataValue(COLUMN_LINEAGE, LINEAGE)
    assert table_metadata_value("text") is None


def test_table_values_read_as_one_line() -> None:
    assert table_value_text(TABLE_SCHEMA, SCHEMA) == "id: int, name: string"
    assert table_value_text(COLUMN_LINEAGE, LINEAGE) == "total <- orders.amount, raw/fx.rate"
    rows = table_value([TableRecord({"a": 1}), TableRecord({"a": 2})])
    assert table_value_text(TABLE, rows.value) == "2 rows x 1 columns"


def test_table_metadata_set_splats_into_metadata_and_extracts_back() -> None:
    tms = TableMetadataSet(column_schema=SCHEMA, row_count=3, table_name="db.s.t")
    metadata = {"owner": "me", **tms}
    assert metadata == {
        "owner": "me",
        "dagster/column_schema": SCHEMA,
        "dagster/row_count": 3,
        "dagster/table_name": "db.s.t",
    }
    assert TableMetadataSet.extract(metadata) == tms
    typed = {"dagster/row_count": MetadataValue.int(7), "dagster/relation_identifier": "a.b"}
    assert TableMetadataSet.extract(typed) == TableMetadataSet(row_count=7, table_name="a.b")
    assert TableMetadataSet.namespace() == "dagster"


def test_table_metadata_is_stored_and_read_back_typed(tmp_path: Path) -> None:
    from assettui.model.results import MaterializeResult

    @asset(metadata={"dagster/column_schema": SCHEMA})
    def customers():
        return MaterializeResult(metadata={**TableMetadataSet(row_count=2, column_lineage=LINEAGE)})

    instance = DagsterInstance(Storage(tmp_path / "home"))
    materialize([customers], instance=instance)
    spec = Definitions(assets=[customers]).resolve_all_asset_specs()[0]
    from assettui.model.metadata.values import normalize_metadata

    assert normalize_metadata(spec.metadata)["dagster/column_schema"].value == SCHEMA
    event = instance.get_latest_materialization_event(AssetKey("customers"))
    assert event is not None and event.asset_materialization is not None
    stored = event.asset_materialization.metadata
    assert stored["dagster/column_lineage"].kind == COLUMN_LINEAGE
    assert stored["dagster/column_lineage"].value == LINEAGE
    assert stored["dagster/row_count"].value == 2
    assert MetadataValue.table_schema(SCHEMA).text_value == "id: int, name: string"
    instance.dispose()


# ---- AutoMaterializePolicy ---------------------------------------------------------------


def test_eager_policy_is_the_eager_condition() -> None:
    policy = AutoMaterializePolicy.eager()
    assert policy.policy_type is AutoMaterializePolicyType.EAGER
    assert policy.to_automation_condition() == AC.eager()
    assert AutoMaterializePolicy.eager(max_materializations_per_minute=None).rules == policy.rules


def test_lazy_policy_is_not_automated() -> None:
    policy = AutoMaterializePolicy.lazy()
    assert policy.policy_type is AutoMaterializePolicyType.LAZY
    assert policy.to_automation_condition() is None


def test_changed_rules_map_rule_by_rule() -> None:
    policy = AutoMaterializePolicy.eager().without_rules(
        AutoMaterializeRule.skip_on_parent_missing()
    )
    condition = policy.to_automation_condition()
    assert condition is not None
    text = condition.structure()
    assert "any_deps_updated" in text and "newly_missing" in text
    assert "any_deps_missing" not in text
    cron = AutoMaterializePolicy.lazy().with_rules(
        AutoMaterializeRule.materialize_on_cron("0 6 * * *", timezone="Europe/Paris")
    )
    assert "cron_tick_passed(0 6 * * *, Europe/Paris)" in cron.to_automation_condition().structure()  # type: ignore[union-attr]


def test_policy_arguments_are_checked() -> None:
    with pytest.raises(DefinitionError, match="not in this"):
        AutoMaterializePolicy.lazy().without_rules(AutoMaterializeRule.materialize_on_missing())
    with pytest.raises(DefinitionError, match="exactly one"):
        AutoMaterializePolicy(rules=frozenset())
    with pytest.raises(DefinitionError, match="positive"):
        AutoMaterializePolicy.eager(max_materializations_per_minute=0)
    condition = AC.on_missing()
    assert AutoMaterializePolicy.from_automation_condition(condition).to_automation_condition() == (
        condition
    )


def test_resolve_automation_condition_follows_dagster() -> None:
    eager = AutoMaterializePolicy.eager()
    assert resolve_automation_condition(None, eager) == AC.eager()
    assert resolve_automation_condition(AC.on_missing(), None) == AC.on_missing()
    with pytest.raises(DefinitionError, match="not both"):
        resolve_automation_condition(AC.on_missing(), eager, "@asset 'x'")
    with pytest.raises(DefinitionError, match="must be an AutoMaterializePolicy"):
        resolve_automation_condition(None, "eager")  # type: ignore[arg-type]


def _scheduler(tmp_path: Path, assets: list) -> tuple[Scheduler, ManualClock, Storage]:
    storage = Storage(tmp_path / "home")
    clock = ManualClock(datetime(2026, 3, 2, 8, tzinfo=UTC))

    class Launcher:  # records a run as a worker would: started, materialized, success
        def launch(self, run_id: str) -> None:
            from assettui.storage import NewEvent

            run = storage.runs.get_run(run_id)
            assert run is not None
            storage.runs.update_run_status(run_id, DagsterRunStatus.STARTED)
            materialized = DagsterEventType.ASSET_MATERIALIZATION
            storage.event_log.store_events(
                [
                    NewEvent(run_id, materialized, asset_key=key, payload={"metadata": {}})
                    for key in sorted(run.asset_selection or ())
                ]
            )
            storage.runs.update_run_status(run_id, DagsterRunStatus.SUCCESS)

    scheduler = Scheduler(
        storage,
        Definitions(assets=assets),
        Launcher(),
        clock=clock,
        settings=SchedulerSettings(automation_interval_seconds=30),
        monitor_runs=False,
    )
    return scheduler, clock, storage


def _requested(storage: Storage, report) -> list[list[str]]:
    tick = report.automation_tick
    runs = [storage.runs.get_run(r) for r in (tick.run_ids if tick else ())]
    return [sorted(k.to_user_string() for k in r.asset_selection) for r in runs if r]


def test_a_policys_condition_drives_the_scheduler(tmp_path: Path) -> None:
    condition = AutoMaterializePolicy.eager().to_automation_condition()

    @asset(automation_condition=condition)
    def source():
        return 1

    @asset(automation_condition=condition)
    def child(source):
        return source

    scheduler, clock, storage = _scheduler(tmp_path, [source, child])
    first = scheduler.run_once()
    assert _requested(storage, first) == [["child", "source"]]
    clock.advance(timedelta(seconds=30))
    assert _requested(storage, scheduler.run_once()) == []  # handled: nothing new
    storage.close()


def test_asset_accepts_auto_materialize_policy() -> None:
    @asset(auto_materialize_policy=AutoMaterializePolicy.eager())
    def eager_asset():
        return 1

    assert eager_asset.specs[0].automation_condition == AC.eager()
    with pytest.raises(DefinitionError, match="not both"):
        asset(
            automation_condition=AC.eager(),
            auto_materialize_policy=AutoMaterializePolicy.eager(),
        )(lambda: 1)


# ---- FreshnessPolicy ------------------------------------------------------------------------


NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_freshness_policy_constructors_and_legacy_form() -> None:
    window = FreshnessPolicy.time_window(
        fail_window=timedelta(hours=24), warn_window=timedelta(hours=12)
    )
    assert isinstance(window, TimeWindowFreshnessPolicy) and isinstance(window, FreshnessPolicy)
    cron = FreshnessPolicy.cron(deadline_cron="0 10 * * *", lower_bound_delta=timedelta(hours=1))
    assert isinstance(cron, CronFreshnessPolicy) and cron.timezone == "UTC"
    legacy = FreshnessPolicy(maximum_lag_minutes=60)
    assert isinstance(legacy, LegacyFreshnessPolicy) and legacy.maximum_lag_delta == timedelta(
        hours=1
    )
    with pytest.raises(DefinitionError, match="time_window"):
        FreshnessPolicy()


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: FreshnessPolicy.time_window(timedelta(seconds=30)), "fail_window"),
        (lambda: FreshnessPolicy.time_window(timedelta(hours=1), timedelta(hours=2)), "less than"),
        (lambda: FreshnessPolicy.cron("often", timedelta(hours=1)), "not a valid cron"),
        (lambda: FreshnessPolicy.cron("0 * * * *", timedelta(hours=1), "Mars/Base"), "Mars"),
        (lambda: FreshnessPolicy(maximum_lag_minutes=5, cron_schedule="nope"), "nope"),
    ],
)
def test_bad_freshness_policies_are_definition_errors(build, match: str) -> None:
    with pytest.raises(DefinitionError, match=match):
        build()


def test_freshness_state_of_a_time_window() -> None:
    policy = FreshnessPolicy.time_window(timedelta(hours=24), warn_window=timedelta(hours=12))
    assert freshness_state(policy, None, NOW) is FreshnessState.UNKNOWN
    assert freshness_state(policy, NOW - timedelta(hours=1), NOW) is FreshnessState.PASS
    assert freshness_state(policy, NOW - timedelta(hours=13), NOW) is FreshnessState.WARN
    assert (
        freshness_state(policy, (NOW - timedelta(hours=25)).timestamp(), NOW) is FreshnessState.FAIL
    )
    assert freshness_state(None, NOW, NOW) is FreshnessState.NOT_APPLICABLE


def test_freshness_state_of_a_cron_deadline() -> None:
    policy = FreshnessPolicy.cron("0 10 * * *", lower_bound_delta=timedelta(hours=1))
    # at 12:00 the deadline was 10:00 today: fresh only if materialized after 09:00
    assert freshness_state(policy, NOW.replace(hour=9, minute=30), NOW) is FreshnessState.PASS
    assert freshness_state(policy, NOW.replace(hour=8), NOW) is FreshnessState.FAIL
    # at 09:30 the deadline is yesterday's 10:00: yesterday 09:30 still counts
    morning = NOW.replace(hour=9, minute=30)
    assert freshness_state(policy, morning - timedelta(days=1), morning) is FreshnessState.PASS


def test_freshness_state_of_a_legacy_policy() -> None:
    lag = LegacyFreshnessPolicy(maximum_lag_minutes=30)
    assert freshness_state(lag, NOW - timedelta(minutes=20), NOW) is FreshnessState.PASS
    assert freshness_state(lag, NOW - timedelta(minutes=40), NOW) is FreshnessState.FAIL
    daily = LegacyFreshnessPolicy(maximum_lag_minutes=60, cron_schedule="0 11 * * *")
    assert freshness_state(daily, NOW.replace(hour=10, minute=30), NOW) is FreshnessState.PASS
    assert freshness_state(daily, NOW.replace(hour=9), NOW) is FreshnessState.FAIL


def test_assets_keep_their_freshness_policy() -> None:
    from assettui.model.assets.spec import AssetSpec

    policy = FreshnessPolicy.time_window(timedelta(hours=6))

    @asset(freshness_policy=policy)
    def fresh():
        return 1

    assert fresh.specs[0].freshness_policy == policy
    assert AssetSpec("ext", freshness_policy=policy).freshness_policy == policy  # type: ignore[call-arg]


# ---- get_dagster_logger -------------------------------------------------------------------


def test_get_dagster_logger_uses_dagsters_names() -> None:
    assert get_dagster_logger().name == "dagster.builtin"
    assert get_dagster_logger("etl").name == "dagster.builtin.etl"
    assert logging.getLogger("dagster").level == logging.DEBUG


def test_records_are_captured_only_inside_a_step() -> None:
    captured: list[tuple[str, str]] = []
    log = get_dagster_logger("capture_test")
    log.info("before")
    with capture_dagster_logs(lambda level, text: captured.append((level, text))):
        log.info("rows=%d", 3)
        get_dagster_logger().warning("careful")
        logging.getLogger("someone.else").error("not dagster's")
    log.info("after")
    assert captured == [("INFO", "rows=3"), ("WARNING", "careful")]


def test_a_failing_emitter_never_fails_the_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logging, "raiseExceptions", False)

    def broken(level: str, text: str) -> None:
        raise OSError("disk full")

    with capture_dagster_logs(broken):
        get_dagster_logger().info("still fine")


def test_get_dagster_logger_lines_land_in_the_run_log(tmp_path: Path) -> None:
    @asset
    def chatty():
        get_dagster_logger().info("hello from a helper")
        return 1

    instance = DagsterInstance(Storage(tmp_path / "home"))
    result = materialize([chatty], instance=instance)
    logs = instance.all_logs(result.run_id, of_type=DagsterEventType.LOG)
    assert [e.user_message for e in logs] == ["hello from a helper"]
    instance.dispose()


# ---- file_relative_path, Nothing --------------------------------------------------------------


def test_file_relative_path_resolves_next_to_the_file(tmp_path: Path) -> None:
    here = str(tmp_path / "pkg" / "defs.py")
    assert file_relative_path(here, "data/x.csv") == str(
        (tmp_path / "pkg" / "data" / "x.csv").resolve()
    )
    assert file_relative_path(here, "../up.txt") == str((tmp_path / "up.txt").resolve())
    with pytest.raises(TypeError, match="relative_path"):
        file_relative_path(here, Path("x"))  # type: ignore[arg-type]


def test_nothing_is_recognized() -> None:
    assert is_nothing(Nothing) and repr(Nothing) == "Nothing"
    assert not is_nothing(None) and not is_nothing(int)


def test_a_nothing_asset_stores_no_value(tmp_path: Path) -> None:
    from assettui.execution.io_managers.base import IOManager

    class Recording(IOManager):
        def __init__(self) -> None:
            self.handled: list[str] = []

        def handle_output(self, context, obj) -> None:
            self.handled.append(context.asset_key.to_user_string())

        def load_input(self, context):
            raise AssertionError("nothing to load")

    @asset(dagster_type=Nothing)
    def side_effect():  # no "-> None": only the dagster_type says there is no value
        return None

    manager = Recording()
    result = materialize([side_effect], resources={"io_manager": manager})
    assert result.success and manager.handled == []


# ---- with_resources -----------------------------------------------------------------------


class Db(ConfigurableResource):
    url: str = "sqlite://"


def test_with_resources_binds_copies() -> None:
    @asset
    def reads_db():
        return 1

    db = object()
    [bound] = with_resources([reads_db], {"db": db})
    assert bound is not reads_db and bound.key == reads_db.key
    assert bound_resources([bound]) == {"db": db}
    assert bound_resources([reads_db]) == {}
    other = object()
    [rebound] = with_resources([bound], {"db": other, "cache": other})
    assert bound_resources([rebound]) == {"db": db, "cache": other}  # the asset's own wins


def test_conflicting_bound_resources_are_errors() -> None:
    @asset
    def a():
        return 1

    @asset
    def b():
        return 1

    [ba] = with_resources([a], {"db": object()})
    [bb] = with_resources([b], {"db": object()})
    with pytest.raises(DefinitionError, match="bound differently"):
        bound_resources([ba, bb])
    with pytest.raises(DefinitionError, match="given to Definitions"):
        merge_bound_resources({"db": object()}, [ba])
    with pytest.raises(DefinitionError, match="resource_config_by_key"):
        with_resources([a], {}, resource_config_by_key={"db": {"config": {}}})


def test_bound_resources_reach_the_asset() -> None:
    @asset
    def reads_db(db: Db) -> str:
        return db.url

    defs = Definitions(assets=with_resources([reads_db], {"db": Db(url="duckdb://x")}))
    assert "db" in defs.resources
    result = materialize(with_resources([reads_db], {"db": Db(url="duckdb://x")}))
    assert result.output_for_node("reads_db") == "duckdb://x"
