"""The bad-input corpus: one test per mistake a user makes, each checking the message.

Every message must say what is wrong (the file and line, the asset, the key, the field) and
what to do about it. Each mistake goes through the entry point a user meets it at: the
``assettui`` command (``validate`` / ``list`` / ``materialize``, through click's runner),
``load_project`` and ``dg.materialize``. The last test checks that bad input never costs
anything already stored: earlier runs and values stay, failed runs are recorded.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import assettui as dg
from assettui.cli.main import cli
from assettui.errors import ConfigError, DefinitionError, PartitionError, SelectionError
from assettui.model.records.runs import DagsterRunStatus
from assettui.project import LoadFailure, find_project, load_project
from assettui.storage.instance_storage import Storage


@dataclass(frozen=True)
class Project:
    """A project folder on disk and the instance folder its commands use."""

    root: Path
    home: Path

    def run(self, command: str, *args: str, env: dict[str, str] | None = None) -> Result:
        """``assettui COMMAND ROOT --home HOME ARGS`` through click's runner."""
        return CliRunner().invoke(
            cli, [command, str(self.root), "--home", str(self.home), *args], env=env
        )

    def load(self) -> dg.Definitions | LoadFailure:
        result = load_project(find_project(self.root))
        return result if isinstance(result, LoadFailure) else result.defs


@pytest.fixture
def project(tmp_path: Path) -> Callable[..., Project]:
    """Write ``definitions.py`` (and any sibling files) into a fresh project folder."""

    def write(source: str, **siblings: str) -> Project:
        root = tmp_path / "proj"
        root.mkdir(exist_ok=True)
        (root / "definitions.py").write_text(textwrap.dedent(source))
        for name, text in siblings.items():
            (root / f"{name}.py").write_text(textwrap.dedent(text))
        return Project(root, tmp_path / "home")

    return write


def failed_load(p: Project) -> LoadFailure:
    result = p.load()
    assert isinstance(result, LoadFailure), "the project should not have loaded"
    return result


def validate_error(p: Project) -> str:
    out = p.run("validate")
    assert out.exit_code == 1, out.output
    assert out.stderr.startswith("error: ")
    return out.stderr


# ---- loading the project -------------------------------------------------------------------


def test_syntax_error_names_the_file_and_line(project) -> None:
    p = project(
        """
        import assettui as dg

        @dg.asset
        def orders(:
            return 1
        """
    )
    failure = failed_load(p)
    assert failure.file is not None and failure.file.endswith("definitions.py")
    assert failure.line == 5
    err = validate_error(p)
    assert "syntax error" in err
    assert f"{p.root / 'definitions.py'}:5" in err
    assert "def orders(:" in err  # the offending line is shown


def test_import_error_names_the_module_and_the_importing_line(project) -> None:
    p = project(
        """
        import assettui as dg
        import helpers

        defs = dg.Definitions(assets=[helpers.orders])
        """,
        helpers="""
        import assettui as dg
        import warehouse_client_not_installed

        @dg.asset
        def orders():
            return 1
        """,
    )
    failure = failed_load(p)
    assert failure.file == str(p.root / "helpers.py") and failure.line == 3
    err = validate_error(p)
    assert "ModuleNotFoundError" in err
    assert "No module named 'warehouse_client_not_installed'" in err
    assert f"{p.root / 'helpers.py'}:3" in err
    # the chain from the definitions file is shown, assettui's own frames are not
    assert "definitions.py" in err and "project/loader.py" not in err


# ---- the asset graph -----------------------------------------------------------------------


def test_cycle_names_the_whole_path(project) -> None:
    p = project(
        """
        import assettui as dg

        @dg.asset
        def raw(report):
            return 1

        @dg.asset
        def clean(raw):
            return raw

        @dg.asset
        def report(clean):
            return clean

        defs = dg.Definitions(assets=[raw, clean, report])
        """
    )
    err = validate_error(p)
    assert "dependency cycle: clean -> report -> raw -> clean" in err or (
        "raw -> clean -> report -> raw" in err
    )
    assert "Remove one of these dependencies" in err


def test_duplicate_keys_name_both_definitions(project) -> None:
    p = project(
        """
        import assettui as dg

        @dg.asset(name="orders")
        def orders_from_api():
            return 1

        @dg.asset(name="orders")
        def orders_from_csv():
            return 2

        defs = dg.Definitions(assets=[orders_from_api, orders_from_csv])
        """
    )
    err = validate_error(p)
    assert "Duplicate asset key 'orders'" in err
    assert "definitions.py:4" in err and "definitions.py:8" in err
    assert "Give one of them another name or key" in err


def test_unknown_upstream_names_the_asset_and_the_missing_key(project) -> None:
    p = project(
        """
        import assettui as dg

        @dg.asset
        def orders():
            return 1

        @dg.asset(deps=["ordres"])
        def report():
            return 1

        defs = dg.Definitions(assets=[orders, report])
        """
    )
    err = validate_error(p)
    assert "Asset 'report'" in err and "depends on 'ordres' via deps=" in err
    assert "Did you mean 'orders'?" in err
    assert "declare it with AssetSpec('ordres')" in err


def test_an_external_upstream_declared_as_asset_spec_is_fine(project) -> None:
    """As in Dagster: an upstream that is an AssetSpec/SourceAsset is allowed."""
    p = project(
        """
        import assettui as dg

        @dg.asset(deps=["vendor/feed"])
        def report():
            return 1

        defs = dg.Definitions(assets=[report, dg.AssetSpec("vendor/feed")])
        """
    )
    out = p.run("validate")
    assert out.exit_code == 0, out.output


def test_unknown_upstream_in_materialize_names_the_asset() -> None:
    @dg.asset
    def report(orders_v2):
        return orders_v2

    instance = dg.DagsterInstance.ephemeral()
    with pytest.raises(DefinitionError) as info:
        dg.materialize([report], instance=instance)
    message = str(info.value)
    assert "Asset 'report' takes parameter 'orders_v2'" in message
    assert "AssetSpec('orders_v2')" in message
    assert instance.get_runs() == []  # refused before any run exists, as in Dagster


def test_wrong_parameter_name_says_what_parameters_mean(project) -> None:
    p = project(
        """
        import assettui as dg

        class Warehouse(dg.ConfigurableResource):
            dsn: str = "duckdb://"

        @dg.asset
        def orders():
            return 1

        @dg.asset
        def report(contxt, orders):
            return orders

        @dg.asset
        def totals(orders, warehouse):
            return orders

        defs = dg.Definitions(
            assets=[orders, report, totals], resources={"warehouse": Warehouse()}
        )
        """
    )
    err = validate_error(p)
    assert "2 problems" in err
    assert "Asset 'report'" in err and "takes parameter 'contxt'" in err
    assert "A parameter that is not `context`, a Config or a resource" in err
    assert "Did you mean 'context'?" in err
    assert "takes parameter 'warehouse'" in err
    assert "'warehouse' is a resource: annotate the parameter with its class" in err


# ---- schedules and partitions definitions --------------------------------------------------


def test_bad_cron_string_names_the_schedule_and_the_line(project) -> None:
    p = project(
        """
        import assettui as dg

        @dg.asset
        def orders():
            return 1

        nightly = dg.ScheduleDefinition(
            name="nightly", target=[orders], cron_schedule="0 25 * * *"
        )
        defs = dg.Definitions(assets=[orders], schedules=[nightly])
        """
    )
    failure = failed_load(p)
    assert failure.line == 8
    err = validate_error(p)
    assert "Schedule 'nightly': '0 25 * * *' is not a valid cron string" in err
    assert "use five fields 'minute hour day-of-month month day-of-week'" in err
    assert "definitions.py:8" in err
    assert "src/assettui" not in err  # the user's line, not assettui's internals


@pytest.mark.parametrize("where", ["schedule", "partitions"])
def test_unknown_timezone_names_it_and_suggests_iana_names(project, where: str) -> None:
    if where == "schedule":
        body = """
        @dg.asset
        def orders():
            return 1

        nightly = dg.ScheduleDefinition(
            name="nightly", target=[orders], cron_schedule="0 2 * * *",
            execution_timezone="Europe/Berln",
        )
        defs = dg.Definitions(assets=[orders], schedules=[nightly])
        """
    else:
        body = """
        @dg.asset(
            partitions_def=dg.DailyPartitionsDefinition(
                start_date="2024-01-01", timezone="Europe/Berln"
            )
        )
        def orders():
            return 1

        defs = dg.Definitions(assets=[orders])
        """
    p = project("import assettui as dg\n" + textwrap.dedent(body))
    err = validate_error(p)
    assert "timezone 'Europe/Berln'" in err.replace("Timezone", "timezone")
    assert "IANA name such as 'UTC'" in err
    assert "definitions.py:" in err


# ---- running: partitions, selections, config, resources, IO --------------------------------

RUNTIME = """
import assettui as dg

class Limits(dg.Config):
    max_rows: int
    label: str = "all"

class Warehouse(dg.ConfigurableResource):
    password: str

class Flaky(dg.ConfigurableResource):
    def setup_for_execution(self, context):
        raise ConnectionError("warehouse at db.internal:5432 refused the connection")

class BrokenStore(dg.IOManager):
    def handle_output(self, context, obj):
        pass

    def load_input(self, context):
        raise PermissionError("bucket s3://lake is not readable with these credentials")

daily = dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-02-01")

@dg.asset(partitions_def=daily)
def events():
    return 1

@dg.asset
def orders():
    return [1, 2, 3]

@dg.asset
def limited(config: Limits):
    return config.max_rows

@dg.asset
def secured(warehouse: Warehouse):
    return 1

@dg.asset
def fragile(flaky: Flaky):
    return 1

@dg.asset(io_manager_key="broken_store")
def staged():
    return 1

@dg.asset
def consumer(staged):
    return staged

defs = dg.Definitions(
    assets=[events, orders, limited, secured, fragile, staged, consumer],
    resources={
        "warehouse": Warehouse(password=dg.EnvVar("BAD_INPUT_MISSING_PASSWORD")),
        "flaky": Flaky(),
        "broken_store": BrokenStore(),
    },
)
"""


@pytest.fixture
def runtime(project) -> Project:
    return project(RUNTIME)


def runs_of(p: Project) -> list:
    storage = Storage(p.home)
    try:
        return storage.runs.list_runs(limit=100)
    finally:
        storage.close()


def test_invalid_partition_key_names_the_asset_and_the_valid_range(runtime: Project) -> None:
    out = runtime.run("materialize", "--select", "events", "--partition", "2024-02-30")
    assert out.exit_code == 2
    assert "Partition '2024-02-30' is not a partition of asset 'events'" in out.stderr
    assert "'2024-01-01' to '2024-01-31'" in out.stderr
    assert runs_of(runtime) == []  # refused before any run exists
    with pytest.raises(PartitionError, match="'2024-01-01' to '2024-01-31'"):
        dg.materialize([_runtime_asset(runtime, "events")], partition_key="Jan 3rd")


def test_partition_key_for_an_unpartitioned_asset_says_to_drop_it(runtime: Project) -> None:
    out = runtime.run("materialize", "--select", "orders", "--partition", "2024-01-03")
    assert out.exit_code == 2
    assert "none of the selected assets (orders) is partitioned" in out.stderr
    assert "Drop the partition key" in out.stderr
    with pytest.raises(PartitionError, match="Drop the partition key"):
        dg.materialize([_runtime_asset(runtime, "orders")], partition_key="2024-01-03")


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        ('key:"orders" and or', "Unexpected 'or' at column 18"),
        ("key:(", "Expected an asset key after 'key:'"),
        ('group:"raw', "column"),
        ("orders staged", 'To select an asset by key, write key:"orders"'),
    ],
)
def test_malformed_selection_points_at_the_problem(
    runtime: Project, selection: str, expected: str
) -> None:
    for command in ("list", "materialize"):
        out = runtime.run(command, "--select", selection)
        assert out.exit_code == 2, out.output
        assert expected in out.stderr
        assert "^" in out.stderr  # a caret under the offending column
    assert runs_of(runtime) == []
    with pytest.raises(SelectionError, match="column"):
        dg.materialize([_runtime_asset(runtime, "orders")], selection=selection)


def test_run_config_that_fails_its_schema_names_each_field(runtime: Project) -> None:
    limited = _runtime_asset(runtime, "limited")
    with pytest.raises(ConfigError) as info:
        dg.materialize(
            [limited], run_config={"ops": {"limited": {"config": {"max_rows": "ten", "lable": 1}}}}
        )
    message = str(info.value)
    assert "Config for asset 'limited' does not fit Limits" in message
    assert "- max_rows: Input should be a valid integer" in message
    assert "- lable: Extra inputs are not permitted" in message
    assert "Fix these fields of Limits in the run config" in message
    # through the CLI: refused before any run exists (as Dagster's launch does), same message
    config = runtime.root / "run.yaml"
    config.write_text("ops:\n  limited:\n    config:\n      max_rows: ten\n")
    out = runtime.run("materialize", "--select", "limited", "--config", str(config))
    assert out.exit_code == 2
    assert "max_rows: Input should be a valid integer" in out.output
    assert "src/assettui" not in out.output  # no engine file named as the error's place
    assert runs_of(runtime) == []
    # the launch dialog's reader: each field by its path in the YAML, YAML errors by line
    config.write_text("ops:\n  limited:\n    config:\n      max_rows: 3\n      lable: x\n")
    out = runtime.run("materialize", "--select", "limited", "--config", str(config))
    assert out.exit_code == 2 and "ops.limited.config.lable: Extra inputs" in out.output
    config.write_text("ops:\n  limited: [unclosed\n")
    out = runtime.run("materialize", "--select", "limited", "--config", str(config))
    assert out.exit_code == 2 and "YAML error at line" in out.output
    assert runs_of(runtime) == []


def test_missing_env_var_names_the_variable_resource_and_field(
    runtime: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BAD_INPUT_MISSING_PASSWORD", raising=False)
    expected = (
        "Environment variable 'BAD_INPUT_MISSING_PASSWORD' is not set, but resource "
        "'warehouse' (field 'password') reads it via EnvVar. Export it"
    )
    defs = runtime.load()
    assert isinstance(defs, dg.Definitions)  # definitions load: the variable is read at run time
    with pytest.raises(ConfigError, match=r"Environment variable 'BAD_INPUT_MISSING_PASSWORD'"):
        dg.materialize(
            [defs.get_assets_def("secured")], resources={"warehouse": defs.resources["warehouse"]}
        )
    out = runtime.run("materialize", "--select", "secured")
    assert out.exit_code == 1
    assert expected in out.output
    listing = runtime.run("runs", "--json")
    (run,) = json.loads(listing.output)
    assert run["status"] == "FAILURE" and expected in run["failure_reason"]


class Creds(dg.Config):
    token: str


def test_missing_env_var_of_a_config_field_names_the_field() -> None:
    @dg.asset
    def pull(config: Creds):
        return config.token

    with pytest.raises(ConfigError) as info:
        dg.materialize(
            [pull],
            run_config=dg.RunConfig({"pull": Creds(token=dg.EnvVar("BAD_INPUT_UNSET_TOKEN"))}),
        )
    assert "'BAD_INPUT_UNSET_TOKEN' is not set, but config field 'token' of asset 'pull'" in str(
        info.value
    )


def test_resource_raising_in_setup_names_the_resource_and_the_cause(runtime: Project) -> None:
    out = runtime.run("materialize", "--select", "fragile")
    assert out.exit_code == 1
    assert "Resource 'flaky' failed to set up: ConnectionError: warehouse at db.internal" in (
        out.output
    )
    assert "definitions.py" in out.output  # the user's raising line is in the traceback
    (run,) = runs_of(runtime)
    assert run.status is DagsterRunStatus.FAILURE
    assert "Resource 'flaky' failed to set up" in (run.failure_reason or "")


def test_io_manager_raising_on_load_names_the_asset_and_the_cause(runtime: Project) -> None:
    out = runtime.run("materialize", "--select", 'key:"staged" or key:"consumer"')
    assert out.exit_code == 1
    assert "Error in asset 'consumer'" in out.output
    assert "PermissionError: bucket s3://lake is not readable" in out.output
    assert "definitions.py" in out.output
    (run,) = runs_of(runtime)
    assert run.status is DagsterRunStatus.FAILURE and "consumer" in (run.failure_reason or "")
    # the upstream step succeeded and its materialization is kept
    storage = Storage(runtime.home)
    try:
        events = storage.event_log.run_events(run.run_id)
    finally:
        storage.close()
    materialized = {
        e.asset_key.to_user_string()
        for e in events
        if e.event_type.value == "ASSET_MATERIALIZATION" and e.asset_key
    }
    assert materialized == {"staged"}


def _runtime_asset(p: Project, name: str):
    defs = p.load()
    assert isinstance(defs, dg.Definitions)
    return defs.get_assets_def(name)


# ---- nothing is lost -----------------------------------------------------------------------


def test_bad_input_never_loses_what_was_stored(runtime: Project) -> None:
    good = runtime.run("materialize", "--select", "orders")
    assert good.exit_code == 0, good.output
    (first,) = runs_of(runtime)
    value_file = runtime.home / "storage" / "orders"
    stored = value_file.read_bytes()

    config = runtime.root / "bad.yaml"
    config.write_text("ops:\n  limited:\n    config:\n      max_rows: [1, 2]\n")
    attempts = [
        ("materialize", "--select", "events", "--partition", "1999-01-01"),
        ("materialize", "--select", "orders", "--partition", "2024-01-03"),
        ("materialize", "--select", "key:("),
        ("materialize", "--select", "limited", "--config", str(config)),
        ("materialize", "--select", "secured"),
        ("materialize", "--select", "fragile"),
        ("materialize", "--select", 'key:"staged" or key:"consumer"'),
    ]
    for attempt in attempts:
        assert runtime.run(*attempt).exit_code != 0, attempt

    runs = runs_of(runtime)
    statuses = sorted(r.status.value for r in runs)
    # four refused before a run existed; three ran, failed, and are recorded with a reason
    assert statuses == ["FAILURE"] * 3 + ["SUCCESS"]
    assert all(r.failure_reason for r in runs if r.status is DagsterRunStatus.FAILURE)
    assert value_file.read_bytes() == stored  # the good value is untouched
    storage = Storage(runtime.home)
    try:
        kept = storage.runs.get_run(first.run_id)
        assert kept is not None and kept.status is DagsterRunStatus.SUCCESS
        assert storage.event_log.run_events(first.run_id)  # its events are all still there
    finally:
        storage.close()
    assert runtime.run("validate").exit_code == 0
