"""The sample project (sample_project/): the whole e-commerce platform, materialized headless.

Every run here uses a temporary instance, inbox and reports folder, never the project's own
``.assettui`` or ``data/``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import assettui as dg
from assettui.project import find_project, load_project

SAMPLE = Path(__file__).resolve().parent.parent / "sample_project"
DAYS = [(date(2026, 1, 1) + timedelta(days=n)).isoformat() for n in range(7)]
SECRET_DSN = "postgresql://analyst:s3cret@warehouse.local/shop"


def assettui(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "assettui.cli.main_entry", *args],
        capture_output=True,
        text=True,
        env={k: v for k, v in {**os.environ, **env}.items() if k != "ASSETTUI_HOME"},
        timeout=240,
    )


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """A temporary inbox, reports folder and instance; the env vars point the project at them."""
    root = tmp_path_factory.mktemp("sample")
    paths = {name: root / name for name in ("inbox", "reports", "home")}
    paths["inbox"].mkdir()
    paths["warehouse"] = root / "warehouse.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ECOMMERCE_WAREHOUSE_DB", str(paths["warehouse"]))
        mp.setenv("ECOMMERCE_INBOX", str(paths["inbox"]))
        mp.setenv("ECOMMERCE_REPORTS_DIR", str(paths["reports"]))
        mp.setenv("ECOMMERCE_FORECAST_SECONDS", "0.1")
        mp.setenv("ECOMMERCE_WAREHOUSE_DSN", SECRET_DSN)
        mp.delenv("ASSETTUI_HOME", raising=False)
        yield paths


@pytest.fixture(scope="module")
def defs(folders: dict[str, Path]) -> dg.Definitions:
    result = load_project(find_project(SAMPLE))
    assert result.ok, result.describe()  # type: ignore[union-attr]
    return result.defs  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def platform(defs: dg.Definitions, folders: dict[str, Path]) -> dict[str, Any]:
    """The first week of January through the raw, clean and marts jobs, plus a configured report."""
    instance = dg.DagsterInstance.from_home(folders["home"])
    results: dict[tuple[str, str], Any] = {}
    for day in DAYS:
        for job in ("raw_job", "clean_job", "marts_job"):
            result = defs.resolve_job_def(job).execute_in_process(
                partition_key=day, instance=instance
            )
            assert result.success, (job, day)
            results[(job, day)] = result
    configured = defs.resolve_job_def("marts_job").execute_in_process(
        partition_key=DAYS[-1],
        instance=instance,
        run_config={"ops": {"revenue_report": {"config": {"top_n": 3, "title": "Week one"}}}},
    )
    assert configured.success
    return {"instance": instance, "results": results, "configured": configured}


def materialization(result: Any, node: str) -> dg.AssetMaterialization:
    (found,) = result.asset_materializations_for_node(node)
    return found


def value(instance: dg.DagsterInstance, *path: str) -> pl.DataFrame:
    """A stored parquet: ``value(instance, "customer_ltv.parquet")``, or a partition's:
    ``value(instance, "raw_orders", "2026-01-02.parquet")``."""
    *key, file = path
    folder = [*key, "%partitions"] if key else []
    return pl.read_parquet(Path(instance.storage_directory).joinpath(*folder, file))


def test_validate_exits_zero(folders: dict[str, Path]) -> None:
    out = assettui("validate", str(SAMPLE), env={})
    assert out.returncode == 0, out.stderr
    assert "6 checks, 5 jobs, 1 schedule, 1 sensor" in out.stdout  # 4 are dbt tests


def test_raw_orders_are_thousands_of_deterministic_rows_per_day(platform: dict[str, Any]) -> None:
    instance = platform["instance"]
    assert instance.get_materialized_partitions(dg.AssetKey("raw_orders")) == set(DAYS)
    counts = []
    for day in DAYS:
        meta = materialization(platform["results"][("raw_job", day)], "raw_orders").metadata
        rows = meta["dagster/row_count"].value
        assert 2000 <= rows <= 4100
        assert value(instance, "raw_orders", f"{day}.parquet").height == rows
        counts.append(rows)
    assert len(set(counts)) > 1  # seeded per day, not one frame repeated
    again = load_project(find_project(SAMPLE)).defs  # type: ignore[union-attr]
    first = dg.materialize_to_memory(
        [again.resolve_asset_graph().get(dg.AssetKey("raw_orders")).assets_def],
        partition_key=DAYS[0],
    )
    assert first.asset_value("raw_orders").height == counts[0]


def test_clean_orders_checks_recorded_for_every_day(platform: dict[str, Any]) -> None:
    storage = platform["instance"].storage
    for day in DAYS:
        records = storage.asset_status.latest_check_results(dg.AssetKey("clean_orders"), day)
        assert {r.check_name: r.passed for r in records} == {
            "no_negative_amounts": True,
            "order_ids_unique_and_not_null": True,
        }
        clean = value(platform["instance"], "clean_orders", f"{day}.parquet")
        raw = value(platform["instance"], "raw_orders", f"{day}.parquet")
        assert clean.height == raw["order_id"].n_unique() < raw.height  # re-sent events dropped
    evaluations = platform["results"][("clean_job", DAYS[0])].get_asset_check_evaluations()
    severities = {e.check_name: e.severity for e in evaluations}
    assert severities["no_negative_amounts"] == dg.AssetCheckSeverity.WARN


def test_daily_and_rolling_revenue(platform: dict[str, Any]) -> None:
    instance = platform["instance"]
    daily = [value(instance, "daily_revenue", f"{day}.parquet") for day in DAYS]
    for day, frame in zip(DAYS, daily, strict=True):
        clean = value(instance, "clean_orders", f"{day}.parquet")
        assert frame["revenue"][0] == pytest.approx(clean["amount"].sum(), abs=0.01)
        assert frame["orders"][0] == clean.height
    first = value(instance, "revenue_7d", f"{DAYS[0]}.parquet")
    assert first["days"][0] == 1
    week = value(instance, "revenue_7d", f"{DAYS[-1]}.parquet")
    assert week["days"][0] == 7
    assert week["revenue_7d"][0] == pytest.approx(sum(f["revenue"][0] for f in daily), abs=0.1)


def test_whole_history_marts_read_every_loaded_day(platform: dict[str, Any]) -> None:
    instance = platform["instance"]
    total = sum(value(instance, "clean_orders", f"{d}.parquet")["amount"].sum() for d in DAYS)
    ltv = value(instance, "customer_ltv.parquet")
    assert ltv.height == 500
    assert ltv["ltv"].sum() == pytest.approx(total, rel=1e-6)
    top = value(instance, "top_products.parquet")
    assert top["rank"].to_list()[:3] == [1, 2, 3]
    assert top["revenue"].sum() == pytest.approx(total, rel=1e-6)
    forecast = value(instance, "revenue_forecast.parquet")
    assert forecast.height == 7


def test_revenue_report_file_and_metadata(
    platform: dict[str, Any], folders: dict[str, Path]
) -> None:
    default = materialization(platform["results"][("marts_job", DAYS[-1])], "revenue_report")
    meta = {k: v.value for k, v in default.metadata.items()}
    assert meta["days"] == 7
    assert meta["product_rows"] == 10
    assert meta["customer_rows"] == 10
    assert meta["warehouse"] == "postgresql://analyst:***@warehouse.local/shop"
    configured = materialization(platform["configured"], "revenue_report")
    meta = {k: v.value for k, v in configured.metadata.items()}
    path = Path(meta["path"])
    assert path == folders["reports"] / "revenue_report.md"
    text = path.read_text()
    assert text.startswith("# Week one\n")
    assert meta["product_rows"] == 3
    assert meta["customer_rows"] == 3
    assert text.count("\n| 2026-01-0") == 7
    assert "s3cret" not in text


def test_slow_forecast_logs_progress(platform: dict[str, Any]) -> None:
    result = platform["results"][("marts_job", DAYS[0])]
    messages = [e.message for e in result.events_for_node("revenue_forecast")]
    assert any("epoch 1/" in (m or "") for m in messages)


def test_inbox_sensor_adds_partition_and_requests_run(
    defs: dg.Definitions, folders: dict[str, Path], tmp_path: Path
) -> None:
    sensor = defs.get_sensor_def("inbox_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    inbox = folders["inbox"]
    (inbox / "partner_a.csv").write_text("order_id,quantity\n1,2\n3,4\n")
    (inbox / "notes.txt").write_text("not a csv")
    instance = dg.DagsterInstance.from_home(tmp_path / "home")
    result = sensor(dg.build_sensor_context(instance=instance, sensor_name="inbox_sensor"))
    assert isinstance(result, dg.SensorResult)
    assert [(r.partition_key, r.run_key) for r in result.run_requests or []] == [
        ("partner_a.csv", "partner_a.csv")
    ]
    (request,) = result.dynamic_partitions_requests or []
    assert isinstance(request, dg.AddDynamicPartitionsRequest)
    assert (request.partitions_def_name, list(request.partition_keys)) == (
        "landed_files",
        ["partner_a.csv"],
    )
    instance.add_dynamic_partitions("landed_files", ["partner_a.csv"])
    again = sensor(dg.build_sensor_context(instance=instance, sensor_name="inbox_sensor"))
    assert isinstance(again, dg.SkipReason)
    (inbox / "partner_a.csv").unlink()
    (inbox / "notes.txt").unlink()


@pytest.mark.slow
def test_daemon_once_turns_a_dropped_csv_into_a_partition_and_a_run(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "partner_b.csv").write_text("order_id,quantity\n1,2\n3,4\n5,6\n")
    home = tmp_path / "home"
    out = assettui(
        "daemon", str(SAMPLE), "--home", str(home), "--once", env={"ECOMMERCE_INBOX": str(inbox)}
    )
    assert out.returncode == 0, out.stderr
    assert "1 launched" in out.stdout
    assert "SUCCESS" in out.stdout
    instance = dg.DagsterInstance.from_home(home)
    assert instance.get_dynamic_partitions("landed_files") == ["partner_b.csv"]
    (run,) = instance.get_runs()
    assert run.partition_key == "partner_b.csv"
    assert run.job_name == "landed_files_job"
    landed = value(instance, "landed_files", "partner_b.csv.parquet")
    assert landed.height == 3
    assert landed["source_file"].unique().to_list() == ["partner_b.csv"]


def test_schedule_requests_yesterday_at_two(defs: dg.Definitions) -> None:
    schedule = defs.get_schedule_def("daily_orders_schedule")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.job_name == "daily_orders_job"
    when = datetime(2026, 1, 6, 2, 0, tzinfo=UTC)
    evaluation = schedule.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=when))
    (request,) = evaluation.run_requests or []
    assert request.partition_key == "2026-01-05"


def test_declared_automation_and_code_versions(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    node = graph.get(dg.AssetKey("daily_revenue"))
    assert node.automation_condition is not None
    assert "eager" in str(node.automation_condition)
    assert graph.get(dg.AssetKey("raw_orders")).code_version == "2"
    landed = graph.get(dg.AssetKey("landed_files")).partitions_def
    assert isinstance(landed, dg.DynamicPartitionsDefinition)
    assert landed.name == "landed_files"


@pytest.mark.slow
def test_cli_materializes_one_raw_partition(tmp_path: Path) -> None:
    out = assettui(
        "materialize",
        str(SAMPLE),
        "--home",
        str(tmp_path / "home"),
        "--select",
        "key:raw_orders",
        "--partition",
        "2026-01-05",
        env={},
    )
    assert out.returncode == 0, out.stderr
    assert (
        tmp_path / "home" / "storage" / "raw_orders" / "%partitions" / "2026-01-05.parquet"
    ).is_file()


def backfill(home: Path, reports: Path, select: str) -> subprocess.CompletedProcess:
    if "backfill" not in assettui("--help", env={}).stdout:
        pytest.skip("`assettui backfill` is not available yet")
    return assettui(
        "backfill",
        str(SAMPLE),
        "--home",
        str(home),
        "--select",
        select,
        "--from",
        DAYS[0],
        "--to",
        DAYS[2],
        env={
            "ECOMMERCE_REPORTS_DIR": str(reports),
            "ECOMMERCE_FORECAST_SECONDS": "0.1",
            "ECOMMERCE_WAREHOUSE_DB": str(home.parent / "warehouse.duckdb"),
        },
    )


@pytest.mark.slow
def test_backfill_of_the_daily_platform_succeeds(tmp_path: Path) -> None:
    out = backfill(tmp_path / "home", tmp_path / "reports", "not key:landed_files")
    assert out.returncode == 0, out.stdout + out.stderr
    instance = dg.DagsterInstance.from_home(tmp_path / "home")
    for key in ("raw_orders", "clean_orders", "daily_revenue", "revenue_7d"):
        assert instance.get_materialized_partitions(dg.AssetKey(key)) == set(DAYS[:3]), key
    assert value(instance, "revenue_7d", f"{DAYS[2]}.parquet")["days"][0] == 3
    assert "over 3 days" in (tmp_path / "reports" / "revenue_report.md").read_text()


@pytest.mark.slow
def test_backfill_of_everything_records_every_check(tmp_path: Path) -> None:
    out = backfill(tmp_path / "home", tmp_path / "reports", "*")
    assert out.returncode == 0, out.stdout + out.stderr
    status = dg.DagsterInstance.from_home(tmp_path / "home").storage.asset_status
    for day in DAYS[:3]:
        records = status.latest_check_results(dg.AssetKey("clean_orders"), day)
        assert [r.passed for r in records] == [True, True], day


def test_whole_history_marts_work_before_any_day_is_loaded(
    defs: dg.Definitions, tmp_path: Path
) -> None:
    instance = dg.DagsterInstance.from_home(tmp_path / "home")
    graph = defs.resolve_asset_graph()
    result = dg.materialize(
        list({id(n.assets_def): n.assets_def for n in graph.asset_nodes}.values()),
        resources=defs.resources,
        instance=instance,
        selection=dg.AssetSelection.assets(
            "raw_customers", "raw_products", "clean_customers", "clean_products", "customer_ltv"
        )
        | dg.AssetSelection.assets("top_products", "revenue_report"),
    )
    assert result.success
    assert result.asset_value("customer_ltv")["ltv"].sum() == 0
    assert result.asset_value("top_products").height == 0
    (report,) = result.asset_materializations_for_node("revenue_report")
    assert report.metadata["days"].value == 0


def test_the_dbt_warehouse_models_clean_customers_with_dbt_tests_as_checks(
    defs: dg.Definitions, folders: dict[str, Path]
) -> None:
    graph = defs.resolve_asset_graph()
    stg = dg.AssetKey("stg_customers")
    assert graph.get(stg).parent_keys == {dg.AssetKey("warehouse_customers")}
    assert graph.get(dg.AssetKey("warehouse_customers")).parent_keys == {
        dg.AssetKey("clean_customers")
    }
    instance = dg.DagsterInstance.from_home(folders["home"])
    result = dg.materialize(
        list({id(n.assets_def): n.assets_def for n in graph.asset_nodes}.values()),
        resources=defs.resources,
        instance=instance,
        selection=dg.AssetSelection.from_string("+group:warehouse"),
    )
    assert result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {
        "unique_stg_customers_customer_id": True,
        "not_null_stg_customers_customer_id": True,
        "not_null_stg_customers_country": True,
        "unique_customers_by_country_country": True,
    }
    import duckdb

    con = duckdb.connect(str(folders["warehouse"]), read_only=True)
    assert con.execute("select sum(customers) from customers_by_country").fetchone()[0] > 0
    con.close()
