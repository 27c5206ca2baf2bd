"""dbt models as assets against real dbt-core and dbt-duckdb (run as a command, from the
environment `make test` prepares): manifest to assets, sources to upstream keys, dbt tests
as checks, subsetting, dbt's output in the step log, a failing model, a broken project."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assettui.integrations.dbt.project import DBT_EXECUTABLE_ENV, dbt_executable

try:
    DBT = dbt_executable()
except Exception as exc:
    pytestmark = pytest.mark.skip(reason=f"dbt not available: {exc}")
    DBT = ""

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "dbt_jaffle"


@pytest.fixture
def dbt_project(tmp_path: Path) -> Path:
    """The fixture project (as dagster-dbt's docs write it), copied: dbt writes into it."""
    root = tmp_path / "jaffle"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb*"))
    return root


def assettui(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "ASSETTUI_HOME"}
    env[DBT_EXECUTABLE_ENV] = DBT
    return subprocess.run(
        [sys.executable, "-m", "assettui.cli.main_entry", *args],
        cwd=cwd, capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip


def test_a_dbt_project_loads_as_assets_with_sources_tests_and_metadata(
    dbt_project: Path, monkeypatch
) -> None:
    monkeypatch.setenv(DBT_EXECUTABLE_ENV, DBT)
    monkeypatch.syspath_prepend(str(dbt_project))
    from assettui.project import find_project, load_project

    loaded = load_project(find_project(dbt_project))
    graph = loaded.defs.resolve_asset_graph()
    import assettui as dg

    orders, count = dg.AssetKey("orders"), dg.AssetKey("order_count")
    assert graph.get(orders).parent_keys == {dg.AssetKey("raw_orders")}  # the source's meta key
    assert graph.get(count).parent_keys == {orders}
    assert graph.get(orders).description == "Cleaned orders"
    assert {"dbt", "duckdb"} <= set(graph.get(orders).kinds)
    assert graph.get(count).tags == {"mart": ""}
    assert graph.get(orders).code_version  # the model's checksum
    checks = {(c.asset_key, c.name) for c in graph.asset_check_keys}
    assert checks == {(orders, "unique_orders_id"), (orders, "not_null_orders_id")}
    sys.modules.pop("definitions", None)


def test_materialize_runs_dbt_build_streams_its_output_and_records_checks(
    dbt_project: Path,
) -> None:
    out = assettui("materialize", cwd=dbt_project)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "OK created sql table model main.orders" in out.stdout  # dbt's own lines, captured
    assert "Materialized order_count" in out.stdout
    assert "Check unique_orders_id on orders passed" in out.stdout
    import duckdb

    con = duckdb.connect(str(dbt_project / "warehouse.duckdb"), read_only=True)
    assert con.execute("select n from order_count").fetchone() == (3,)
    con.close()


def test_materializing_some_models_runs_dbt_for_just_those(dbt_project: Path) -> None:
    assert assettui("materialize", cwd=dbt_project).returncode == 0
    out = assettui("materialize", "--select", "order_count", cwd=dbt_project)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "model main.order_count" in out.stdout
    assert "model main.orders " not in out.stdout and "unique_orders_id" not in out.stdout


def test_a_failing_model_fails_while_the_others_keep_their_results(dbt_project: Path) -> None:
    (dbt_project / "models" / "broken.sql").write_text(
        "select * from {{ ref('orders') }} where no_such_column = 1"
    )
    out = assettui("materialize", cwd=dbt_project)
    assert out.returncode == 1
    assert "Materialized orders" in out.stdout and "Materialized order_count" in out.stdout
    assert "Failed: model.jaffle.broken" in out.stdout
    assert "orders failed." not in out.stdout  # recorded before the failure, so not failed
    assert 'Referenced column "no_such_column" not found' in out.stdout
    assert "Traceback" not in out.stderr


def test_a_project_that_does_not_parse_is_a_clear_load_error(dbt_project: Path) -> None:
    (dbt_project / "models" / "bad.sql").write_text("select {{ ref('nope') }}")
    out = assettui("validate", cwd=dbt_project)
    assert out.returncode == 1
    assert "dbt could not parse the project" in out.stdout + out.stderr
    assert "nope" in out.stdout + out.stderr


def test_dbt_missing_says_how_to_install_it(dbt_project: Path, monkeypatch) -> None:
    monkeypatch.setenv(DBT_EXECUTABLE_ENV, str(dbt_project / "no-dbt-here"))
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(Exception, match=r"pip install 'assettui\[dbt\]'"):
        dbt_executable()
    assert shutil.which("dbt") is None


@pytest.mark.slow
async def test_the_ui_shows_dbt_models_and_their_tests_as_checks(
    dbt_project: Path, monkeypatch
) -> None:
    from tests.tui.conftest import wait_loaded, wait_until

    import assettui as dg
    from assettui.project import find_project
    from assettui.tui.app import AssetTuiApp

    monkeypatch.setenv(DBT_EXECUTABLE_ENV, DBT)
    assert assettui("materialize", cwd=dbt_project).returncode == 0
    app = AssetTuiApp(find_project(dbt_project), dbt_project / ".assettui", run_scheduler=False)
    async with app.run_test(size=(140, 44)) as pilot:
        await wait_loaded(pilot, app)
        app.graph_pane.select(dg.AssetKey("orders"))
        details = app.details_pane
        await wait_until(
            pilot,
            lambda: (
                details.data is not None
                and details.key == dg.AssetKey("orders")
                and len(details.data.checks) == 2
            ),
        )
        results = {c.check_name: c.evaluation.passed for c in details.data.checks if c.evaluation}
        assert results == {"unique_orders_id": True, "not_null_orders_id": True}


def test_a_missing_profile_is_a_clear_load_error(dbt_project: Path) -> None:
    (dbt_project / "profiles.yml").unlink()
    out = assettui("validate", cwd=dbt_project)
    assert out.returncode == 1
    text = out.stdout + out.stderr
    assert "dbt could not parse the project" in text and "profiles" in text.lower()


def test_a_locked_warehouse_fails_the_dbt_step_with_duckdbs_reason(dbt_project: Path) -> None:
    assert assettui("materialize", cwd=dbt_project).returncode == 0
    import duckdb

    holder = duckdb.connect(str(dbt_project / "warehouse.duckdb"))  # holds the write lock
    try:
        out = assettui("materialize", "--select", "order_count", cwd=dbt_project)
    finally:
        holder.close()
    assert out.returncode == 1
    assert "lock" in out.stdout.lower() and "Traceback" not in out.stderr
    assert assettui("materialize", "--select", "order_count", cwd=dbt_project).returncode == 0


def test_dbt_selections_and_schedules(dbt_project: Path, monkeypatch) -> None:
    monkeypatch.setenv(DBT_EXECUTABLE_ENV, DBT)
    monkeypatch.syspath_prepend(str(dbt_project))
    import assettui as dg
    from assettui.dbt import build_dbt_asset_selection, build_schedule_from_dbt_selection
    from assettui.project import find_project, load_project

    defs = load_project(find_project(dbt_project)).defs
    graph = defs.resolve_asset_graph()
    dbt_def = graph.get(dg.AssetKey("orders")).assets_def
    marts = build_dbt_asset_selection([dbt_def], dbt_select="tag:mart")
    assert marts.resolve(graph) == {dg.AssetKey("order_count")}
    upstream = build_dbt_asset_selection(
        [dbt_def], dbt_select="+order_count", dbt_exclude="tag:mart"
    )
    assert upstream.resolve(graph) == {dg.AssetKey("orders")}
    schedule = build_schedule_from_dbt_selection(
        [dbt_def], job_name="marts_daily", cron_schedule="0 6 * * *", dbt_select="tag:mart"
    )
    assert schedule.name == "marts_daily_schedule" and schedule.cron_schedule == "0 6 * * *"
    assert schedule.job.selection.resolve(graph) == {dg.AssetKey("order_count")}
    sys.modules.pop("definitions", None)


def test_materializations_carry_the_adapters_response_and_row_counts(dbt_project: Path) -> None:
    definitions = dbt_project / "definitions.py"
    source = definitions.read_text()
    definitions.write_text(source.replace(".stream()", ".stream().fetch_row_counts()"))
    out = assettui("materialize", cwd=dbt_project)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "NodeFinished" not in out.stdout and "Began running node" not in out.stdout  # debug
    import assettui as dg

    with dg.DagsterInstance.from_home(dbt_project / ".assettui") as instance:
        for key, rows in (("orders", 3), ("order_count", 1)):
            event = instance.get_latest_materialization_event(dg.AssetKey(key))
            assert event is not None and event.asset_materialization is not None
            metadata = event.asset_materialization.metadata
            assert metadata["dagster/row_count"].value == rows
            assert metadata["Execution Duration"].value > 0
            assert "select" in metadata["compiled_sql"].value


def test_the_adapters_response_becomes_metadata_as_dagster_dbt_records_it(
    tmp_path: Path,
) -> None:
    """dbt-duckdb reports no rows affected, so a recorded dbt-postgres log (its two events
    of one model) is replayed through a process printing it."""
    import json

    import assettui as dg
    from assettui.integrations.dbt.assets import DbtAssetsInfo
    from assettui.integrations.dbt.cli import DbtCliInvocation
    from assettui.integrations.dbt.translator import DagsterDbtTranslator

    uid = "model.shop.orders"
    node = {"unique_id": uid, "node_status": "success", "materialized": "table",
            "node_relation": {"relation_name": '"db"."public"."orders"'}}  # fmt: skip
    events = [
        {"info": {"name": "LogModelResult", "level": "info", "msg": "1 of 1 OK orders"},
         "data": {"node_info": node, "status": "success", "execution_time": 0.5}},
        {"info": {"name": "NodeFinished", "level": "debug", "msg": "Finished running orders"},
         "data": {"node_info": node, "run_result": {"execution_time": 0.52, "adapter_response": {
             "_message": "SELECT 42", "code": "SELECT", "rows_affected": 42}}}},
    ]  # fmt: skip
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(event) + "\n" for event in events))
    process = subprocess.Popen(
        [sys.executable, "-c", f"print(open({str(log)!r}).read(), end='')"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    info = DbtAssetsInfo({}, DagsterDbtTranslator(), {uid: dg.AssetKey("orders")})
    invocation = DbtCliInvocation(process, ["dbt"], tmp_path, info, None, True, ["build"])
    [result] = list(invocation.stream())
    assert result.metadata["rows_affected"].value == 42
    assert result.metadata["code"].value == "SELECT"
    assert result.metadata["Execution Duration"].value == 0.52
    assert invocation.relations == {dg.AssetKey("orders"): '"db"."public"."orders"'}
