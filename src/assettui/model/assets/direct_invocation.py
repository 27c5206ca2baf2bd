"""Calling an asset or check like a plain function, as unit tests do.

``my_asset(context, upstream_value, config=MyConfig(...), my_resource=...)``: the context
(when the function takes one) comes first, then upstream values in parameter order or by
name; config and resources by keyword (resources also from ``context.resources``).
"""

from __future__ import annotations

import inspect
from typing import Any

from assettui.errors import DagsterInvalidInvocationError
from assettui.model.config import build_config
from assettui.model.resources import ConfigurableResource

_CONTEXT_TYPES = frozenset({"AssetExecutionContext", "OpExecutionContext"})


def invoke_directly(definition: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    params = definition.params
    fn = definition.compute_fn
    name = definition.node_name
    pending = list(args)
    kwargs = dict(kwargs)
    call: dict[str, Any] = {}
    context = None
    if params.context_param:
        if params.context_param in kwargs:
            context = kwargs.pop(params.context_param)
        elif pending:
            context = pending.pop(0)
        else:
            raise DagsterInvalidInvocationError(
                f"{name!r} takes a context argument, but none was given. Pass "
                "build_asset_context() as the first argument."
            )
        call[params.context_param] = context
    elif pending and type(pending[0]).__name__ in _CONTEXT_TYPES:
        # Dagster accepts a context for a function that takes none; resources come from it
        context = pending.pop(0)
    # As in Dagster, positional values fill the function's other parameters in order:
    # inputs, a Config, resources alike.
    order = [
        p for p in inspect.signature(fn).parameters if p != params.context_param and p not in kwargs
    ]
    if len(pending) > len(order):
        raise DagsterInvalidInvocationError(
            f"{name!r} was given {len(pending) - len(order)} positional argument(s) too many."
        )
    kwargs.update(zip(order, pending, strict=False))
    if params.config_param:
        raw = kwargs.pop(params.config_param, None)
        if raw is None and context is not None:
            raw = getattr(context, "op_config", None)
        call[params.config_param] = build_config(params.config_type, raw, f"{name!r}")
    context_resources = getattr(context, "resources", None)
    for res in params.resource_params:
        if res in kwargs:
            value = kwargs.pop(res)
        elif context_resources is not None and hasattr(context_resources, res):
            value = getattr(context_resources, res)
        else:
            raise DagsterInvalidInvocationError(
                f"{name!r} needs resource {res!r}; pass it as {res}=... or via "
                "build_asset_context(resources={...})."
            )
        if isinstance(value, ConfigurableResource):
            value = value.with_resolved_env(res)
        call[res] = value
    for param in params.input_params:
        if param in kwargs:
            call[param] = kwargs.pop(param)
        else:
            raise DagsterInvalidInvocationError(
                f"{name!r} takes input {param!r}, but no value was given for it."
            )
    if kwargs and not params.has_kwargs:
        raise DagsterInvalidInvocationError(
            f"{name!r} got unexpected keyword argument(s) {sorted(kwargs)}."
        )
    call.update(kwargs)
    return fn(**call)
