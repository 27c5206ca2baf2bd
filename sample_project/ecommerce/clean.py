"""Clean layer: typed, de-duplicated and joined data."""

from __future__ import annotations

import polars as pl

import assettui as dg


@dg.asset(group_name="clean", kinds={"polars"})
def clean_customers(raw_customers: pl.DataFrame) -> pl.DataFrame:
    """Customers with normalized country codes."""
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


@dg.asset(group_name="clean", kinds={"polars"})
def clean_orders(raw_orders: pl.DataFrame, clean_products: pl.DataFrame) -> pl.DataFrame:
    """Orders joined with product prices, with an order amount."""
    return (
        raw_orders.unique(subset="order_id")
        .join(clean_products.select("product_id", "price", "category"), on="product_id")
        .with_columns((pl.col("quantity") * pl.col("price")).round(2).alias("amount"))
    )
