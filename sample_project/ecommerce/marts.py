"""Marts: what the business reads, built from the clean layer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

import assettui as dg
from ecommerce.partitions import daily_partitions

# The unpartitioned marts read every daily partition materialized so far; days not yet
# loaded are skipped rather than failing the run (Dagster's IO manager convention).
ALL_DAYS_SO_FAR = dg.AssetIn(metadata={"allow_missing_partitions": True})

Partitioned = pl.DataFrame | Mapping[str, pl.DataFrame]


# The columns the whole-history marts need, for when no day has been loaded yet.
NO_ORDERS = {
    "customer_id": pl.Int64,
    "product_id": pl.Int64,
    "quantity": pl.Int64,
    "amount": pl.Float64,
}


def stack(value: Partitioned, empty: Mapping[str, Any] | None = None) -> pl.DataFrame:
    """One frame from an input that spans one partition (a frame) or several (a dict).

    Args:
        value: the loaded input.
        empty: the schema of the frame returned when no partition was loaded.
    """
    if isinstance(value, pl.DataFrame):
        return value
    frames = [value[key] for key in sorted(value)]
    return pl.concat(frames) if frames else pl.DataFrame(schema=dict(empty or {}))


@dg.asset(
    group_name="marts",
    kinds={"polars"},
    partitions_def=daily_partitions,
    automation_condition=dg.AutomationCondition.eager(),
    code_version="1",
)
def daily_revenue(clean_orders: pl.DataFrame) -> pl.DataFrame:
    """Revenue, orders and units of one day (kept up to date by an eager condition)."""
    return (
        clean_orders.group_by("order_day")
        .agg(
            pl.col("amount").sum().round(2).alias("revenue"),
            pl.len().alias("orders"),
            pl.col("quantity").sum().alias("units"),
        )
        .with_columns((pl.col("revenue") / pl.col("orders")).round(2).alias("avg_order_value"))
    )


@dg.asset(
    group_name="marts",
    kinds={"polars"},
    partitions_def=daily_partitions,
    ins={
        "daily_revenue": dg.AssetIn(
            partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-6),
            metadata={"allow_missing_partitions": True},
        )
    },
)
def revenue_7d(context: dg.AssetExecutionContext, daily_revenue: Partitioned) -> pl.DataFrame:
    """Revenue over the seven days ending with this one.

    Days of the window not loaded yet (or before the shop opened) are left out; the ``days``
    column says how many the sum covers.
    """
    window = stack(daily_revenue)
    context.log.info(f"rolling {window.height} days into {context.partition_key}")
    return pl.DataFrame(
        {
            "order_day": [context.partition_time_window.start.date()],
            "days": [window.height],
            "revenue_7d": [round(float(window["revenue"].sum()), 2)],
            "orders_7d": [int(window["orders"].sum())],
        }
    )


@dg.asset(group_name="marts", kinds={"polars"}, ins={"clean_orders": ALL_DAYS_SO_FAR})
def customer_ltv(clean_orders: Partitioned, clean_customers: pl.DataFrame) -> pl.DataFrame:
    """Lifetime value per customer over every day loaded so far."""
    spend = (
        stack(clean_orders, NO_ORDERS)
        .group_by("customer_id")
        .agg(pl.col("amount").sum().round(2).alias("ltv"), pl.len().alias("orders"))
    )
    return (
        clean_customers.join(spend, on="customer_id", how="left")
        .with_columns(pl.col("ltv").fill_null(0.0), pl.col("orders").fill_null(0))
        .sort("ltv", descending=True)
    )


@dg.asset(
    group_name="marts",
    kinds={"polars"},
    ins={"clean_orders": ALL_DAYS_SO_FAR},
    code_version="1",
)
def top_products(clean_orders: Partitioned, clean_products: pl.DataFrame) -> pl.DataFrame:
    """Every product ranked by revenue over every day loaded so far."""
    sales = (
        stack(clean_orders, NO_ORDERS)
        .group_by("product_id")
        .agg(
            pl.col("amount").sum().round(2).alias("revenue"),
            pl.col("quantity").sum().alias("units"),
        )
    )
    return (
        clean_products.select("product_id", "name", "category")
        .join(sales, on="product_id", how="inner")
        .sort("revenue", descending=True)
        .with_row_index("rank", offset=1)
    )
