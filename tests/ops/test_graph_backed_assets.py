"""Graph-backed assets (@graph_asset, @graph_multi_asset, AssetsDefinition.from_graph /
from_op) materialize like any asset: partitions, IO managers, checks, lineage, config."""

from __future__ import annotations

import pytest

import assettui as dg


@dg.asset
def raw() -> list:
    return [1, 2, 3]


@dg.op
def clean(context, xs: list) -> list:
    context.log.info("cleaning")
    return [x * 10 for x in xs]


@dg.op
def summarize(xs: list) -> int:
    return sum(xs)


@dg.graph_asset
def summary(raw):
    return summarize(clean(raw))


@dg.asset
def report(summary: int) -> str:
    return f"total={summary}"


def test_a_graph_asset_reads_upstream_assets_and_feeds_downstream_ones() -> None:
    result = dg.materialize([raw, summary, report])
    assert result.success
    assert result.asset_value("summary") == 60
    assert result.output_for_node("report") == "total=60"
    steps = {e.step_key for e in result.get_step_success_events()}
    assert {"summary.clean", "summary.summarize"} <= steps
    graph = dg.Definitions(assets=[raw, summary, report]).resolve_asset_graph()
    assert graph.get(dg.AssetKey("summary")).parent_keys == {dg.AssetKey("raw")}
    assert summary.graph_def.node_names == ["clean", "summarize"]


def test_graph_multi_asset_from_graph_and_from_op() -> None:
    @dg.op(out={"a": dg.Out(), "b": dg.Out()})
    def ends_of(xs: list):
        return xs[0], xs[-1]

    @dg.graph_multi_asset(outs={"first": dg.AssetOut(), "last": dg.AssetOut(group_name="g2")})
    def ends(raw):
        a, b = ends_of(raw)
        return {"first": a, "last": b}

    @dg.op
    def double(raw: list) -> list:
        return raw * 2

    doubled = dg.AssetsDefinition.from_op(
        double, keys_by_output_name={"result": dg.AssetKey("doubled")}
    )

    @dg.graph
    def total_of(raw):
        return summarize(raw)

    totals = dg.AssetsDefinition.from_graph(total_of, key_prefix="marts")
    result = dg.materialize([raw, ends, doubled, totals])
    assert (result.asset_value("first"), result.asset_value("last")) == (1, 3)
    assert result.asset_value("doubled") == [1, 2, 3, 1, 2, 3]
    assert result.asset_value(dg.AssetKey(["marts", "total_of"])) == 6
    graph = dg.Definitions(assets=[raw, ends, doubled, totals]).resolve_asset_graph()
    assert graph.get(dg.AssetKey("last")).group_name == "g2"


def test_partitioned_graph_assets_run_their_ops_for_the_partition(tmp_path) -> None:
    daily = dg.DailyPartitionsDefinition(start_date="2024-01-01")

    @dg.op
    def stamp(context) -> str:
        return f"day {context.partition_key}"

    @dg.graph_asset(partitions_def=daily)
    def stamped():
        return stamp()

    io = dg.FilesystemIOManager(base_dir=str(tmp_path))
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [stamped], partition_key="2024-01-03", resources={"io_manager": io}, instance=instance
    )
    assert result.asset_value("stamped") == "day 2024-01-03"
    assert (
        tmp_path / "stamped" / "%partitions" / "2024-01-03"
    ).is_file()  # stored by the asset's IO manager
    assert instance.get_materialized_partitions(dg.AssetKey("stamped")) == {"2024-01-03"}


def test_inner_op_config_and_failures() -> None:
    @dg.op(config_schema={"factor": dg.Field(int, default_value=1)})
    def scale(context, xs: list) -> list:
        return [x * context.op_config["factor"] for x in xs]

    @dg.graph_asset
    def scaled(raw):
        return summarize(scale(raw))

    config = {"ops": {"scaled": {"ops": {"scale": {"config": {"factor": 3}}}}}}
    assert dg.materialize([raw, scaled], run_config=config).asset_value("scaled") == 18

    @dg.op
    def broken(xs: list) -> int:
        raise RuntimeError("inner op broke")

    @dg.graph_asset
    def fragile(raw):
        return broken(raw)

    with pytest.raises(RuntimeError, match="inner op broke"):
        dg.materialize([raw, fragile])
    result = dg.materialize([raw, fragile], raise_on_error=False)
    assert not result.success
    assert "fragile.broken" in result.get_failed_step_keys()


def test_checks_on_graph_assets() -> None:
    @dg.asset_check(asset=summary)
    def summary_positive(summary: int) -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=summary > 0)

    result = dg.materialize([raw, summary, summary_positive])
    evaluations = result.get_asset_check_evaluations()
    assert [(e.asset_key, e.passed) for e in evaluations] == [(dg.AssetKey("summary"), True)]


def test_calling_a_graph_asset_directly_says_how_to_run_it() -> None:
    with pytest.raises(dg.DagsterInvalidInvocationError, match="materialize"):
        summary(raw=[1])
