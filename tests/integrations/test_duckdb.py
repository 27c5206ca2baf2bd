"""The DuckDB integration against real DuckDB files, written as dagster-duckdb's docs write it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import duckdb
import pandas as pd
import polars as pl
import pytest

import assettui as dg
from assettui.duckdb import (
    DuckDBPandasIOManager,
    DuckDBPolarsIOManager,
    DuckDBResource,
    build_duckdb_io_manager,
)
from assettui.integrations.duckdb.io_manager import DuckDBPandasTypeHandler, DuckDBPolarsTypeHandler


@pytest.fixture
def instance(tmp_path):
    inst = dg.DagsterInstance.from_home(tmp_path / "home")
    yield inst
    inst.dispose()


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "warehouse.duckdb")


def rows(db: str, sql: str) -> list[tuple]:
    with duckdb.connect(db, read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_resource_connections_write_and_read(instance, db):
    @dg.asset
    def iris(duckdb: DuckDBResource) -> None:
        with duckdb.get_connection() as conn:
            conn.execute("CREATE TABLE iris AS SELECT 1 AS id, 'setosa' AS species")

    @dg.asset(deps=[iris])
    def species_count(duckdb: DuckDBResource) -> int:
        with duckdb.get_connection() as conn:
            return conn.execute("SELECT count(*) FROM iris").fetchone()[0]

    result = dg.materialize(
        [iris, species_count], instance=instance, resources={"duckdb": DuckDBResource(database=db)}
    )
    assert result.success
    assert result.output_for_node("species_count") == 1


def test_pandas_tables_named_by_key_prefix_and_loaded_downstream(instance, db):
    @dg.asset(key_prefix=["raw"])
    def orders() -> pd.DataFrame:
        return pd.DataFrame({"id": [1, 2, 3], "amount": [10.0, 20.0, 5.0]})

    @dg.asset(ins={"orders": dg.AssetIn(key=["raw", "orders"])})
    def big_orders(orders: pd.DataFrame) -> pd.DataFrame:
        return orders[orders["amount"] > 8]

    result = dg.materialize(
        [orders, big_orders],
        instance=instance,
        resources={"io_manager": DuckDBPandasIOManager(database=db, schema="analytics")},
    )
    assert result.success
    assert rows(db, "SELECT id FROM raw.orders ORDER BY id") == [(1,), (2,), (3,)]
    assert rows(db, "SELECT id FROM analytics.big_orders ORDER BY id") == [(1,), (2,)]
    mat = result.asset_materializations_for_node("big_orders")[0]
    assert mat.metadata["dagster/row_count"].value == 2
    assert [c.name for c in mat.metadata["dagster/column_schema"].value.columns] == ["id", "amount"]


def test_rematerializing_replaces_an_unpartitioned_table(instance, db):
    width = {"n": 1}

    @dg.asset
    def table() -> pd.DataFrame:
        return pd.DataFrame({f"c{i}": [i] for i in range(width["n"])})

    resources = {"io_manager": DuckDBPandasIOManager(database=db)}
    dg.materialize([table], instance=instance, resources=resources)
    width["n"] = 3  # a new column: the table is replaced, not appended to
    dg.materialize([table], instance=instance, resources=resources)
    assert rows(db, "SELECT * FROM public.table") == [(0, 1, 2)]


def test_partitions_write_and_read_only_their_rows(instance, db):
    daily = dg.DailyPartitionsDefinition(start_date="2024-01-01")

    @dg.asset(partitions_def=daily, metadata={"partition_expr": "day"})
    def events(context: dg.AssetExecutionContext) -> pl.DataFrame:
        day = context.partition_key
        return pl.DataFrame({"day": [day, day], "n": [1, 2]}).with_columns(
            pl.col("day").str.to_datetime("%Y-%m-%d")
        )

    @dg.asset(partitions_def=daily, metadata={"partition_expr": "day"})
    def daily_total(events: pl.DataFrame) -> pl.DataFrame:
        return pl.DataFrame(
            {"day": [events["day"][0]], "total": [int(events["n"].sum())], "rows": [events.height]}
        )

    resources = {"io_manager": DuckDBPolarsIOManager(database=db)}
    for day in ["2024-01-01", "2024-01-02", "2024-01-01"]:  # the first day written twice
        assert dg.materialize(
            [events], instance=instance, partition_key=day, resources=resources
        ).success
    assert rows(
        db, "SELECT strftime(day, '%Y-%m-%d'), count(*) FROM public.events GROUP BY 1 ORDER BY 1"
    ) == [
        ("2024-01-01", 2),
        ("2024-01-02", 2),
    ]
    result = dg.materialize(
        [events, daily_total],
        instance=instance,
        partition_key="2024-01-02",
        resources=resources,
        selection=[daily_total],
    )
    assert result.output_for_node("daily_total")["total", "rows"].rows() == [(3, 2)]


def test_static_partitions_and_column_selection(instance, db):
    regions = dg.StaticPartitionsDefinition(["eu", "us"])

    @dg.asset(partitions_def=regions, metadata={"partition_expr": "region"})
    def sales(context: dg.AssetExecutionContext) -> pd.DataFrame:
        return pd.DataFrame({"region": [context.partition_key], "amount": [7], "note": ["x"]})

    @dg.asset(
        partitions_def=regions,
        ins={"sales": dg.AssetIn(metadata={"columns": ["amount"]})},
        io_manager_key="memory",
    )
    def sales_columns(sales: pd.DataFrame) -> list[str]:
        return list(sales.columns)

    resources = {"io_manager": DuckDBPandasIOManager(database=db), "memory": dg.InMemoryIOManager()}
    for region in ["eu", "us"]:
        dg.materialize([sales], instance=instance, partition_key=region, resources=resources)
    result = dg.materialize(
        [sales, sales_columns],
        instance=instance,
        partition_key="us",
        resources=resources,
        selection=[sales_columns],
    )
    assert result.output_for_node("sales_columns") == ["amount"]
    assert rows(db, "SELECT region FROM public.sales ORDER BY 1") == [("eu",), ("us",)]


def test_multi_partitions_map_each_dimension_to_a_column(instance, db):
    multi = dg.MultiPartitionsDefinition(
        {
            "date": dg.DailyPartitionsDefinition(start_date="2024-01-01"),
            "color": dg.StaticPartitionsDefinition(["red", "blue"]),
        }
    )

    @dg.asset(partitions_def=multi, metadata={"partition_expr": {"date": "day", "color": "color"}})
    def paint(context: dg.AssetExecutionContext) -> pd.DataFrame:
        keys = context.partition_key.keys_by_dimension
        return pd.DataFrame({"day": [pd.Timestamp(keys["date"])], "color": [keys["color"]]})

    resources = {"io_manager": DuckDBPandasIOManager(database=db)}
    for key in ["red|2024-01-01", "blue|2024-01-01", "red|2024-01-01"]:
        partition = dg.MultiPartitionKey({"color": key.split("|")[0], "date": key.split("|")[1]})
        assert dg.materialize(
            [paint], instance=instance, partition_key=partition, resources=resources
        ).success
    assert rows(db, "SELECT color, count(*) FROM public.paint GROUP BY 1 ORDER BY 1") == [
        ("blue", 1),
        ("red", 1),
    ]


def test_partitioned_asset_without_partition_expr_is_a_clear_error(instance, db):
    @dg.asset(partitions_def=dg.StaticPartitionsDefinition(["a"]))
    def unkeyed() -> pd.DataFrame:
        return pd.DataFrame({"x": [1]})

    result = dg.materialize(
        [unkeyed],
        instance=instance,
        partition_key="a",
        resources={"io_manager": DuckDBPandasIOManager(database=db)},
        raise_on_error=False,
    )
    assert not result.success
    messages = " ".join(str(e.message) for e in result.all_events)
    assert "partition_expr" in messages and "unkeyed" in messages


def test_key_prefix_names_the_schema_over_the_configured_one(instance, db):
    @dg.asset(key_prefix="raw")
    def prefixed() -> pd.DataFrame:
        return pd.DataFrame({"x": [1]})

    @dg.asset
    def plain() -> pd.DataFrame:
        return pd.DataFrame({"x": [1]})

    result = dg.materialize(
        [prefixed, plain],
        instance=instance,
        resources={"io_manager": DuckDBPandasIOManager(database=db, schema="analytics")},
    )
    assert rows(
        db, "SELECT table_schema, table_name FROM information_schema.tables ORDER BY 2"
    ) == [
        ("analytics", "plain"),
        ("raw", "prefixed"),
    ]
    metadata = result.asset_materializations_for_node("plain")[0].metadata
    assert metadata["dagster/table_name"].value == f"{db}.analytics.plain"


def test_missing_table_says_materialize_first(instance, db):
    @dg.asset
    def never() -> pd.DataFrame:
        return pd.DataFrame({"x": [1]})

    @dg.asset
    def reader(never: pd.DataFrame) -> int:
        return len(never)

    result = dg.materialize(
        [never, reader],
        instance=instance,
        resources={"io_manager": DuckDBPandasIOManager(database=db)},
        selection=[reader],
        raise_on_error=False,
    )
    assert not result.success
    assert "Materialize it first" in " ".join(str(e.message) for e in result.all_events)


def test_io_manager_built_from_several_handlers_picks_by_type(instance, db):
    manager = build_duckdb_io_manager(
        [DuckDBPandasTypeHandler(), DuckDBPolarsTypeHandler()], default_load_type=pl.DataFrame
    )

    @dg.asset
    def as_pandas() -> pd.DataFrame:
        return pd.DataFrame({"x": [1, 2]})

    @dg.asset(io_manager_key="memory")
    def as_polars(as_pandas: pl.DataFrame) -> int:
        assert isinstance(as_pandas, pl.DataFrame)
        return as_pandas.height

    result = dg.materialize(
        [as_pandas, as_polars],
        instance=instance,
        resources={"io_manager": manager(database=db), "memory": dg.InMemoryIOManager()},
    )
    assert result.output_for_node("as_polars") == 2


def test_parallel_writers_in_separate_processes_lose_no_rows(tmp_path):
    """DuckDB allows one writer per file: concurrent processes take turns and keep every row."""
    db = tmp_path / "shared.duckdb"
    script = tmp_path / "writer.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys
            import pandas as pd
            import assettui as dg
            from assettui.duckdb import DuckDBPandasIOManager

            parts = dg.StaticPartitionsDefinition([str(i) for i in range(40)])

            @dg.asset(partitions_def=parts, metadata={{"partition_expr": "part"}})
            def numbers(context) -> pd.DataFrame:
                return pd.DataFrame({{"part": [context.partition_key] * 50, "n": range(50)}})

            manager = DuckDBPandasIOManager(database={str(db)!r})
            for key in sys.argv[1].split(","):
                assert dg.materialize([numbers], partition_key=key, resources={{"io_manager": manager}}).success
            """
        )
    )
    chunks = [",".join(str(i) for i in range(start, 40, 4)) for start in range(4)]
    procs = [subprocess.Popen([sys.executable, str(script), chunk]) for chunk in chunks]
    assert [p.wait(timeout=240) for p in procs] == [0, 0, 0, 0]
    assert rows(str(db), "SELECT count(*), count(DISTINCT part) FROM public.numbers") == [
        (2000, 40)
    ]


def test_a_file_held_open_elsewhere_fails_clearly_after_the_timeout(instance, db, tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({db!r}); print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"

        @dg.asset
        def blocked() -> pd.DataFrame:
            return pd.DataFrame({"x": [1]})

        result = dg.materialize(
            [blocked],
            instance=instance,
            resources={"io_manager": DuckDBPandasIOManager(database=db, lock_timeout=0.5)},
            raise_on_error=False,
        )
        messages = " ".join(str(e.message) for e in result.all_events)
        assert not result.success
        assert "one writer at a time" in messages and db in messages
    finally:
        holder.kill()
        holder.wait()


def test_dagster_plugin_names_resolve(tmp_path):
    code = textwrap.dedent(
        """
        from assettui.project import dagster_alias
        dagster_alias.install()
        from dagster_duckdb import DuckDBResource
        from dagster_duckdb_pandas import DuckDBPandasIOManager
        from dagster_duckdb_polars import DuckDBPolarsIOManager
        import assettui.duckdb as native
        assert DuckDBResource is native.DuckDBResource
        assert DuckDBPandasIOManager is native.DuckDBPandasIOManager
        assert DuckDBPolarsIOManager is native.DuckDBPolarsIOManager
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_importing_assettui_does_not_import_duckdb():
    code = "import sys, assettui; assettui.asset; assert 'duckdb' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
