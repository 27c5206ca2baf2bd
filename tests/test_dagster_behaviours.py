"""Behaviour that differed from Dagster, now as Dagster does it (each checked against
Dagster 1.13 with the same snippet)."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import assettui as dg


class Cfg(dg.Config):
    n: int = 1


class Res(dg.ConfigurableResource):
    v: int = 3


@dg.asset
def needs_cfg(config: Cfg) -> int:
    return config.n


@dg.asset
def needs_res(context, res: Res) -> int:
    return res.v


def test_direct_invocation_with_config_or_resource_passed_positionally() -> None:
    assert needs_cfg(Cfg(n=5)) == 5
    assert needs_res(dg.build_asset_context(), Res(v=9)) == 9


def test_run_config_takes_config_instances_by_name() -> None:
    result = dg.materialize([needs_cfg], run_config=dg.RunConfig({"needs_cfg": Cfg(n=7)}))
    assert result.output_for_node("needs_cfg") == 7


def test_deps_outside_the_call_are_external_but_data_inputs_must_be_given() -> None:
    @dg.asset(deps=["elsewhere"])
    def uses_dep() -> int:
        return 1

    assert dg.materialize([uses_dep]).success

    @dg.asset
    def reads(elsewhere: int) -> int:
        return elsewhere

    with pytest.raises(dg.DagsterInvalidDefinitionError, match="elsewhere"):
        dg.materialize([reads])


def test_job_selection_is_an_asset_selection() -> None:
    job = dg.define_asset_job("j", selection=[needs_cfg])
    assert isinstance(job.selection, dg.AssetSelection)
    assert isinstance(dg.define_asset_job("k", selection="needs_cfg").selection, dg.AssetSelection)


def test_calling_a_generator_sensor_returns_a_generator_and_asset_sensors_get_events() -> None:
    @dg.sensor(asset_selection=[needs_cfg])
    def gen_sensor(context):
        yield dg.RunRequest(run_key="a")

    assert inspect.isgenerator(gen_sensor(dg.build_sensor_context()))
    job = dg.define_asset_job("j", selection=[needs_cfg])

    @dg.asset_sensor(asset_key=dg.AssetKey("needs_cfg"), job=job)
    def on_mat(context, asset_event):
        yield dg.RunRequest(run_key=asset_event.dagster_event.asset_key.to_user_string())

    instance = dg.DagsterInstance.ephemeral()
    dg.materialize([needs_cfg], instance=instance)
    defs = dg.Definitions(assets=[needs_cfg], jobs=[job], sensors=[on_mat])
    context = dg.build_sensor_context(instance=instance, definitions=defs)
    assert [r.run_key for r in on_mat(context)] == ["needs_cfg"]


def test_asset_events_and_definitions_from_specs() -> None:
    assert dg.AssetMaterialization(asset_key="x").asset_key == dg.AssetKey("x")
    assert dg.AssetObservation(asset_key=["a", "b"]).asset_key == dg.AssetKey(["a", "b"])
    adef = dg.AssetsDefinition(specs=[dg.AssetSpec("s1"), dg.AssetSpec("s2")])
    assert adef.keys == {dg.AssetKey("s1"), dg.AssetKey("s2")}


@pytest.mark.parametrize(
    ("annotation", "value", "message"),
    [
        ("str", 1, 'expected type "String". Description: Value "1" of python type "int" must be a string.'),
        ("int", "'x'", 'expected type "Int". Description: Value "x" of python type "str" must be a int.'),
        ("float", 1, 'expected type "Float". Description: Value "1" of python type "int" must be a float.'),
        ("bool", 1, 'expected type "Bool". Description: Value "1" of python type "int" must be a bool.'),
        ("list", 1, 'expected type "[Any]". Description: Value "1" of python type "int" must be a list.'),
        ("dict", 1, "expected type \"dict\". Description: Value of type <class 'int'> failed type check"),
        ("str", None, 'expected type "String". Description: Value "None" of python type "NoneType"'),
    ],
)  # fmt: skip
def test_return_annotations_are_type_checked(annotation: str, value: object, message: str) -> None:
    namespace: dict = {}
    exec(
        f"import assettui as dg\n@dg.asset(name='typed')\ndef f() -> {annotation}:\n    return {value}\n",
        namespace,
    )
    result = dg.materialize([namespace["f"]], raise_on_error=False)
    assert not result.success
    error = result.get_step_failure_events()[0].error
    assert f'Type check failed for step output "result" - {message}' in error.message
    with pytest.raises(dg.DagsterTypeCheckDidNotPass):
        dg.materialize([namespace["f"]])


def test_a_bool_is_an_int_and_unannotated_returns_are_not_checked() -> None:
    @dg.asset
    def flag() -> int:
        return True

    @dg.asset
    def anything():
        return object()

    assert dg.materialize([flag, anything]).success


def test_steps_of_a_py_target_run_in_the_callers_working_directory(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "pipeline.py").write_text(
        textwrap.dedent(
            """
            import os
            import dagster as dg

            @dg.asset
            def where() -> str:
                print(f"cwd={os.getcwd()}")
                return os.getcwd()
            """
        )
    )
    caller = tmp_path / "caller"
    caller.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "ASSETTUI_HOME"}
    out = subprocess.run(
        [sys.executable, "-m", "assettui.cli.main_entry", "materialize", str(code / "pipeline.py")],
        cwd=caller,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert f"cwd={caller}" in out.stdout
