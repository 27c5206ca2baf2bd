"""IO manager contract suite: every built-in IO manager must pass these tests.

Implementations are the params of the ``manager`` fixture: filesystem (pickles), in-memory,
and polars parquet. Values are polars frames so that every manager can store them; each test
runs real ``materialize`` calls with the manager as the ``io_manager`` resource.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import assettui as dg
from assettui.errors import DagsterExecutionStepExecutionError
from assettui.execution.io_managers.filesystem import FilesystemIOManager, InMemoryIOManager
from assettui.execution.io_managers.polars import PolarsParquetIOManager

MANAGERS: dict[str, Callable[[Path], Any]] = {
    "filesystem": lambda base: FilesystemIOManager(base_dir=str(base)),
    "in_memory": lambda base: InMemoryIOManager(),
    "polars": lambda base: PolarsParquetIOManager(base_dir=str(base)),
}
REGIONS = dg.StaticPartitionsDefinition(["eu", "us"])


@pytest.fixture(params=sorted(MANAGERS))
def manager(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    return MANAGERS[request.param](tmp_path / "values")


@pytest.fixture
def instance(tmp_path: Path):
    inst = dg.DagsterInstance.from_home(tmp_path / "home")
    yield inst
    inst.dispose()


def _frame(n: int) -> pl.DataFrame:
    return pl.DataFrame({"n": list(range(n)), "label": [f"row {i}" for i in range(n)]})


def test_a_stored_value_is_loaded_unchanged_downstream(manager, instance) -> None:
    seen: list[pl.DataFrame] = []

    @dg.asset
    def table() -> pl.DataFrame:
        return _frame(3)

    @dg.asset
    def reader(table: pl.DataFrame) -> None:
        seen.append(table)

    resources = {"io_manager": manager}
    assert dg.materialize([table], instance=instance, resources=resources).success
    # a second run reads what the first stored
    assert dg.materialize(
        [table, reader], selection=[reader], instance=instance, resources=resources
    ).success
    assert len(seen) == 1 and seen[0].equals(_frame(3))


def test_a_new_materialization_replaces_the_old_value(manager, instance) -> None:
    rows = {"n": 2}
    seen: list[pl.DataFrame] = []

    @dg.asset
    def table() -> pl.DataFrame:
        return _frame(rows["n"])

    @dg.asset
    def reader(table: pl.DataFrame) -> None:
        seen.append(table)

    resources = {"io_manager": manager}
    dg.materialize([table], instance=instance, resources=resources)
    rows["n"] = 5
    dg.materialize([table], instance=instance, resources=resources)
    dg.materialize([table, reader], selection=[reader], instance=instance, resources=resources)
    assert seen[0].equals(_frame(5))


def test_partitions_are_stored_apart_and_loaded_together(manager, instance) -> None:
    seen: list[Any] = []

    @dg.asset(partitions_def=REGIONS)
    def regional(context: dg.AssetExecutionContext) -> pl.DataFrame:
        return _frame(2 if context.partition_key == "eu" else 4)

    @dg.asset
    def combined(regional: dict[str, pl.DataFrame]) -> None:
        seen.append(regional)

    resources = {"io_manager": manager}
    for region in ("eu", "us"):
        dg.materialize([regional], partition_key=region, instance=instance, resources=resources)
    dg.materialize(
        [regional, combined], selection=[combined], instance=instance, resources=resources
    )
    (loaded,) = seen
    assert sorted(loaded) == ["eu", "us"]
    assert loaded["eu"].equals(_frame(2)) and loaded["us"].equals(_frame(4))


def test_loading_a_value_never_stored_fails_naming_the_asset(manager, instance) -> None:
    @dg.asset
    def never_stored() -> pl.DataFrame:
        return _frame(1)

    @dg.asset
    def reader(never_stored: pl.DataFrame) -> None:
        pass

    with pytest.raises(DagsterExecutionStepExecutionError, match="never_stored"):
        dg.materialize(
            [never_stored, reader],
            selection=[reader],
            instance=instance,
            resources={"io_manager": manager},
        )
