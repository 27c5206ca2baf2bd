"""Clean layer: typed, de-duplicated and joined data, guarded by asset checks."""

from __future__ import annotations

import polars as pl

import assettui as dg
from ecommerce.partitions import daily_partitions


@dg.asset(group_name="clean", kinds={"polars"})
def clean_customers(raw_customers: pl.DataFrame) -> pl.DataFrame:
    """Customers with upper-case ISO country codes."""
    return raw_customers.with_columns(pl.col("country").str.to_uppercase())


@dg.asset(group_name="clean", kinds={"polars"})
def clean_products(raw_products: pl.DataFrame) -> pl.DataFrame:
    """Products with a price band."""
    return raw_products.with_columns(
        pl.when(pl.col("price") < 20)
        .then(pl.lit("budget"))
        .when(pl.col("price") < 100)
        .then(pl.lit("standard"))
        .otherwise(pl.lit("premium"))
        .alias("price_band")
    )


@dg.asset(group_name="clean", kinds={"polars"}, partitions_def=daily_partitions, code_version="1")
def clean_orders(
    context: dg.AssetExecutionContext, raw_orders: pl.DataFrame, clean_products: pl.DataFrame
) -> pl.DataFrame:
    """One day's orders without re-sent duplicates, priced from the catalogue."""
    unique = raw_orders.unique(subset="order_id", keep="first", maintain_order=True)
    dropped = raw_orders.height - unique.height
    context.log.info(f"dropped {dropped} re-sent order events")
    context.add_output_metadata({"duplicates_dropped": dropped})
    return unique.join(
        clean_products.select("product_id", "price", "category"), on="product_id", how="left"
    ).with_columns((pl.col("quantity") * pl.col("price")).round(2).alias("amount"))


@dg.asset_check(asset=clean_orders, blocking=True)
def order_ids_unique_and_not_null(clean_orders: pl.DataFrame) -> dg.AssetCheckResult:
    """Every order id is present and appears once; downstream marts wait for this check."""
    nulls = clean_orders["order_id"].null_count()
    duplicates = clean_orders.height - clean_orders["order_id"].n_unique()
    return dg.AssetCheckResult(
        passed=nulls == 0 and duplicates == 0,
        metadata={"null_ids": nulls, "duplicate_ids": duplicates, "rows": clean_orders.height},
    )


@dg.asset_check(asset=clean_orders)
def no_negative_amounts(clean_orders: pl.DataFrame) -> dg.AssetCheckResult:
    """No order has a negative amount (a warning: refunds belong in their own feed)."""
    negative = clean_orders.filter(pl.col("amount") < 0).height
    return dg.AssetCheckResult(
        passed=negative == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"negative_amounts": negative},
    )
