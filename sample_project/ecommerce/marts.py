"""Marts: what the business reads."""

from __future__ import annotations

import polars as pl

import assettui as dg


@dg.asset(group_name="marts", kinds={"polars"})
def daily_revenue(clean_orders: pl.DataFrame) -> pl.DataFrame:
    """Revenue and order count per day."""
    return (
        clean_orders.group_by("order_day")
        .agg(pl.col("amount").sum().round(2).alias("revenue"), pl.len().alias("orders"))
        .sort("order_day")
    )


@dg.asset(group_name="marts", kinds={"polars"})
def customer_ltv(clean_orders: pl.DataFrame, clean_customers: pl.DataFrame) -> pl.DataFrame:
    """Lifetime value per customer."""
    spend = clean_orders.group_by("customer_id").agg(pl.col("amount").sum().round(2).alias("ltv"))
    return clean_customers.join(spend, on="customer_id", how="left").fill_null(0.0)


@dg.asset(group_name="marts", kinds={"polars"})
def top_products(clean_orders: pl.DataFrame) -> pl.DataFrame:
    """The ten best-selling products by revenue."""
    return (
        clean_orders.group_by("product_id", "category")
        .agg(pl.col("amount").sum().round(2).alias("revenue"))
        .sort("revenue", descending=True)
        .head(10)
    )


@dg.asset(group_name="marts", kinds={"polars"}, deps=[top_products])
def revenue_report(daily_revenue: pl.DataFrame) -> dg.MaterializeResult:
    """A summary of revenue for the business."""
    total = float(daily_revenue["revenue"].sum())
    return dg.MaterializeResult(
        metadata={"total_revenue": round(total, 2), "days": daily_revenue.height}
    )
