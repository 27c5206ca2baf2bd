"""Raw layer: data as it arrives from the shop's systems."""

from __future__ import annotations

from datetime import date

import polars as pl

import assettui as dg
from ecommerce import synthetic
from ecommerce.partitions import daily_partitions, landed_files_partitions
from ecommerce.paths import inbox_dir


@dg.asset(group_name="raw", kinds={"polars"}, code_version="1", owners=["team:crm"])
def raw_customers() -> pl.DataFrame:
    """Customer master data exported from the CRM."""
    return synthetic.customers()


@dg.asset(group_name="raw", kinds={"polars"}, code_version="1", owners=["team:catalogue"])
def raw_products() -> pl.DataFrame:
    """The product catalogue with list prices."""
    return synthetic.products()


@dg.asset(
    group_name="raw",
    kinds={"polars"},
    partitions_def=daily_partitions,
    code_version="2",
    owners=["team:shop"],
    metadata={"source": "shop order events"},
)
def raw_orders(context: dg.AssetExecutionContext) -> pl.DataFrame:
    """The orders placed in the shop on one day, as the shop's event feed delivered them."""
    day = date.fromisoformat(context.partition_key)
    orders = synthetic.orders_for_day(day)
    context.log.info(f"received {orders.height} order events for {day}")
    return orders


@dg.asset(
    group_name="raw",
    kinds={"polars", "csv"},
    partitions_def=landed_files_partitions,
    owners=["team:shop"],
)
def landed_files(context: dg.AssetExecutionContext) -> pl.DataFrame:
    """A CSV file dropped into the inbox by a partner, one partition per file."""
    path = inbox_dir() / context.partition_key
    if not path.is_file():
        raise dg.Failure(
            f"Landed file {path} is gone; put it back into the inbox or delete the partition."
        )
    frame = pl.read_csv(path).with_columns(pl.lit(path.name).alias("source_file"))
    context.log.info(f"read {frame.height} rows and {frame.width - 1} columns from {path.name}")
    context.add_output_metadata(
        {"file": dg.MetadataValue.path(path), "columns": dg.MetadataValue.json(frame.columns)}
    )
    return frame
