"""Raw layer: data as it arrives from the shop's systems."""

from __future__ import annotations

from datetime import date

import polars as pl

import assettui as dg
from ecommerce import synthetic


@dg.asset(group_name="raw", kinds={"polars"}, code_version="1")
def raw_customers() -> pl.DataFrame:
    """Customer master data exported from the CRM."""
    return synthetic.customers()


@dg.asset(group_name="raw", kinds={"polars"}, code_version="1")
def raw_products() -> pl.DataFrame:
    """The product catalogue with list prices."""
    return synthetic.products()


@dg.asset(group_name="raw", kinds={"polars"})
def raw_orders(context: dg.AssetExecutionContext) -> pl.DataFrame:
    """Orders placed in the shop over the first week of January 2026."""
    frames = [synthetic.orders_for_day(date(2026, 1, d)) for d in range(1, 8)]
    df = pl.concat(frames)
    context.log.info(f"generated {df.height} orders")
    return df
