"""Jobs, the nightly schedule and the inbox sensor."""

from __future__ import annotations

import assettui as dg
from ecommerce.partitions import daily_partitions, landed_files_partitions
from ecommerce.paths import inbox_dir

raw_job = dg.define_asset_job(
    "raw_job",
    partitions_def=daily_partitions,
    selection=dg.AssetSelection.groups("raw") - dg.AssetSelection.assets("landed_files"),
    description="Load one day of raw orders with the CRM and catalogue exports.",
)
clean_job = dg.define_asset_job(
    "clean_job",
    partitions_def=daily_partitions,
    selection=dg.AssetSelection.groups("clean"),
    description="Clean one day of orders (with its checks) and the master data.",
)
marts_job = dg.define_asset_job(
    "marts_job",
    partitions_def=daily_partitions,
    selection=dg.AssetSelection.groups("marts"),
    description="Build one day of the daily marts and refresh the whole-history marts.",
)
daily_orders_job = dg.define_asset_job(
    "daily_orders_job",
    partitions_def=daily_partitions,
    selection=dg.AssetSelection.assets("raw_orders", "clean_orders", "daily_revenue", "revenue_7d"),
    description="The nightly path of one order day, from raw events to rolling revenue.",
)
landed_files_job = dg.define_asset_job(
    "landed_files_job",
    selection=dg.AssetSelection.assets("landed_files"),
    partitions_def=landed_files_partitions,
    description="Load one CSV file dropped into the inbox.",
)

daily_orders_schedule = dg.build_schedule_from_partitioned_job(
    daily_orders_job,
    name="daily_orders_schedule",
    hour_of_day=2,
    minute_of_hour=0,
    description="Every night at 02:00 UTC, process yesterday's orders.",
)


@dg.sensor(
    job=landed_files_job,
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def inbox_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    """Turn every new CSV file in the inbox into a landed_files partition and load it."""
    inbox = inbox_dir()
    files = sorted(p.name for p in inbox.glob("*.csv") if p.is_file())
    known = (
        set(context.instance.get_dynamic_partitions(landed_files_partitions.name))
        if context.instance is not None
        else set()
    )
    new = [name for name in files if name not in known]
    if not new:
        return dg.SkipReason(f"No new CSV file in {inbox}.")
    context.log.info(f"new files in {inbox}: {', '.join(new)}")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=name, partition_key=name) for name in new],
        dynamic_partitions_requests=[landed_files_partitions.build_add_request(new)],
    )
