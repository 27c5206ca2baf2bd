"""What leaves the platform: the Markdown revenue report and a (slow) revenue forecast."""

from __future__ import annotations

import time
from datetime import date, timedelta

import polars as pl

import assettui as dg
from ecommerce.marts import ALL_DAYS_SO_FAR, Partitioned, stack
from ecommerce.paths import forecast_seconds, reports_dir
from ecommerce.resources import Warehouse


class ReportConfig(dg.Config):
    """Options of the revenue report (set them in the run config of ``revenue_report``).

    Args:
        title: the report's heading.
        top_n: how many products and customers the report lists.
    """

    title: str = "Revenue report"
    top_n: int = 10


def _table(frame: pl.DataFrame) -> str:
    """A Markdown table of ``frame``."""
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * frame.width
    rows = ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join([header, rule, *rows])


@dg.asset(
    group_name="marts",
    kinds={"markdown"},
    ins={"daily_revenue": ALL_DAYS_SO_FAR},
    code_version="1",
)
def revenue_report(
    context: dg.AssetExecutionContext,
    config: ReportConfig,
    warehouse: Warehouse,
    daily_revenue: Partitioned,
    top_products: pl.DataFrame,
    customer_ltv: pl.DataFrame,
) -> dg.MaterializeResult:
    """A Markdown report of revenue per day, the top products and the best customers."""
    days = stack(daily_revenue)
    days = days.sort("order_day") if days.height else days
    products = top_products.head(config.top_n).select("rank", "name", "category", "revenue")
    customers = customer_ltv.head(config.top_n).select("customer_id", "name", "country", "ltv")
    total = round(float(days["revenue"].sum()), 2) if days.height else 0.0
    span = f"{days[0, 'order_day']} to {days[-1, 'order_day']}" if days.height else "no days"
    text = "\n\n".join(
        [
            f"# {config.title}",
            f"Revenue {total:,.2f} over {days.height} days ({span}); published to "
            f"`{warehouse.table('revenue_report')}`.",
            "## Revenue per day",
            _table(days) if days.height else "_No day has been loaded yet._",
            f"## Top {config.top_n} products",
            _table(products),
            f"## Top {config.top_n} customers",
            _table(customers),
        ]
    )
    path = reports_dir() / "revenue_report.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text + "\n")
    tmp.replace(path)  # readers never see half a report
    context.log.info(f"wrote {path}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(path),
            "total_revenue": total,
            "days": days.height,
            "product_rows": products.height,
            "customer_rows": customers.height,
            "warehouse": warehouse.safe_dsn,
            "preview": dg.MetadataValue.md(text[:2000]),
        }
    )


@dg.asset(group_name="marts", kinds={"polars"}, ins={"daily_revenue": ALL_DAYS_SO_FAR})
def revenue_forecast(context: dg.AssetExecutionContext, daily_revenue: Partitioned) -> pl.DataFrame:
    """Next week's revenue, forecast by a deliberately slow model (watch its log live)."""
    history = stack(daily_revenue)
    if history.height == 0:
        raise dg.Failure("revenue_forecast needs daily_revenue; materialize some days first.")
    seconds = forecast_seconds()
    epochs = max(1, int(seconds / 0.5))
    for epoch in range(1, epochs + 1):
        time.sleep(seconds / epochs)  # stands in for fitting a model
        context.log.info(f"fitting forecast model: epoch {epoch}/{epochs}")
    history = history.sort("order_day")
    level = float(history.tail(7).select(pl.col("revenue").mean()).item())
    last_day: date = history[-1, "order_day"]
    return pl.DataFrame(
        {
            "order_day": [last_day + timedelta(days=d) for d in range(1, 8)],
            "forecast_revenue": [round(level, 2)] * 7,
        }
    )
