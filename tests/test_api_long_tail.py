"""Dagster's long tail of names, each as Dagster behaves (the same snippets were run against
Dagster 1.13): legacy resources and IO managers with config, test contexts, factories and
adapters, launch-time config, validate_run_config, partition loading contexts, code
references, loading stored values, multi-partition keys, components.load_defs."""

from __future__ import annotations

import contextlib
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

import assettui as dg


@dg.resource(config_schema={"url": str, "pool": dg.Field(int, default_value=2)})
@contextlib.contextmanager
def db(init_context):
    opened.append(
        ("open", init_context.resource_config["url"], init_context.resource_config["pool"])
    )
    yield {"url": init_context.resource_config["url"]}
    opened.append(("close",))


opened: list[tuple] = []


class Client:
    def __init__(self, token: str) -> None:
        self.token = token


class ClientFactory(dg.ConfigurableResourceFactory[Client]):
    token: str

    def create_resource(self, context) -> Client:
        return Client(self.token)


class UsesDep(dg.ConfigurableResource):
    client: dg.ResourceDependency[Client]


class Legacy(dg.ConfigurableLegacyResourceAdapter):
    url: str

    @property
    def wrapped_resource(self) -> dg.ResourceDefinition:
        return db


class AtLaunch(dg.ConfigurableResource):
    name: str


def test_legacy_resources_take_config_with_defaults_and_context_managers() -> None:
    opened.clear()
    with dg.build_resources(
        {"db": db}, resource_config={"db": {"config": {"url": "sqlite://"}}}
    ) as res:
        assert res.db == {"url": "sqlite://"}
        assert opened == [("open", "sqlite://", 2)]
    assert opened[-1] == ("close",)
    assert dg.build_init_resource_context(config={"url": "x"}).resource_config == {"url": "x"}
    with (
        pytest.raises(dg.DagsterInvalidConfigError, match="url: missing required field"),
        dg.build_resources({"db": db}),
    ):
        pass
    configured = db.configured({"url": "pg://"})
    with dg.build_resources({"db": configured}) as res:
        assert res.db == {"url": "pg://"}


@dg.asset
def combined(
    factory: dg.ResourceParam[Client], legacy: dg.ResourceParam[dict], late: AtLaunch
) -> str:
    return f"{factory.token}/{legacy['url']}/{late.name}"


def test_factories_adapters_and_configure_at_launch_in_a_run() -> None:
    resources = {
        "factory": ClientFactory(token="t1"),
        "legacy": Legacy(url="pg://"),
        "late": AtLaunch.configure_at_launch(),
    }
    result = dg.materialize(
        [combined],
        resources=resources,
        run_config={"resources": {"late": {"config": {"name": "N"}}}},
    )
    assert result.output_for_node("combined") == "t1/pg:///N"
    instance = dg.DagsterInstance.ephemeral()
    with pytest.raises(dg.DagsterInvalidConfigError, match=r"(?s)Resource 'late'.*name"):
        dg.materialize([combined], resources=resources, instance=instance)
    assert instance.get_runs() == []  # refused before the run existed
    assert UsesDep(client=Client("zz")).client.token == "zz"
    assert dg.Resource is dg.ConfigurableResource


def test_io_manager_test_contexts_and_builtin_io_manager_definitions(tmp_path: Path) -> None:
    class Recording(dg.IOManager):
        def __init__(self) -> None:
            self.values: dict = {}

        def handle_output(self, context, obj) -> None:
            self.values[tuple(context.get_identifier())] = obj

        def load_input(self, context):
            return self.values[tuple(context.upstream_output.get_identifier())]

    io = Recording()
    out = dg.build_output_context(step_key="s", name="result", run_id="r1")
    io.handle_output(out, 5)
    assert out.get_identifier() == ["r1", "s", "result"]
    assert io.load_input(dg.build_input_context(upstream_output=out)) == 5
    asset_out = dg.build_output_context(asset_key=dg.AssetKey(["x", "y"]), partition_key="p")
    assert (list(asset_out.asset_key.path), asset_out.partition_key) == (["x", "y"], "p")

    @dg.op(config_schema={"n": dg.Field(int, default_value=3)})
    def o(context) -> int:
        return context.op_config["n"]

    @dg.job(resource_defs={"io_manager": dg.fs_io_manager.configured({"base_dir": str(tmp_path)})})
    def on_disk():
        o()

    run = on_disk.execute_in_process()
    assert (tmp_path / run.run_id / "o" / "result").is_file()

    @dg.job(resource_defs={"io_manager": dg.mem_io_manager})
    def in_memory():
        o()

    assert in_memory.execute_in_process().output_for_node("o") == 3
    assert dg.validate_run_config(in_memory, {}) == {"ops": {"o": {"config": {"n": 3}}}}
    with pytest.raises(dg.DagsterInvalidConfigError, match="expected int"):
        dg.validate_run_config(in_memory, {"ops": {"o": {"config": {"n": "x"}}}})


def test_legacy_io_manager_adapter() -> None:
    stored: dict = {}

    @dg.io_manager(config_schema={"prefix": str})
    def prefixed(init_context):
        prefix = init_context.resource_config["prefix"]

        class Prefixed(dg.IOManager):
            def handle_output(self, context, obj) -> None:
                stored[prefix + context.asset_key.to_user_string()] = obj

            def load_input(self, context):
                return stored[prefix + context.asset_key.to_user_string()]

        return Prefixed()

    class Adapter(dg.ConfigurableLegacyIOManagerAdapter):
        prefix: str

        @property
        def wrapped_io_manager(self) -> dg.IOManagerDefinition:
            return prefixed

    @dg.asset
    def value() -> int:
        return 7

    dg.materialize([value], resources={"io_manager": Adapter(prefix="p:")})
    assert stored == {"p:value": 7}


def test_partition_loading_context_sets_the_effective_time() -> None:
    daily = dg.DailyPartitionsDefinition(start_date="2024-01-01")
    with dg.partition_loading_context(effective_dt=datetime(2024, 1, 5)):
        assert daily.get_partition_keys() == [
            "2024-01-01",
            "2024-01-02",
            "2024-01-03",
            "2024-01-04",
        ]
    assert len(daily.get_partition_keys()) > 4
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("fruits", ["apple"])
    with dg.partition_loading_context(dynamic_partitions_store=instance):
        assert dg.DynamicPartitionsDefinition(name="fruits").get_partition_keys() == ["apple"]


@dg.asset
def referenced() -> int:
    return 1


def test_code_references_and_links_to_git() -> None:
    (with_refs,) = dg.with_source_code_references([referenced])
    value = with_refs.specs[0].metadata["dagster/code_references"]
    ref = value.code_references[0]
    assert ref.file_path == __file__ and ref.line_number == referenced.source_line
    mapping = dg.AnchorBasedFilePathMapping(
        local_file_anchor=Path(__file__).parent, file_anchor_path_in_repository="tests"
    )
    (linked,) = dg.link_code_references_to_git(
        [with_refs], git_url="https://github.com/o/r", git_branch="main", file_path_mapping=mapping
    )
    url = linked.specs[0].metadata["dagster/code_references"].code_references[0].url
    assert url == f"https://github.com/o/r/tree/main/tests/{Path(__file__).name}#L{ref.line_number}"


def test_loading_stored_values_and_multi_partition_keys(tmp_path: Path) -> None:
    @dg.asset
    def stored() -> dict:
        return {"v": 42}

    io = dg.FilesystemIOManager(base_dir=str(tmp_path))
    dg.materialize([stored], resources={"io_manager": io})
    defs = dg.Definitions(assets=[stored], resources={"io_manager": io})
    assert defs.load_asset_value("stored") == {"v": 42}
    with defs.get_asset_value_loader() as loader:
        assert loader.load_asset_value(dg.AssetKey("stored")) == {"v": 42}

    multi = dg.MultiPartitionsDefinition(
        {
            "date": dg.DailyPartitionsDefinition(start_date="2024-01-01"),
            "color": dg.StaticPartitionsDefinition(["red", "blue"]),
        }
    )

    @dg.asset(partitions_def=multi)
    def painted(context) -> dict:
        assert context.multi_partition_key == context.partition_key
        return context.partition_key.keys_by_dimension

    result = dg.materialize([painted], partition_key="red|2024-01-02")
    assert result.asset_value("painted") == {"color": "red", "date": "2024-01-02"}


def test_components_load_defs_imports_every_file_of_a_package(tmp_path: Path, monkeypatch) -> None:
    package = tmp_path / "my_defs"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "raw.py").write_text(
        textwrap.dedent(
            """
            import assettui as dg

            @dg.asset
            def raw_rows():
                return [1]
            """
        )
    )
    (package / "marts.py").write_text(
        textwrap.dedent(
            """
            import assettui as dg

            @dg.asset
            def report(raw_rows):
                return len(raw_rows)
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    from assettui.components import load_defs

    module = importlib.import_module("my_defs")
    defs = load_defs(module)
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().all_asset_keys}
    assert keys == {"raw_rows", "report"}
    sys.modules.pop("my_defs", None)
