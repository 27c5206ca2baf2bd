"""@op, In, Out and direct invocation, as Dagster 1.x documents them."""

from __future__ import annotations

import pytest

import assettui as dg


def test_op_without_parentheses_defaults_name_and_result_output() -> None:
    @dg.op
    def add_one(x: int) -> int:
        """Adds one."""
        return x + 1

    assert isinstance(add_one, dg.OpDefinition)
    assert add_one.name == "add_one"
    assert add_one.description == "Adds one."
    assert add_one.input_defs == ["x"]
    assert add_one.output_defs == ["result"]
    assert add_one(1) == 2


def test_op_with_parameters_records_them() -> None:
    @dg.op(
        name="renamed",
        ins={"x": dg.In(description="a number", default_value=3)},
        out={"a": dg.Out(), "b": dg.Out(is_required=False, io_manager_key="mem")},
        tags={"team": "data"},
        required_resource_keys={"db"},
        code_version="1",
    )
    def split(x):
        return x, x * 2

    assert split.name == "renamed"
    assert split.ins["x"].has_default_value and split.ins["x"].default_value == 3
    assert split.outs["b"].io_manager_key == "mem" and not split.outs["b"].is_required
    assert split.outs["a"].io_manager_key == "io_manager"
    assert split.tags == {"team": "data"}
    assert split.required_resource_keys == {"db"}
    assert split.code_version == "1"
    assert split(2) == (2, 4)


def test_op_taking_context_is_invoked_with_a_built_context() -> None:
    @dg.op
    def uses_context(context, x: int) -> int:
        assert context is not None
        return x * 10

    assert uses_context.input_defs == ["x"]
    assert uses_context(dg.build_op_context(), 4) == 40
    with pytest.raises(dg.DagsterInvalidInvocationError, match="build_op_context"):
        uses_context()


def test_ins_naming_a_missing_parameter_is_a_definition_error() -> None:
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="'nope'"):

        @dg.op(ins={"nope": dg.In()})
        def bad(x):
            return x


class Scale(dg.Config):
    factor: int = 2


def test_config_typed_parameter_is_op_config_not_an_input() -> None:
    @dg.op
    def scaled(context, config: Scale, x: int) -> int:
        return x * config.factor

    assert scaled.input_defs == ["x"]
    assert scaled(dg.build_op_context(), 5) == 10
    assert scaled(dg.build_op_context(config={"factor": 3}), 5) == 15
    with pytest.raises(dg.ConfigError, match="factor"):
        scaled(dg.build_op_context(config={"factor": "many"}), 5)


def test_nothing_input_orders_without_a_parameter() -> None:
    @dg.op(ins={"after": dg.In(dg.Nothing)})
    def runs_second() -> int:
        return 1

    assert runs_second.nothing_ins == ["after"]
    assert runs_second() == 1


def test_op_yields_expectation_results_and_outputs_on_direct_invocation() -> None:
    @dg.op(out={"a": dg.Out(), "b": dg.Out()})
    def two():
        yield dg.ExpectationResult(success=True, label="non_empty")
        yield dg.Output(1, output_name="a")
        yield dg.Output(2, output_name="b")

    events = list(two())
    assert events[0].success and events[0].label == "non_empty"
    assert [(e.output_name, e.value) for e in events[1:]] == [("a", 1), ("b", 2)]


def test_alias_renames_a_copy_and_refuses_bad_names() -> None:
    @dg.op
    def base(x: int) -> int:
        return x

    other = base.alias("second")
    assert other.name == "second" and base.name == "base"
    assert other(3) == 3
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="identifier"):
        base.alias("not valid")
