"""dlt sources as assets against real dlt loading into DuckDB: one asset per resource, rows
loaded per resource, subsetting loads only the selected resources."""

from __future__ import annotations

from pathlib import Path

import pytest

dlt = pytest.importorskip("dlt", reason="dlt is not installed (the dlt extra)")

import assettui as dg  # noqa: E402
from assettui.dlt import DagsterDltResource, dlt_assets  # noqa: E402


@dlt.source
def shop():
    @dlt.resource(primary_key="id", write_disposition="replace")
    def customers():
        yield [{"id": 1, "name": "ada"}, {"id": 2, "name": "bob"}]

    @dlt.resource(primary_key="id", write_disposition="replace")
    def orders():
        yield [
            {"id": 10, "customer_id": 1},
            {"id": 11, "customer_id": 2},
            {"id": 12, "customer_id": 2},
        ]

    return customers, orders


def _pipeline(tmp_path: Path):
    return dlt.pipeline(
        pipeline_name="shop_pipeline",
        destination=dlt.destinations.duckdb(str(tmp_path / "shop.duckdb")),
        dataset_name="shop_data",
        pipelines_dir=str(tmp_path / "dlt_pipelines"),
    )


def test_dlt_resources_load_as_assets_with_row_counts(tmp_path: Path) -> None:
    @dlt_assets(dlt_source=shop(), dlt_pipeline=_pipeline(tmp_path), name="shop", group_name="raw")
    def shop_assets(context: dg.AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    assert shop_assets.keys == {dg.AssetKey("dlt_shop_customers"), dg.AssetKey("dlt_shop_orders")}
    result = dg.materialize([shop_assets], resources={"dlt": DagsterDltResource()})
    rows = {
        m.asset_key.to_user_string(): m.metadata["dagster/row_count"].value
        for m in result.asset_materializations_for_node("shop")
    }
    assert rows == {"dlt_shop_customers": 2, "dlt_shop_orders": 3}
    import duckdb

    con = duckdb.connect(str(tmp_path / "shop.duckdb"), read_only=True)
    assert con.execute("select count(*) from shop_data.orders").fetchone() == (3,)
    con.close()
    graph = dg.Definitions(assets=[shop_assets]).resolve_asset_graph()
    assert graph.get(dg.AssetKey("dlt_shop_orders")).group_name == "raw"
    assert graph.get(dg.AssetKey("dlt_shop_orders")).parent_keys == {dg.AssetKey("shop_orders")}


def test_materializing_one_resource_loads_just_that_one(tmp_path: Path) -> None:
    @dlt_assets(dlt_source=shop(), dlt_pipeline=_pipeline(tmp_path), name="shop")
    def shop_assets(context: dg.AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    result = dg.materialize(
        [shop_assets], resources={"dlt": DagsterDltResource()}, selection=["dlt_shop_customers"]
    )
    keys = [m.asset_key for m in result.asset_materializations_for_node("shop")]
    assert keys == [dg.AssetKey("dlt_shop_customers")]
    import duckdb

    con = duckdb.connect(str(tmp_path / "shop.duckdb"), read_only=True)
    tables = {
        r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
    }
    con.close()
    assert "customers" in tables and "orders" not in tables
