"""How a user's asset or check function takes its arguments.

The first parameter named ``context`` (or annotated as a context) receives the context; a
parameter annotated with a ``Config`` subclass receives the run config; parameters annotated
with a resource type (``ConfigurableResource`` or ``ResourceParam[...]``) receive that
resource by parameter name; every other parameter is an upstream input.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from inspect import CO_VARARGS, CO_VARKEYWORDS
from types import FunctionType
from typing import Any

from assettui.errors import DefinitionError
from assettui.model.config import Config
from assettui.model.resources import ConfigurableResource, _ResourceParamMarker

CONTEXT_NAMES = frozenset({"context", "_context", "context_", "_"})
_CONTEXT_TYPE_NAMES = frozenset(
    {
        "AssetExecutionContext",
        "OpExecutionContext",
        "AssetCheckExecutionContext",
        "ScheduleEvaluationContext",
        "SensorEvaluationContext",
    }
)


@dataclass(frozen=True)
class FunctionParams:
    """What each parameter of a user function is for."""

    context_param: str | None
    config_param: str | None
    config_type: type[Config] | None
    resource_params: tuple[str, ...]
    input_params: tuple[str, ...]
    has_kwargs: bool
    source_file: str | None
    source_line: int | None


def _annotations(fn: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(fn, include_extras=True)
    except Exception:  # one unresolvable forward reference: resolve the others one by one
        pass
    raw = dict(getattr(fn, "__annotations__", {}) or {})
    namespace = dict(getattr(fn, "__globals__", {}))
    closure = getattr(fn, "__closure__", None) or ()
    for name, cell in zip(fn.__code__.co_freevars, closure, strict=False):
        try:
            namespace[name] = cell.cell_contents
        except ValueError:
            continue
    resolved: dict[str, Any] = {}
    for name, annotation in raw.items():
        if isinstance(annotation, str):
            try:
                annotation = eval(annotation, namespace)
            except Exception:
                pass
        resolved[name] = annotation
    return resolved


def _is_resource_annotation(annotation: Any) -> bool:
    if typing.get_origin(annotation) is typing.Annotated:
        return any(isinstance(m, _ResourceParamMarker) for m in annotation.__metadata__)
    return inspect.isclass(annotation) and issubclass(annotation, ConfigurableResource)


def _is_context_annotation(annotation: Any) -> bool:
    name = getattr(annotation, "__name__", None) or (
        annotation if isinstance(annotation, str) else None
    )
    return name in _CONTEXT_TYPE_NAMES


def source_location(fn: Callable[..., Any]) -> tuple[str | None, int | None]:
    code = getattr(inspect.unwrap(fn), "__code__", None)
    if code is None:
        return None, None
    return code.co_filename, code.co_firstlineno


_VAR_POSITIONAL = inspect.Parameter.VAR_POSITIONAL
_VAR_KEYWORD = inspect.Parameter.VAR_KEYWORD
_OTHER = inspect.Parameter.POSITIONAL_OR_KEYWORD  # (which named kind does not matter here)


def parameters(fn: Callable[..., Any]) -> list[tuple[str, Any, Any]]:
    """``(name, kind, raw annotation)`` of each parameter of ``fn``, in signature order.

    A plain function is read straight from its code object (what ``inspect.signature``
    computes, at a fraction of its cost: definitions decorate thousands of functions);
    anything else (a wrapped function, a callable object) goes through ``inspect.signature``.
    """
    if type(fn) is not FunctionType or hasattr(fn, "__wrapped__") or hasattr(fn, "__signature__"):
        return [(p.name, p.kind, p.annotation) for p in inspect.signature(fn).parameters.values()]
    code = fn.__code__
    raw = fn.__annotations__ or {}
    empty = inspect.Parameter.empty
    named = code.co_argcount + code.co_kwonlyargcount
    names = code.co_varnames
    out: list[tuple[str, Any, Any]] = [
        (name, _OTHER, raw.get(name, empty)) for name in names[: code.co_argcount]
    ]
    slot = named
    if code.co_flags & CO_VARARGS:
        out.append((names[slot], _VAR_POSITIONAL, raw.get(names[slot], empty)))
        slot += 1
    out += [(name, _OTHER, raw.get(name, empty)) for name in names[code.co_argcount : named]]
    if code.co_flags & CO_VARKEYWORDS:
        out.append((names[slot], _VAR_KEYWORD, raw.get(names[slot], empty)))
    return out


def analyze_params(fn: Callable[..., Any], what: str) -> FunctionParams:
    """Sort ``fn``'s parameters into context, config, resources and inputs.

    Raises:
        DefinitionError: for ``*args`` or more than one config parameter.
    """
    params = parameters(fn)
    hints = _annotations(fn) if any(a is not inspect.Parameter.empty for *_, a in params) else {}
    context_param = config_param = None
    config_type: type[Config] | None = None
    resources: list[str] = []
    inputs: list[str] = []
    has_kwargs = False
    for index, (name, kind, raw) in enumerate(params):
        if kind is _VAR_POSITIONAL:
            raise DefinitionError(f"{what} takes *{name}; name each input instead.")
        if kind is _VAR_KEYWORD:
            has_kwargs = True
            continue
        annotation = hints.get(name, raw)
        if index == 0 and (name in CONTEXT_NAMES or _is_context_annotation(annotation)):
            context_param = name
        elif inspect.isclass(annotation) and issubclass(annotation, Config):
            if config_param is not None:
                raise DefinitionError(
                    f"{what} has two Config parameters ({config_param!r}, {name!r}); "
                    "merge them into one Config class."
                )
            config_param, config_type = name, annotation
        elif _is_resource_annotation(annotation):
            resources.append(name)
        else:
            inputs.append(name)
    file, line = source_location(fn)
    return FunctionParams(
        context_param=context_param,
        config_param=config_param,
        config_type=config_type,
        resource_params=tuple(resources),
        input_params=tuple(inputs),
        has_kwargs=has_kwargs,
        source_file=file,
        source_line=line,
    )
