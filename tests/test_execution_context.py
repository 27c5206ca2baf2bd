"""``AssetExecutionContext`` in runs, and ``build_asset_context`` + direct invocation."""

from unittest.mock import MagicMock

import pytest

import assettui as dg


@pytest.fixture
def instance(tmp_path):
    inst = dg.DagsterInstance.from_home(tmp_path / "home")
    yield inst
    inst.dispose()


def test_context_properties_inside_a_run(instance):
    seen = {}

    @dg.asset(key_prefix=["shop"])
    def orders(context: dg.AssetExecutionContext) -> int:
        seen["run_id"] = context.run_id
        seen["run"] = context.run
        seen["asset_key"] = context.asset_key
        seen["selected"] = context.selected_asset_keys
        seen["instance"] = context.instance
        seen["retry_number"] = context.retry_number
        seen["has_partition_key"] = context.has_partition_key
        seen["tags"] = context.run.tags
        return 1

    result = dg.materialize([orders], instance=instance, tags={"owner": "me"})

    assert seen["run_id"] == result.run_id
    assert seen["run"].run_id == result.run_id
    assert seen["asset_key"] == dg.AssetKey(["shop", "orders"])
    assert seen["selected"] == {dg.AssetKey(["shop", "orders"])}
    assert seen["instance"] is instance
    assert seen["retry_number"] == 0
    assert seen["has_partition_key"] is False
    assert seen["tags"]["owner"] == "me"


def test_partition_key_of_unpartitioned_asset_raises():
    @dg.asset
    def plain(context: dg.AssetExecutionContext) -> int:
        return len(context.partition_key)

    with pytest.raises(dg.DagsterInvalidPropertyError, match="not partitioned"):
        dg.materialize([plain])


def test_add_output_metadata_lands_on_the_materialization(instance):
    @dg.asset
    def table(context: dg.AssetExecutionContext) -> list[int]:
        rows = [1, 2, 3]
        context.add_output_metadata({"num_rows": len(rows), "preview": dg.MetadataValue.md("x")})
        return rows

    result = dg.materialize([table], instance=instance)

    mat = result.asset_materializations_for_node("table")[0]
    assert mat.metadata["num_rows"].value == 3
    assert mat.metadata["preview"].value == "x"
    stored = instance.get_latest_materialization_event(dg.AssetKey("table"))
    assert stored.asset_materialization.metadata["num_rows"].value == 3


def test_selected_asset_keys_in_a_multi_asset():
    seen = {}

    @dg.multi_asset(outs={"a": dg.AssetOut(), "b": dg.AssetOut()})
    def both(context: dg.AssetExecutionContext):
        seen["keys"] = context.selected_asset_keys
        return 1, 2

    dg.materialize([both])
    assert seen["keys"] == {dg.AssetKey("a"), dg.AssetKey("b")}


# ---- direct invocation ------------------------------------------------------------------


def test_direct_invocation_without_context():
    @dg.asset
    def doubled(numbers: list[int]) -> list[int]:
        return [n * 2 for n in numbers]

    assert doubled([1, 2]) == [2, 4]
    assert doubled(numbers=[3]) == [6]


def test_direct_invocation_with_built_context_logs_and_reads_partition():
    @dg.asset(partitions_def=dg.StaticPartitionsDefinition(["a", "b"]))
    def part(context: dg.AssetExecutionContext) -> str:
        context.log.info("running %s", context.partition_key)
        return context.partition_key.upper()

    context = dg.build_asset_context(partition_key="b")
    assert part(context) == "B"
    assert context.has_partition_key


class GreetingConfig(dg.Config):
    name: str = "world"
    times: int = 1


@dg.asset
def greeting(config: GreetingConfig) -> str:
    return " ".join([f"hello {config.name}"] * config.times)


def test_direct_invocation_with_config():
    assert greeting(config=GreetingConfig(name="ann", times=2)) == "hello ann hello ann"
    assert greeting(config=GreetingConfig()) == "hello world"


def test_direct_invocation_with_config_from_context():
    @dg.asset
    def greet_ctx(context: dg.AssetExecutionContext, config: GreetingConfig) -> str:
        return config.name

    ctx = dg.build_asset_context(asset_config={"name": "bob"})
    assert greet_ctx(ctx) == "bob"


def test_direct_invocation_with_a_magicmock_resource_via_context():
    @dg.asset(required_resource_keys={"api"})
    def fetched(context: dg.AssetExecutionContext) -> str:
        return context.resources.api.get("/items")

    api = MagicMock()
    api.get.return_value = "items!"
    assert fetched(dg.build_asset_context(resources={"api": api})) == "items!"
    api.get.assert_called_once_with("/items")


class Warehouse(dg.ConfigurableResource):
    dsn: str

    def query(self, sql: str) -> str:
        return f"{self.dsn}:{sql}"


@dg.asset
def counted(warehouse: Warehouse) -> str:
    return warehouse.query("select 1")


def test_direct_invocation_with_a_typed_resource_argument():
    assert counted(warehouse=Warehouse(dsn="db")) == "db:select 1"


def test_direct_invocation_of_a_context_taking_asset_reads_typed_resource_from_context():
    @dg.asset
    def counted_ctx(context: dg.AssetExecutionContext, warehouse: Warehouse) -> str:
        return warehouse.query("select 2")

    ctx = dg.build_asset_context(resources={"warehouse": Warehouse(dsn="x")})
    assert counted_ctx(ctx) == "x:select 2"


def test_context_may_be_passed_to_an_asset_without_a_context_parameter():
    ctx = dg.build_asset_context(resources={"warehouse": Warehouse(dsn="x")})
    assert counted(ctx) == "x:select 1"


def test_magicmock_resource_in_a_real_run(instance):
    @dg.asset
    def uses_client(client: dg.ResourceParam[MagicMock]) -> int:
        return client.count()

    client = MagicMock()
    client.count.return_value = 7
    result = dg.materialize_to_memory(
        [uses_client], instance=instance, resources={"client": client}
    )
    assert result.output_for_node("uses_client") == 7
    client.count.assert_called_once()


def test_missing_context_argument_is_a_clear_error():
    @dg.asset
    def needs_ctx(context: dg.AssetExecutionContext) -> int:
        return 1

    with pytest.raises(dg.DagsterInvalidInvocationError, match="context"):
        needs_ctx()


def test_build_asset_context_resources_resolve_env_vars(monkeypatch):
    monkeypatch.setenv("WAREHOUSE_DSN_CTX", "secret-dsn")
    ctx = dg.build_asset_context(
        resources={"warehouse": Warehouse(dsn=dg.EnvVar("WAREHOUSE_DSN_CTX"))}
    )
    assert ctx.resources.warehouse.dsn == "secret-dsn"
    assert "secret-dsn" not in repr(ctx.resources.warehouse)
