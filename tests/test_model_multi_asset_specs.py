"""A multi-asset whose specs carry the partitions works like ``partitions_def=`` on the decorator."""

from __future__ import annotations

import pytest

import assettui as dg

DAILY = dg.DailyPartitionsDefinition(start_date="2026-01-01")


def _pipeline(**decorator_kwargs):
    seen: dict[str, object] = {}

    @dg.multi_asset(
        specs=[
            dg.AssetSpec("a", partitions_def=DAILY if not decorator_kwargs else None),
            dg.AssetSpec("b", partitions_def=DAILY if not decorator_kwargs else None),
        ],
        **decorator_kwargs,
    )
    def both(context: dg.AssetExecutionContext):
        seen["upstream_key"] = context.partition_key
        yield dg.Output(f"a-{context.partition_key}", output_name="a")
        yield dg.Output(f"b-{context.partition_key}", output_name="b")

    @dg.asset(partitions_def=DAILY)
    def downstream(context: dg.AssetExecutionContext, a: str) -> str:
        seen["a"] = a
        return a.upper()

    return [both, downstream], seen


@pytest.mark.parametrize("where", ["specs", "decorator"])
def test_partitions_on_specs_give_a_partitioned_run(tmp_path, where):
    assets, seen = _pipeline() if where == "specs" else _pipeline(partitions_def=DAILY)
    assert assets[0].partitions_def == DAILY
    for day in ("2026-01-02", "2026-01-03"):
        result = dg.materialize(
            assets,
            partition_key=day,
            resources={"io_manager": dg.FilesystemIOManager(base_dir=str(tmp_path / "values"))},
        )
        assert result.success
        assert seen["upstream_key"] == day
        assert seen["a"] == f"a-{day}"  # only this partition's value, not every partition's


def test_specs_that_disagree_on_partitions_are_refused():
    monthly = dg.MonthlyPartitionsDefinition(start_date="2026-01-01")
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="same partitions_def") as caught:

        @dg.multi_asset(
            specs=[
                dg.AssetSpec("a", partitions_def=DAILY),
                dg.AssetSpec("b", partitions_def=monthly),
            ]
        )
        def both():
            yield dg.Output(1, output_name="a")
            yield dg.Output(2, output_name="b")

    assert "a (" in str(caught.value) and "b (" in str(caught.value)


class _Recording(dg.IOManager):
    def __init__(self, seen: dict[str, object]) -> None:
        self.seen = seen

    def handle_output(self, context, obj) -> None:
        self.seen[f"stored {context.asset_key.to_user_string()}"] = obj

    def load_input(self, context):
        self.seen["metadata"] = dict(context.metadata)
        self.seen["partitions"] = list(context.asset_partition_keys)
        return "loaded"


def test_one_input_map_carries_key_manager_metadata_and_mapping(tmp_path):
    """What an ``AssetIn`` declares reaches planning and loading through ``inputs`` alone."""
    seen: dict[str, object] = {}

    @dg.asset(partitions_def=DAILY)
    def source(context: dg.AssetExecutionContext) -> str:
        return context.partition_key

    @dg.multi_asset(
        specs=[dg.AssetSpec("x"), dg.AssetSpec("y")],
        ins={
            "upstream": dg.AssetIn(
                "source",
                input_manager_key="reader",
                metadata={"columns": ["day"]},
                partition_mapping=dg.LastPartitionMapping(),
            )
        },
    )
    def pair(upstream: str):
        seen["upstream"] = upstream
        yield dg.Output(1, output_name="x")
        yield dg.Output(2, output_name="y")

    info = pair.inputs["upstream"]
    assert (info.key, info.io_manager_key, dict(info.metadata)) == (
        dg.AssetKey("source"),
        "reader",
        {"columns": ["day"]},
    )
    assert isinstance(pair.get_partition_mapping(dg.AssetKey("source")), dg.LastPartitionMapping)
    assert pair.partitions_def is None
    result = dg.materialize(
        [source, pair],
        selection=["x", "y"],
        resources={
            "io_manager": dg.FilesystemIOManager(base_dir=str(tmp_path / "values")),
            "reader": _Recording(seen),
        },
    )
    assert result.success
    assert seen["upstream"] == "loaded"
    assert seen["metadata"] == {"columns": ["day"]}
    assert seen["partitions"] == [DAILY.get_last_partition_key()]
