"""Partitions, backfill planning and the scheduler: assettui's figures (Dagster where comparable)."""

from __future__ import annotations

from benchmarks.measurements import ASSETTUI, Context, Measurement, timed_script

HOURLY_10Y = "start_date='2016-01-01-00:00', end_date='2026-01-01-00:00'"


def _hourly_keys(context: Context) -> str:
    module = "assettui" if context.tool == ASSETTUI else "dagster"
    return timed_script(
        setup=f"import {module} as dg",
        timed=f"keys = dg.HourlyPartitionsDefinition({HOURLY_10Y}).get_partition_keys()",
        check="assert len(keys) > 87_000, len(keys)",
    )


def _hourly_status(context: Context) -> str:
    return timed_script(
        setup=f"""
        import tempfile, time
        import assettui as dg
        from assettui.execution.asset_state import partition_states
        from assettui.model.records.events import DagsterEventType, NewEvent
        pdef = dg.HourlyPartitionsDefinition({HOURLY_10Y})
        keys = pdef.get_partition_keys()

        @dg.asset(partitions_def=pdef)
        def hourly():
            return 1

        graph = dg.Definitions(assets=[hourly]).resolve_asset_graph()
        instance = dg.DagsterInstance.from_home(tempfile.mkdtemp(prefix="bench-"))
        events = [NewEvent(run_id="r", event_type=DagsterEventType.ASSET_MATERIALIZATION,
                           asset_key=hourly.key, partition=k, payload={{"metadata": {{}}}})
                  for k in keys[::2]]
        for i in range(0, len(events), 5000):
            instance.storage.event_log.store_events(events[i:i + 5000])
        """,
        timed="states = partition_states(graph, instance.storage, hourly.key, keys)",
        check="assert len(states) == len(keys) and list(states.values()).count('missing') > 40_000",
    )


def _backfill_plan(context: Context) -> str:
    return timed_script(
        setup="from benchmarks.backfill_planning import plan_seconds",
        timed="seconds = plan_seconds(3650)",
        check="_bench_seconds = seconds",
    )


def _scheduler_pass(context: Context) -> str:
    return timed_script(
        setup="from benchmarks.scheduler_pass import scheduler_pass_seconds",
        timed="seconds = scheduler_pass_seconds(200, 50)",
        check="_bench_seconds = seconds",
    )


MEASUREMENTS = [
    Measurement("list keys of 10 years of hourly partitions", _hourly_keys, goal="< 100 ms"),
    Measurement(
        "status of 87,600 hourly partitions of one asset",
        _hourly_status,
        goal="< 100 ms",
        tools=(ASSETTUI,),
    ),
    Measurement(
        "plan a 3,650-partition backfill", _backfill_plan, goal="< 1.0 s", tools=(ASSETTUI,)
    ),
    Measurement(
        "scheduler pass: 200 schedules + 50 sensors",
        _scheduler_pass,
        goal="< 50 ms",
        tools=(ASSETTUI,),
    ),
]
QUICK_MEASUREMENTS = MEASUREMENTS[:1]
