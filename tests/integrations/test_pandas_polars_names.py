"""dagster_pandas' typed DataFrames and dagster_polars' IO manager name, under the alias."""

from __future__ import annotations

import pandas as pd
import pytest

import assettui as dg
from assettui.project import dagster_alias


@pytest.fixture
def alias():
    assert dagster_alias.install()
    yield
    dagster_alias.uninstall()


def test_a_typed_dataframe_fails_the_step_that_breaks_its_columns(alias) -> None:
    from dagster_pandas import PandasColumn, create_dagster_pandas_dataframe_type

    Orders = create_dagster_pandas_dataframe_type(
        name="Orders",
        columns=[
            PandasColumn.integer_column("id", min_value=1, non_nullable=True, unique=True),
            PandasColumn.string_column("status"),
            PandasColumn.categorical_column("region", categories=["eu", "us"]),
        ],
    )

    @dg.asset(dagster_type=Orders)
    def good():
        return pd.DataFrame({"id": [1, 2], "status": ["a", "b"], "region": ["eu", "us"]})

    @dg.asset(dagster_type=Orders)
    def duplicated():
        return pd.DataFrame({"id": [1, 1], "status": ["a", "b"], "region": ["eu", "us"]})

    @dg.asset(dagster_type=Orders)
    def missing_column():
        return pd.DataFrame({"id": [1]})

    assert dg.materialize([good]).success
    with pytest.raises(
        dg.DagsterTypeCheckDidNotPass,
        match=r'step output "result" - expected type "Orders". Description: Column \'id\' has duplicate values',
    ):
        dg.materialize([duplicated])
    with pytest.raises(dg.DagsterTypeCheckDidNotPass, match="Required column 'status'"):
        dg.materialize([missing_column])


def test_op_outputs_are_type_checked_too() -> None:
    even = dg.DagsterType(lambda _ctx, v: isinstance(v, int) and v % 2 == 0, name="EvenInt")

    @dg.op(out=dg.Out(dagster_type=even))
    def three() -> int:
        return 3

    @dg.job
    def j():
        three()

    with pytest.raises(dg.DagsterTypeCheckDidNotPass, match='expected type "EvenInt"'):
        j.execute_in_process()


def test_dagster_polars_resolves_to_the_polars_parquet_io_manager(alias, tmp_path) -> None:
    from dagster_polars import PolarsParquetIOManager

    assert PolarsParquetIOManager is dg.PolarsParquetIOManager
    assert PolarsParquetIOManager(base_dir=str(tmp_path)).base_dir == str(tmp_path)
