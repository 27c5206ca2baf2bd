"""Run config (``Config``, ``RunConfig``, the dict form) and resources in runs: set up and torn
down around the run, ``EnvVar`` read at run time and never stored, clear setup errors."""

import sqlite3
from typing import Any

import pytest

import assettui as dg


@pytest.fixture
def instance(tmp_path):
    inst = dg.DagsterInstance.from_home(tmp_path / "home")
    yield inst
    inst.dispose()


class MyAssetConfig(dg.Config):
    person_name: str
    repeat: int = 1


@dg.asset
def greeting(config: MyAssetConfig) -> str:
    return ", ".join([f"hello {config.person_name}"] * config.repeat)


# ---- config ------------------------------------------------------------------------------


def test_run_config_object(instance):
    result = dg.materialize(
        [greeting],
        instance=instance,
        run_config=dg.RunConfig({"greeting": MyAssetConfig(person_name="Alice", repeat=2)}),
    )
    assert result.output_for_node("greeting") == "hello Alice, hello Alice"


def test_run_config_dict_form(instance):
    result = dg.materialize(
        [greeting],
        instance=instance,
        run_config={"ops": {"greeting": {"config": {"person_name": "Bob"}}}},
    )
    assert result.output_for_node("greeting") == "hello Bob"
    assert instance.get_run_by_id(result.run_id).run_config == {
        "ops": {"greeting": {"config": {"person_name": "Bob"}}}
    }


def test_config_defaults_apply_when_no_config_is_given(instance):
    class Optional_(dg.Config):
        limit: int = 5

    @dg.asset
    def limited(config: Optional_) -> int:
        return config.limit

    assert dg.materialize([limited], instance=instance).output_for_node("limited") == 5


def test_bad_config_names_the_field(instance):
    with pytest.raises(dg.DagsterInvalidConfigError) as info:
        dg.materialize(
            [greeting],
            instance=instance,
            run_config={"ops": {"greeting": {"config": {"repeat": "many"}}}},
        )
    message = str(info.value)
    assert "greeting" in message
    assert "person_name" in message  # missing required field
    assert "repeat" in message  # wrong type


def test_config_of_an_asset_job_via_execute_in_process(instance):
    job = dg.define_asset_job("greet_job", selection=[greeting])
    defs = dg.Definitions(assets=[greeting], jobs=[job])
    result = defs.resolve_job_def("greet_job").execute_in_process(
        instance=instance, run_config=dg.RunConfig({"greeting": MyAssetConfig(person_name="C")})
    )
    assert result.output_for_node("greeting") == "hello C"


# ---- resources ---------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []


RECORDER = Recorder()


class TrackedResource(dg.ConfigurableResource):
    name: str

    def setup_for_execution(self, context: Any) -> None:
        RECORDER.calls.append(f"setup {self.name}")

    def teardown_after_execution(self, context: Any) -> None:
        RECORDER.calls.append(f"teardown {self.name}")


def test_setup_and_teardown_wrap_the_run_in_order(instance):
    RECORDER.calls.clear()

    @dg.asset
    def uses_both(first: TrackedResource, second: TrackedResource) -> int:
        RECORDER.calls.append("asset")
        return 1

    dg.materialize(
        [uses_both],
        instance=instance,
        resources={"first": TrackedResource(name="a"), "second": TrackedResource(name="b")},
    )
    assert RECORDER.calls == ["setup a", "setup b", "asset", "teardown b", "teardown a"]


def test_teardown_runs_even_when_the_asset_fails(instance):
    RECORDER.calls.clear()

    @dg.asset
    def fails(first: TrackedResource) -> int:
        raise RuntimeError("nope")

    result = dg.materialize(
        [fails],
        instance=instance,
        resources={"first": TrackedResource(name="a")},
        raise_on_error=False,
    )
    assert not result.success
    assert RECORDER.calls == ["setup a", "teardown a"]


def test_resource_via_required_resource_keys_and_context(instance):
    class Api(dg.ConfigurableResource):
        base: str

    @dg.asset(required_resource_keys={"api"})
    def page(context: dg.AssetExecutionContext) -> str:
        return context.resources.api.base + "/page"

    result = dg.materialize([page], instance=instance, resources={"api": Api(base="http://x")})
    assert result.output_for_node("page") == "http://x/page"


def test_definitions_resources_reach_execute_in_process(instance):
    class Api(dg.ConfigurableResource):
        base: str

    @dg.asset
    def homepage(api: Api) -> str:
        return api.base

    defs = dg.Definitions(
        assets=[homepage],
        jobs=[dg.define_asset_job("j", selection=[homepage])],
        resources={"api": Api(base="https://h")},
    )
    result = defs.resolve_job_def("j").execute_in_process(instance=instance)
    assert result.output_for_node("homepage") == "https://h"


def test_resource_raising_in_setup_names_the_resource(instance):
    class Flaky(dg.ConfigurableResource):
        def setup_for_execution(self, context: Any) -> None:
            raise ConnectionError("db down")

    @dg.asset
    def needs_db(database: Flaky) -> int:
        return 1

    with pytest.raises(dg.DagsterError) as info:
        dg.materialize([needs_db], instance=instance, resources={"database": Flaky()})
    assert "database" in str(info.value)
    assert "db down" in str(info.value)
    assert instance.get_runs()[0].status == dg.DagsterRunStatus.FAILURE


class Warehouse(dg.ConfigurableResource):
    dsn: str

    def query(self) -> str:
        return self.dsn


@dg.asset
def warehouse_value(warehouse: Warehouse) -> str:
    return warehouse.query()


def _events_text(instance) -> str:
    path = instance.storage.home / "assettui.db"
    if not path.exists():
        path = next(instance.storage.home.glob("*.db"))
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT message, payload FROM events").fetchall()
        runs = conn.execute("SELECT * FROM runs").fetchall()
    return repr(rows) + repr(runs)


def test_env_var_resolved_at_run_time(instance, monkeypatch):
    resource = Warehouse(dsn=dg.EnvVar("ASSETTUI_TEST_DSN"))  # defined before the var exists
    monkeypatch.setenv("ASSETTUI_TEST_DSN", "postgres://secret-value")
    result = dg.materialize_to_memory(
        [warehouse_value], instance=instance, resources={"warehouse": resource}
    )
    assert result.output_for_node("warehouse_value") == "postgres://secret-value"


def test_env_var_value_never_stored_in_events(instance, monkeypatch):
    monkeypatch.setenv("ASSETTUI_TEST_DSN", "postgres://secret-value")

    @dg.asset
    def leaky(context: dg.AssetExecutionContext, warehouse: Warehouse) -> str:
        context.log.info(f"using {warehouse!r}")
        return "ok"

    dg.materialize(
        [leaky],
        instance=instance,
        resources={"warehouse": Warehouse(dsn=dg.EnvVar("ASSETTUI_TEST_DSN"))},
    )
    text = _events_text(instance)
    assert "leaky" in text
    assert "secret-value" not in text


def test_missing_env_var_is_a_clear_error(instance, monkeypatch):
    monkeypatch.delenv("ASSETTUI_TEST_UNSET", raising=False)
    with pytest.raises(dg.DagsterError, match="ASSETTUI_TEST_UNSET"):
        dg.materialize(
            [warehouse_value],
            instance=instance,
            resources={"warehouse": Warehouse(dsn=dg.EnvVar("ASSETTUI_TEST_UNSET"))},
        )


def test_env_var_get_value_reads_the_environment(monkeypatch):
    monkeypatch.setenv("ASSETTUI_TEST_X", "1")
    assert dg.EnvVar("ASSETTUI_TEST_X").get_value() == "1"


def test_resource_missing_from_run_is_a_clear_error(instance):
    with pytest.raises(dg.DagsterError, match="warehouse"):
        dg.materialize([warehouse_value], instance=instance)


def test_plain_object_resource(instance):
    class Client:
        def fetch(self) -> int:
            return 42

    @dg.asset
    def fetched(client: dg.ResourceParam[Client]) -> int:
        return client.fetch()

    result = dg.materialize([fetched], instance=instance, resources={"client": Client()})
    assert result.output_for_node("fetched") == 42


def test_bad_config_is_refused_before_the_run_starts(instance):
    # As in Dagster: config is validated up front, even with raise_on_error=False.
    with pytest.raises(dg.DagsterInvalidConfigError, match="person_name"):
        dg.materialize([greeting], instance=instance, raise_on_error=False)
    assert instance.get_runs() == []


def test_one_resources_namespace_with_one_helpful_error_everywhere():
    from assettui.model.resources import Resources

    asset_ctx = dg.build_asset_context(resources={"db": "conn"})
    schedule_ctx = dg.build_schedule_context(resources={"db": "conn"})
    sensor_ctx = dg.build_sensor_context(resources={"db": "conn"})
    for context in (asset_ctx, schedule_ctx, sensor_ctx):
        assert isinstance(context.resources, Resources)
        assert context.resources.db == "conn" and "db" in context.resources
        with pytest.raises(AttributeError, match=r"No resource 'dbb' here \(resources: db\)"):
            _ = context.resources.dbb
