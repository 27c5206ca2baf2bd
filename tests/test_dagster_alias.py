import subprocess
import sys

import pytest

from assettui.project import dagster_alias


@pytest.fixture
def alias():
    assert dagster_alias.install()
    yield
    dagster_alias.uninstall()


def test_import_dagster_is_assettui(alias):
    import dagster
    import dagster as dg
    from dagster import AssetKey

    import assettui

    assert dagster is assettui
    assert dg.AssetKey is AssetKey is assettui.AssetKey


def test_unknown_name_clear_message(alias):
    import dagster as dg

    with pytest.raises(AttributeError, match="assettui does not provide `NoSuch`"):
        dg.NoSuch  # noqa: B018
    with pytest.raises(ImportError, match="NoSuch"):
        from dagster import NoSuch  # noqa: F401


def test_private_module_refused(alias):
    with pytest.raises(ImportError, match="private to Dagster"):
        import dagster._core.nothing_here  # noqa: F401


def test_missing_plugin_target_not_aliased(alias, monkeypatch):
    # a plugin whose assettui module is absent stays a missing module
    monkeypatch.setitem(dagster_alias.PLUGIN_MODULES, "dagster_nowhere", "assettui.nowhere")
    with pytest.raises(ModuleNotFoundError):
        import dagster_nowhere  # noqa: F401


def test_env_off_switch(monkeypatch):
    monkeypatch.setenv(dagster_alias.ENV_VAR, "0")
    assert not dagster_alias.install()


def test_import_assettui_installs_nothing():
    proc = subprocess.run(
        [sys.executable, "-c", "import assettui; import dagster"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0
    assert "ModuleNotFoundError" in proc.stderr


def test_private_modules_map_to_public(alias):
    from dagster._core.definitions.events import AssetKey
    from dagster._core.errors import DagsterInvalidDefinitionError
    from dagster._core.storage.tags import PARTITION_NAME_TAG
    from dagster._time import get_current_datetime

    import assettui

    assert AssetKey is assettui.AssetKey
    assert DagsterInvalidDefinitionError is assettui.DagsterInvalidDefinitionError
    assert PARTITION_NAME_TAG == "dagster/partition"
    assert get_current_datetime().tzinfo is not None


FIXTURE = __import__("pathlib").Path(__file__).parent / "fixtures" / "dagster_docs_project"


def _cli(*args, env_off=False, cwd=FIXTURE):
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = str(__import__("pathlib").Path(dagster_alias.__file__).parents[2])
    if env_off:
        env[dagster_alias.ENV_VAR] = "0"
    else:
        env.pop(dagster_alias.ENV_VAR, None)
    return subprocess.run(
        [sys.executable, "-m", "assettui.cli.main_entry", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def test_cli_validate_dagster_project_unchanged():
    proc = _cli("validate", str(FIXTURE / "definitions.py"))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_cli_off_switches():
    proc = _cli("--no-dagster-alias", "validate", str(FIXTURE / "definitions.py"))
    assert proc.returncode != 0
    assert "dagster" in (proc.stdout + proc.stderr)
    proc = _cli("validate", str(FIXTURE / "definitions.py"), env_off=True)
    assert proc.returncode != 0


def _copied_fixture(tmp_path):
    """The docs project outside this suite's folder, so this suite's conftest does not apply."""
    import shutil

    return shutil.copytree(FIXTURE, tmp_path / "project")


def test_assettui_test_runs_docs_project_tests(tmp_path):
    project = _copied_fixture(tmp_path)
    proc = _cli(
        "test", "-v", "-p", "no:cacheprovider", "--rootdir", str(project), "tests", cwd=project
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 passed" in proc.stdout


def test_assettui_test_keeps_exit_code(tmp_path):
    project = _copied_fixture(tmp_path)
    proc = _cli(
        "test", "-q", "-p", "no:cacheprovider", "tests", "-k", "no_such_test_name", cwd=project
    )
    assert proc.returncode == 5, proc.stdout + proc.stderr


def test_cli_materialize_dagster_project_in_worker(tmp_path):
    proc = _cli("materialize", str(FIXTURE / "definitions.py"), "--home", str(tmp_path / "home"))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_assettui_test_without_plugin_autoload_and_with_an_ini_file(tmp_path, monkeypatch):
    project = _copied_fixture(tmp_path)
    (project / "custom.ini").write_text("[pytest]\naddopts = -q\n")
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    proc = _cli(
        "test", "-p", "no:cacheprovider", "-c", str(project / "custom.ini"),
        "--rootdir", str(project), "tests", cwd=project,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 passed" in proc.stdout


def test_the_alias_does_not_leak_outside_assettui_processes():
    proc = subprocess.run(
        [sys.executable, "-c", "import dagster"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode != 0 and "No module named 'dagster'" in proc.stderr


async def test_the_ui_opens_the_docs_project_unchanged(tmp_path):
    from tests.tui.conftest import wait_loaded

    from assettui.model.asset_key import AssetKey
    from assettui.project import find_project
    from assettui.tui.app import AssetTuiApp

    project = _copied_fixture(tmp_path)
    app = AssetTuiApp(find_project(project), project / ".assettui", run_scheduler=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        from assettui.tui.widgets.load_error import LoadErrorPanel

        assert not app.query_one(LoadErrorPanel).display  # loaded with no error
        assert app.asset_graph is not None
        assert {AssetKey("raw_numbers"), AssetKey("total")} <= set(app.asset_graph.all_asset_keys)
