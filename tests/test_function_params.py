"""Reading a user function's parameters: the fast path over the code object gives what
``inspect.signature`` gives, for every shape of signature, and the analysis sorts them."""

from __future__ import annotations

import functools
import inspect

import pytest

import assettui as dg
from assettui.errors import DefinitionError
from assettui.model.assets.compute_fn import analyze_params, parameters


def plain(a, b): ...
def defaults(a, b=1, *, c, d=2): ...
def positional_only(a, /, b, *, c): ...
def star_args(a, *rest, b): ...
def star_kwargs(context, a, **extra): ...
def everything(a, /, b, *args, c, d=3, **kwargs): ...
def annotated(context: dg.AssetExecutionContext, up: int, *, other: str = "x") -> int: ...
def nothing(): ...


def closure_made(n):
    def inner(context, upstream, *, k=n):
        return upstream

    return inner


class CallableObject:
    def __call__(self, context, upstream): ...


def _decorated(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    return wrapper


SHAPES = [
    plain,
    defaults,
    positional_only,
    star_args,
    star_kwargs,
    everything,
    annotated,
    nothing,
    closure_made(3),
    lambda context, x: x,
    CallableObject(),
    _decorated(plain),
    functools.partial(defaults, 1),
]


@pytest.mark.parametrize("fn", SHAPES, ids=lambda f: getattr(f, "__name__", type(f).__name__))
def test_parameters_match_inspect_signature(fn) -> None:
    expected = [(p.name, p.annotation) for p in inspect.signature(fn).parameters.values()]
    kinds = [p.kind for p in inspect.signature(fn).parameters.values()]
    got = parameters(fn)
    assert [(name, annotation) for name, _, annotation in got] == expected
    variadic = {inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD}
    assert [kind if kind in variadic else None for _, kind, _ in got] == [
        kind if kind in variadic else None for kind in kinds
    ]


class Settings(dg.Config):
    n: int = 1


class Db(dg.ConfigurableResource):
    url: str = ""


def test_the_analysis_sorts_context_config_resources_and_inputs() -> None:
    def fn(context, config: Settings, db: Db, left, right, **rest): ...

    params = analyze_params(fn, "asset 'x'")
    assert params.context_param == "context" and params.config_param == "config"
    assert params.config_type is Settings and params.resource_params == ("db",)
    assert params.input_params == ("left", "right") and params.has_kwargs
    with pytest.raises(DefinitionError, match=r"takes \*rest"):
        analyze_params(star_args, "asset 'x'")
