"""Dagster 1.x projects: ``@definitions``, ``load_from_defs_folder`` and the create-dagster layout.

The hook-free tests import from the new modules directly; the tests marked
``needs hook`` exercise the same features through ``import assettui as dg`` and the project
loader, and pass once the lead has wired the hooks listed in the compat report.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assettui.errors import DefinitionError, ProjectLoadError
from assettui.model.asset_key import AssetKey
from assettui.model.definitions import Definitions
from assettui.model.lazy_definitions import (
    ComponentLoadContext,
    LazyDefinitions,
    definitions,
    module_lazy_definitions,
)
from assettui.project import LoadedProject, find_project, load_project
from assettui.project.defs_folder import load_from_defs_folder
from assettui.project.dg_config import find_dg_project, read_dg_project

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "dg_project"

CREATE_DAGSTER_PYPROJECT = """
[project]
name = "{pkg}"
version = "0.1.0"

[tool.dg]
directory_type = "project"

[tool.dg.project]
root_module = "{pkg}"
registry_modules = ["{pkg}.components.*"]
"""

DEFINITIONS_PY = """
from pathlib import Path

from assettui.model.lazy_definitions import definitions
from assettui.project.defs_folder import load_from_defs_folder


@definitions
def defs():
    return load_from_defs_folder(path_within_project=Path(__file__).parent)
"""


@pytest.fixture
def isolated_imports() -> Iterator[Callable[[str], None]]:
    """Restore ``sys.path`` and forget the test's own packages (by name) afterwards."""
    saved_path = list(sys.path)
    packages: list[str] = []
    yield packages.append
    sys.path[:] = saved_path
    for name in list(sys.modules):
        if any(name == p or name.startswith(p + ".") for p in packages):
            del sys.modules[name]


@pytest.fixture
def dg_project(
    tmp_path: Path, isolated_imports: Callable[[str], None], request: pytest.FixtureRequest
) -> Callable[[dict[str, str]], Path]:
    """Write a create-dagster style project: ``src/<pkg>/defs/...`` from ``{path: source}``."""
    digest = hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:8]
    pkg = f"compat_{request.node.originalname}_{digest}"
    isolated_imports(pkg)

    def write(files: dict[str, str]) -> Path:
        root = tmp_path / "project"
        (root / "src" / pkg / "defs").mkdir(parents=True, exist_ok=True)
        (root / "pyproject.toml").write_text(CREATE_DAGSTER_PYPROJECT.format(pkg=pkg))
        (root / "src" / pkg / "__init__.py").write_text("")
        (root / "src" / pkg / "definitions.py").write_text(DEFINITIONS_PY)
        for relative, source in files.items():
            path = root / "src" / pkg / relative.replace("PKG", pkg)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(source).replace("PKG", pkg))
        return root

    write.pkg = pkg  # type: ignore[attr-defined]
    return write


def keys(defs: Definitions) -> set[str]:
    return {k.to_user_string() for k in defs.resolve_asset_graph().all_asset_keys}


ASSETS = """
from assettui.model.assets.decorator import asset

@asset
def orders():
    return [1, 2]

@asset
def order_total(orders):
    return sum(orders)
"""


# ---- @definitions ------------------------------------------------------------------------


def test_definitions_decorator_defers_the_work_until_called() -> None:
    calls = []

    @definitions
    def defs():
        calls.append(1)
        return Definitions()

    assert isinstance(defs, LazyDefinitions) and not defs.has_context_arg
    assert calls == []
    assert isinstance(defs(), Definitions) and calls == [1]


def test_definitions_with_a_context_parameter_gets_the_load_context(tmp_path: Path) -> None:
    seen = []

    @definitions
    def defs(context: ComponentLoadContext):
        seen.append(context)
        return Definitions()

    assert defs.has_context_arg
    context = ComponentLoadContext(tmp_path / "a.py", tmp_path, tmp_path, "pkg.defs")
    defs(context)
    assert seen == [context]
    with pytest.raises(DefinitionError, match="ComponentLoadContext"):
        defs()


def test_definitions_must_return_definitions_and_take_at_most_one_parameter() -> None:
    @definitions
    def wrong():
        return [1]

    with pytest.raises(DefinitionError, match="returned list"):
        wrong()
    with pytest.raises(DefinitionError, match="2 parameters"):
        definitions(lambda a, b: None)


def test_module_lazy_definitions_finds_each_function_once() -> None:
    import types

    @definitions
    def defs():
        return Definitions()

    module = types.ModuleType("m")
    module.defs = defs  # type: ignore[attr-defined]
    module.alias = defs  # type: ignore[attr-defined]
    assert module_lazy_definitions(module) == [defs]


def test_context_names_modules_relative_to_the_defs_folder(tmp_path: Path) -> None:
    context = ComponentLoadContext(tmp_path, tmp_path, tmp_path / "defs", "pkg.defs")
    assert context.defs_relative_module_name(tmp_path / "defs" / "a" / "b.py") == "pkg.defs.a.b"
    assert context.defs_relative_module_name(tmp_path / "defs" / "a" / "__init__.py") == (
        "pkg.defs.a"
    )
    with pytest.raises(DefinitionError, match="not inside"):
        context.defs_relative_module_name(tmp_path / "elsewhere.py")


# ---- dg project config -----------------------------------------------------------------------


def test_create_dagster_pyproject_is_read_with_dagster_defaults(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(CREATE_DAGSTER_PYPROJECT.format(pkg="shop"))
    config = read_dg_project(tmp_path)
    assert config is not None
    assert (config.root_module, config.defs_module, config.target_module) == (
        "shop",
        "shop.defs",
        "shop.definitions",
    )
    assert config.code_location_name == tmp_path.name


def test_explicit_modules_and_dg_toml_win(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.dg.project]\nroot_module = "shop"\ndefs_module = "shop.things"\n'
        'code_location_target_module = "shop.entry"\n'
    )
    config = read_dg_project(tmp_path)
    assert config is not None
    assert (config.defs_module, config.target_module) == ("shop.things", "shop.entry")
    (tmp_path / "dg.toml").write_text('[project]\nroot_module = "other"\n')
    config = read_dg_project(tmp_path)
    assert config is not None and config.root_module == "other"
    assert config.config_file.name == "dg.toml"


def test_pyproject_without_dg_project_is_not_a_dg_project(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert read_dg_project(tmp_path) is None
    (tmp_path / "pyproject.toml").write_text('[tool.dg]\ndirectory_type = "workspace"\n')
    assert read_dg_project(tmp_path) is None
    (tmp_path / "pyproject.toml").write_text("[tool.dg.project]\nregistry_modules = []\n")
    with pytest.raises(ProjectLoadError, match="root_module"):
        read_dg_project(tmp_path)


def test_project_is_found_from_a_path_inside_it(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(CREATE_DAGSTER_PYPROJECT.format(pkg="shop"))
    inner = tmp_path / "src" / "shop"
    inner.mkdir(parents=True)
    assert find_dg_project(inner).root == tmp_path.absolute()
    with pytest.raises(ProjectLoadError, match=r"\[tool.dg.project\]"):
        find_dg_project(tmp_path.parent / "nowhere")


# ---- load_from_defs_folder ---------------------------------------------------------------


def test_every_python_file_of_the_defs_folder_is_loaded(dg_project) -> None:
    root = dg_project(
        {
            "defs/assets.py": ASSETS,
            "defs/checks.py": """
                from assettui.model.assets.checks import asset_check
                from assettui.model.results import AssetCheckResult

                @asset_check(asset="orders")
                def orders_not_empty(orders):
                    return AssetCheckResult(passed=bool(orders))
            """,
            # a nested folder without __init__.py, importing a sibling: objects seen twice
            # are one definition
            "defs/marts/daily.py": """
                from assettui.model.assets.decorator import asset
                from assettui.model.jobs import define_asset_job
                from assettui.model.automation.schedules import ScheduleDefinition
                from PKG.defs.assets import order_total

                @asset(deps=[order_total])
                def daily_report():
                    return "ok"

                report_job = define_asset_job("report_job", selection=[daily_report])
                nightly = ScheduleDefinition(job=report_job, cron_schedule="0 2 * * *")
            """,
            "defs/sensors.py": """
                from assettui.model.automation.sensors import sensor, SkipReason
                from PKG.defs.marts.daily import report_job

                @sensor(job=report_job)
                def watcher(context):
                    return SkipReason("nothing")
            """,
            "defs/notes.sql": "select 1",
            "defs/__pycache__/junk.py": "raise RuntimeError('never imported')",
        }
    )
    defs = load_from_defs_folder(path_within_project=root / "src")
    assert keys(defs) == {"orders", "order_total", "daily_report"}
    assert [c.check_key.name for c in defs.asset_checks] == ["orders_not_empty"]
    assert defs.job_names == ["report_job"]
    assert [s.name for s in defs.schedules] == ["report_job_schedule"]
    assert [s.name for s in defs.sensors] == ["watcher"]
    graph = defs.resolve_asset_graph()
    assert AssetKey("order_total") in graph.get(AssetKey("daily_report")).parent_keys


def test_a_file_with_definitions_gives_exactly_those(dg_project) -> None:
    root = dg_project(
        {
            "defs/assets.py": ASSETS,
            "defs/resources.py": """
                from assettui.model.assets.decorator import asset
                from assettui.model.definitions import Definitions

                @asset
                def ignored_because_defs_is_given():
                    return 1

                defs = Definitions(resources={"db": "a-connection"})
            """,
        }
    )
    defs = load_from_defs_folder(project_root=root)
    assert keys(defs) == {"orders", "order_total"}
    assert defs.resources["db"] == "a-connection"


def test_definitions_functions_in_the_folder_get_a_context(dg_project) -> None:
    root = dg_project(
        {
            "defs/ingest/loader.py": """
                from assettui.model.assets.decorator import asset
                from assettui.model.definitions import Definitions
                from assettui.model.lazy_definitions import ComponentLoadContext, definitions

                SEEN = []

                @definitions
                def defs(context: ComponentLoadContext):
                    SEEN.append(context)

                    @asset(name=context.path.stem + "_table")
                    def table():
                        return 1

                    return Definitions(assets=[table])
            """,
        }
    )
    defs = load_from_defs_folder(path_within_project=root)
    assert keys(defs) == {"loader_table"}
    module = sys.modules[f"{dg_project.pkg}.defs.ingest.loader"]
    [context] = module.SEEN
    assert context.project_root == root.absolute()
    assert context.defs_module_name == f"{dg_project.pkg}.defs"
    assert context.path.name == "loader.py"


def test_top_level_definitions_py_loads_the_folder(dg_project) -> None:
    root = dg_project({"defs/assets.py": ASSETS})
    sys.path.insert(0, str(root / "src"))
    import importlib

    module = importlib.import_module(f"{dg_project.pkg}.definitions")
    [lazy] = module_lazy_definitions(module)
    assert keys(lazy()) == {"orders", "order_total"}


def test_yaml_components_are_refused_naming_the_file(dg_project) -> None:
    root = dg_project({"defs/assets.py": ASSETS, "defs/dbt/defs.yaml": "type: x\n"})
    with pytest.raises(ProjectLoadError, match=r"dbt/defs\.yaml.*not supported"):
        load_from_defs_folder(path_within_project=root)


@pytest.mark.parametrize(
    ("source", "match"),
    [
        (
            """
            from assettui.model.definitions import Definitions
            from assettui.model.lazy_definitions import definitions
            a = Definitions()

            @definitions
            def b():
                return Definitions()
            """,
            "both @definitions",
        ),
        (
            "from assettui.model.definitions import Definitions\n"
            "a = Definitions()\nb = Definitions()\n",
            "2 Definitions objects",
        ),
    ],
)
def test_ambiguous_files_are_errors(dg_project, source: str, match: str) -> None:
    root = dg_project({"defs/bad.py": source})
    with pytest.raises(DefinitionError, match=match):
        load_from_defs_folder(path_within_project=root)


def test_one_resource_key_defined_differently_in_two_files_is_an_error(dg_project) -> None:
    resources = "from assettui.model.definitions import Definitions\ndefs = Definitions(resources={'db': object()})\n"
    root = dg_project({"defs/a.py": resources, "defs/b.py": resources})
    with pytest.raises(DefinitionError, match="'db' is defined twice"):
        load_from_defs_folder(path_within_project=root)


def test_a_missing_third_party_import_is_the_users_error(dg_project) -> None:
    root = dg_project({"defs/assets.py": "import no_such_library_xyz\n"})
    with pytest.raises(ModuleNotFoundError, match="no_such_library_xyz"):
        load_from_defs_folder(path_within_project=root)


def test_arguments_are_checked() -> None:
    with pytest.raises(DefinitionError, match="not both"):
        load_from_defs_folder(path_within_project=".", project_root=".")
    with pytest.raises(DefinitionError, match="needs path_within_project"):
        load_from_defs_folder()


def test_a_single_defs_module_instead_of_a_folder(tmp_path: Path, isolated_imports) -> None:
    isolated_imports("compat_single")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.dg.project]\nroot_module = "compat_single"\ndefs_module = "compat_single.defs"\n'
    )
    package = tmp_path / "compat_single"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "defs.py").write_text(textwrap.dedent(ASSETS))
    assert keys(load_from_defs_folder(path_within_project=tmp_path)) == {"orders", "order_total"}


# ---- the create-dagster sample project, through the loader (needs the hooks) --------------


@pytest.fixture
def sample_project(tmp_path: Path, isolated_imports) -> Path:
    isolated_imports("dg_sample")
    root = tmp_path / "dg_project"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("__pycache__", ".assettui"))
    return root


def test_assettui_finds_the_create_dagster_layout(sample_project: Path) -> None:
    target = find_project(sample_project)
    assert target.module_name == "dg_sample.definitions"
    assert sample_project / "src" in target.source_dirs()


def test_the_sample_project_loads_end_to_end(sample_project: Path) -> None:
    result = load_project(find_project(sample_project))
    assert isinstance(result, LoadedProject), result.describe()  # type: ignore[union-attr]
    defs = result.defs
    assert keys(defs) == {"customers", "customer_count", "vendor_feed", "weekly_report"}
    assert [c.check_key.name for c in defs.asset_checks] == ["customers_have_ids"]
    assert defs.job_names == ["customers_job"]
    assert [s.name for s in defs.sensors] == ["alert_on_failure"]
    assert set(defs.resources) == {"greeting"}


def test_a_definitions_function_in_a_plain_project_is_loaded(write_project) -> None:
    project = write_project(
        """
        from assettui.model.assets.decorator import asset
        from assettui.model.definitions import Definitions
        from assettui.model.lazy_definitions import definitions

        @definitions
        def defs():
            @asset
            def only():
                return 1

            return Definitions(assets=[only])
        """
    )
    result = load_project(find_project(project))
    assert result.ok, result.describe()  # type: ignore[union-attr]
    assert keys(result.defs) == {"only"}  # type: ignore[union-attr]


def test_defs_module_setting_does_not_change_the_entry_module(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.dg.project]\nroot_module = "shop"\ndefs_module = "shop.things"\n'
    )
    assert find_project(tmp_path).module_name == "shop.definitions"


def test_a_dg_toml_project_is_found(tmp_path: Path) -> None:
    (tmp_path / "dg.toml").write_text(
        'directory_type = "project"\n[project]\nroot_module = "shop"\n'
    )
    assert find_project(tmp_path).module_name == "shop.definitions"


def test_the_sample_project_materializes_end_to_end(sample_project: Path, tmp_path: Path) -> None:
    from assettui.model.automation.conditions import AutomationCondition
    from assettui.storage import DagsterEventType, Storage
    from assettui.storage.instance import DagsterInstance

    result = load_project(find_project(sample_project))
    assert isinstance(result, LoadedProject), result.describe()  # type: ignore[union-attr]
    defs = result.defs
    specs = {s.key.to_user_string(): s for s in defs.resolve_all_asset_specs()}
    assert specs["customers"].automation_condition == AutomationCondition.eager()
    assert specs["customer_count"].freshness_policy is not None  # type: ignore[attr-defined]
    instance = DagsterInstance(Storage(tmp_path / "home"))
    run = defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance)
    assert run.success
    lines = [e.user_message for e in instance.all_logs(run.run_id, of_type=DagsterEventType.LOG)]
    assert "read 3 customers" in lines and "hello, weekly report" in lines
    count = instance.get_latest_materialization_event(AssetKey("customer_count"))
    assert count is not None and count.asset_materialization is not None
    assert count.asset_materialization.metadata["dagster/row_count"].value == 3
    customers = defs.resolve_asset_graph().get(AssetKey("customers"))
    from assettui.model.metadata.values import normalize_metadata

    schema = normalize_metadata(customers.metadata)["dagster/column_schema"]
    assert schema.kind == "table_schema" and schema.value.columns[0].name == "id"
    instance.dispose()


@pytest.mark.slow
def test_the_cli_runs_the_sample_project_in_a_worker(sample_project: Path, tmp_path: Path) -> None:
    import os
    import subprocess

    from assettui.storage import DagsterEventType, Storage

    env = {k: v for k, v in os.environ.items() if k != "ASSETTUI_HOME"}
    home = tmp_path / "home"

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "assettui.cli.main_entry", *args],
            capture_output=True,
            text=True,
            cwd=sample_project,
            env=env,
            timeout=120,
        )

    validated = cli("validate")
    assert validated.returncode == 0, validated.stderr
    ran = cli("materialize", "--home", str(home), "--select", "customers")
    assert ran.returncode == 0, ran.stderr
    with Storage(home) as storage:
        [run] = storage.runs.list_runs()
        logs = storage.event_log.run_events(run.run_id, event_types=[DagsterEventType.LOG])
        assert [e.message for e in logs] == ["read 3 customers"]
