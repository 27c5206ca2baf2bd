"""IO managers in runs: the default filesystem pickles (layout, atomic writes, refused paths,
corrupt files), custom and configurable IO managers, polars parquet, per-asset keys."""

import pickle
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import assettui as dg


@pytest.fixture
def instance(tmp_path):
    inst = dg.DagsterInstance.from_home(tmp_path / "home")
    yield inst
    inst.dispose()


def storage(instance):
    return instance.storage.home / "storage"


# ---- FilesystemIOManager -----------------------------------------------------------------


def test_default_layout_is_home_storage_key_path(instance):
    @dg.asset(key_prefix=["raw", "shop"])
    def orders() -> list[int]:
        return [1, 2]

    dg.materialize([orders], instance=instance)
    path = storage(instance) / "raw" / "shop" / "orders"
    assert pickle.loads(path.read_bytes()) == [1, 2]


def test_partitioned_layout_adds_the_partition(instance):
    @dg.asset(partitions_def=dg.StaticPartitionsDefinition(["eu", "us"]))
    def regional(context: dg.AssetExecutionContext) -> str:
        return context.partition_key

    dg.materialize([regional], instance=instance, partition_key="eu")
    assert (
        pickle.loads((storage(instance) / "regional" / "%partitions" / "eu").read_bytes()) == "eu"
    )
    assert not (storage(instance) / "regional" / "%partitions" / "us").exists()


def test_path_metadata_is_recorded(instance):
    @dg.asset
    def pathy() -> int:
        return 1

    result = dg.materialize([pathy], instance=instance)
    mat = result.asset_materializations_for_node("pathy")[0]
    assert mat.metadata["path"].value == str(storage(instance) / "pathy")


class Unpicklable:
    def __reduce__(self):
        raise pickle.PicklingError("cannot pickle this on purpose")


def test_failed_write_leaves_the_previous_value_intact(instance):
    value = {"good": True}

    @dg.asset
    def precious():
        return value["current"]

    value["current"] = ["first", "good", "value"]
    dg.materialize([precious], instance=instance)
    path = storage(instance) / "precious"
    before = path.read_bytes()

    # the pickler writes the list's first items, then fails mid-write
    value["current"] = ["x" * 100_000, Unpicklable()]
    result = dg.materialize([precious], instance=instance, raise_on_error=False)

    assert not result.success
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["precious"]  # no temp file left behind
    failure = result.get_step_failure_events()[0].message
    assert "precious" in failure and "pickled" in failure


def test_key_with_dotdot_is_refused(instance):
    @dg.asset(key=["..", "escape"])
    def escape() -> int:
        return 1

    result = dg.materialize([escape], instance=instance, raise_on_error=False)
    assert not result.success
    assert "outside the storage folder" in result.get_step_failure_events()[0].message
    assert not (instance.storage.home / "escape").exists()


def test_partition_with_dotdot_is_refused(instance):
    @dg.asset(partitions_def=dg.StaticPartitionsDefinition(["..", "ok"]))
    def sneaky(context: dg.AssetExecutionContext) -> int:
        return 1

    result = dg.materialize([sneaky], instance=instance, partition_key="..", raise_on_error=False)
    assert not result.success
    message = result.get_step_failure_events()[0].message
    assert "sneaky" in message and "'..'" in message
    assert not (storage(instance) / "sneaky").exists()


def test_corrupt_pickle_names_asset_and_partition(instance):
    parts = dg.StaticPartitionsDefinition(["a", "b"])

    @dg.asset(partitions_def=parts)
    def up(context: dg.AssetExecutionContext) -> str:
        return context.partition_key

    @dg.asset(partitions_def=parts)
    def down(up: str) -> str:
        return up * 2

    dg.materialize([up], instance=instance, partition_key="b")
    (storage(instance) / "up" / "%partitions" / "b").write_bytes(b"not a pickle at all")

    with pytest.raises(dg.DagsterError) as info:
        dg.materialize([up, down], instance=instance, partition_key="b", selection=[down])
    message = str(info.value)
    assert "'up'" in message and "'b'" in message and "corrupt" in message


def test_missing_upstream_value_is_a_clear_error(instance):
    @dg.asset
    def never_run() -> int:
        return 1

    @dg.asset
    def reader(never_run: int) -> int:
        return never_run

    with pytest.raises(dg.DagsterError, match=r"never_run.*Materialize it first"):
        dg.materialize([never_run, reader], instance=instance, selection=[reader])


# ---- custom IO managers ------------------------------------------------------------------


class DictIOManager(dg.IOManager):
    def __init__(self):
        self.stored = {}

    def handle_output(self, context: dg.OutputContext, obj):
        self.stored[tuple(context.asset_key.path)] = obj

    def load_input(self, context: dg.InputContext):
        return self.stored[tuple(context.asset_key.path)]


@dg.asset
def source_rows() -> list[int]:
    return [3, 4]


@dg.asset
def summed(source_rows: list[int]) -> int:
    return sum(source_rows)


def test_custom_io_manager_as_default(instance):
    manager = DictIOManager()
    result = dg.materialize(
        [source_rows, summed], instance=instance, resources={"io_manager": manager}
    )
    assert result.success
    assert manager.stored == {("source_rows",): [3, 4], ("summed",): 7}
    assert not storage(instance).exists() or not any(storage(instance).iterdir())


class PrefixedIOManager(dg.ConfigurableIOManager):
    """A configurable IO manager in the style of Dagster's docs (files under root_path)."""

    root_path: str

    def _path(self, context) -> str:
        return "/".join([self.root_path, *context.asset_key.path])

    def handle_output(self, context: dg.OutputContext, obj) -> None:
        with open(self._path(context), "w") as handle:
            handle.write(repr(obj))

    def load_input(self, context: dg.InputContext):
        with open(self._path(context)) as handle:
            return eval(handle.read())


def test_configurable_io_manager(instance, tmp_path):
    result = dg.materialize(
        [source_rows, summed],
        instance=instance,
        resources={"io_manager": PrefixedIOManager(root_path=str(tmp_path))},
    )
    assert result.output_for_node("summed") == 7
    assert (tmp_path / "source_rows").read_text() == "[3, 4]"
    assert (tmp_path / "summed").read_text() == "7"


def test_io_manager_key_per_asset(instance):
    special = DictIOManager()

    @dg.asset(io_manager_key="special_io")
    def kept_aside() -> str:
        return "aside"

    @dg.asset
    def normal(kept_aside: str) -> str:
        return kept_aside + "!"

    result = dg.materialize(
        [kept_aside, normal], instance=instance, resources={"special_io": special}
    )
    assert result.output_for_node("normal") == "aside!"
    assert special.stored == {("kept_aside",): "aside"}
    assert (storage(instance) / "normal").exists()
    assert not (storage(instance) / "kept_aside").exists()


def test_unknown_io_manager_key_is_a_clear_error(instance):
    @dg.asset(io_manager_key="missing_io")
    def orphan() -> int:
        return 1

    with pytest.raises(dg.DagsterError, match="missing_io"):
        dg.materialize([orphan], instance=instance)


class ExplodingLoadIOManager(DictIOManager):
    def load_input(self, context):
        raise OSError(f"bucket unreachable for {context.asset_key.to_user_string()}")


def test_io_manager_raising_on_load_fails_the_step_clearly(instance):
    manager = ExplodingLoadIOManager()
    result = dg.materialize(
        [source_rows, summed],
        instance=instance,
        resources={"io_manager": manager},
        raise_on_error=False,
    )
    assert not result.success
    assert result.get_failed_step_keys() == {"summed"}
    message = result.get_step_failure_events()[0].message
    assert "summed" in message and "bucket unreachable for source_rows" in message
    with pytest.raises(OSError, match="bucket unreachable"):
        dg.materialize([source_rows, summed], instance=instance, resources={"io_manager": manager})


def test_io_manager_definition_from_decorator(instance):
    manager = DictIOManager()

    @dg.io_manager
    def dict_io_manager(init_context):
        return manager

    dg.materialize([source_rows], instance=instance, resources={"io_manager": dict_io_manager})
    assert manager.stored == {("source_rows",): [3, 4]}


# ---- polars parquet ----------------------------------------------------------------------


@dg.asset(io_manager_key="polars_io")
def frame() -> pl.DataFrame:
    return pl.DataFrame({"id": [1, 2, 3], "name": ["a", "b", "c"]})


@dg.asset(io_manager_key="polars_io")
def lazy_frame() -> pl.LazyFrame:
    return pl.LazyFrame({"x": [1.5, 2.5]})


def test_polars_dataframe_and_lazyframe_with_metadata(instance):
    result = dg.materialize(
        [frame, lazy_frame],
        instance=instance,
        resources={"polars_io": dg.PolarsParquetIOManager()},
    )
    assert result.success
    assert pl.read_parquet(storage(instance) / "frame.parquet")["name"].to_list() == ["a", "b", "c"]
    assert pl.read_parquet(storage(instance) / "lazy_frame.parquet").height == 2
    meta = result.asset_materializations_for_node("frame")[0].metadata
    assert meta["dagster/row_count"].value == 3
    assert meta["schema"].value == {"id": "Int64", "name": "String"}
    assert (
        result.asset_materializations_for_node("lazy_frame")[0].metadata["dagster/row_count"].value
        == 2
    )


def test_polars_loads_dataframe_or_lazyframe_by_annotation(instance):
    seen = {}

    @dg.asset
    def eager_reader(frame: pl.DataFrame) -> int:
        seen["eager"] = type(frame)
        return frame.height

    @dg.asset
    def lazy_reader(frame: pl.LazyFrame) -> int:
        seen["lazy"] = type(frame)
        return frame.collect().height

    result = dg.materialize(
        [frame, eager_reader, lazy_reader],
        instance=instance,
        resources={"polars_io": dg.PolarsParquetIOManager()},
    )
    assert result.output_for_node("eager_reader") == 3
    assert result.output_for_node("lazy_reader") == 3
    assert seen == {"eager": pl.DataFrame, "lazy": pl.LazyFrame}


def test_polars_partitioned_one_file_per_partition(instance):
    @dg.asset(
        io_manager_key="polars_io", partitions_def=dg.StaticPartitionsDefinition(["p1", "p2"])
    )
    def parts(context: dg.AssetExecutionContext) -> pl.DataFrame:
        return pl.DataFrame({"p": [context.partition_key]})

    resources = {"polars_io": dg.PolarsParquetIOManager()}
    dg.materialize([parts], instance=instance, partition_key="p1", resources=resources)
    dg.materialize([parts], instance=instance, partition_key="p2", resources=resources)
    assert pl.read_parquet(storage(instance) / "parts" / "%partitions" / "p2.parquet")[
        "p"
    ].to_list() == ["p2"]
    assert (storage(instance) / "parts" / "%partitions" / "p1.parquet").exists()


def test_polars_refuses_non_frames(instance):
    @dg.asset(io_manager_key="polars_io")
    def not_a_frame() -> int:
        return 5

    with pytest.raises(dg.DagsterError, match=r"not_a_frame.*int"):
        dg.materialize(
            [not_a_frame], instance=instance, resources={"polars_io": dg.PolarsParquetIOManager()}
        )


def test_polars_write_error_names_the_asset_the_path_and_what_to_do(instance):
    (storage(instance) / "frame.parquet").mkdir(parents=True)  # a folder in the way
    result = dg.materialize(
        [frame],
        instance=instance,
        resources={"polars_io": dg.PolarsParquetIOManager()},
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "A file or folder is in the way" in failure.message
    assert "frame.parquet" in failure.message and "re-materialize" in failure.message


def test_polars_io_manager_without_polars_says_which_extra_to_install(instance, monkeypatch):
    monkeypatch.setitem(sys.modules, "polars", None)  # as if not installed

    @dg.asset(io_manager_key="polars_io")
    def needs_polars() -> int:
        return 5

    with pytest.raises(dg.DagsterError, match=r"assettui\[polars\]"):
        dg.materialize(
            [needs_polars], instance=instance, resources={"polars_io": dg.PolarsParquetIOManager()}
        )


def test_the_engine_imports_without_polars():
    code = (
        "import sys; sys.modules['polars'] = None\n"
        "import assettui as dg\n"
        "@dg.asset\ndef a() -> int:\n    return 1\n"
        "assert dg.materialize([a]).success\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_an_asset_and_another_assets_partition_never_share_a_file(tmp_path) -> None:
    """shelf/b and partition b of shelf were both stored at shelf/b (issue 18 point 6)."""
    import assettui as dg
    from assettui.execution.io_managers.filesystem import safe_path

    parts = dg.StaticPartitionsDefinition(["b", "c"])

    @dg.asset(partitions_def=parts)
    def shelf(context):
        return f"partition {context.partition_key} of shelf"

    @dg.asset(key=["shelf", "b"])
    def shelf_b():
        return "the asset shelf/b"

    @dg.asset(deps=[shelf_b], ins={"value": dg.AssetIn(key=["shelf", "b"])})
    def reads_shelf_b(value):
        return value

    with dg.DagsterInstance.from_home(tmp_path / "home") as instance:
        dg.materialize([shelf], partition_key="b", instance=instance)
        dg.materialize([shelf_b, reads_shelf_b], instance=instance)
        base = Path(instance.storage_directory)
        assert safe_path(base, dg.AssetKey(["shelf", "b"]), None) != safe_path(
            base, dg.AssetKey("shelf"), "b"
        )
        loaded = dg.materialize(
            [reads_shelf_b, shelf_b], instance=instance, selection=[reads_shelf_b]
        )
        assert loaded.output_for_node("reads_shelf_b") == "the asset shelf/b"

        # A value stored in the earlier layout (partition straight under the key) still loads.
        legacy = base / "shelf" / "c"
        legacy.write_bytes(pickle.dumps("stored before the layout changed"))

        @dg.asset(ins={"upstream": dg.AssetIn(key="shelf")}, partitions_def=parts)
        def downstream(upstream):
            return upstream

        result = dg.materialize([shelf, downstream], instance=instance, partition_key="c",
                                selection=[downstream])  # fmt: skip
        assert result.output_for_node("downstream") == "stored before the layout changed"
