"""``@op`` and ``OpDefinition``: a unit of computation with named inputs and outputs."""

from __future__ import annotations

import copy
import inspect
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from assettui.errors import DagsterInvalidDefinitionError, DagsterInvalidInvocationError
from assettui.model.config import Config, build_config
from assettui.model.dagster_types import is_nothing
from assettui.model.ops.ins_outs import In, Out

_CONTEXT_NAMES = ("context", "_context", "ctx")


class OpDefinition:
    """What ``@op`` returns; call it like the function to test it directly."""

    def __init__(
        self,
        compute_fn: Callable[..., Any],
        name: str,
        ins: Mapping[str, In] | None = None,
        outs: Mapping[str, Out] | None = None,
        description: str | None = None,
        config_schema: Any = None,
        required_resource_keys: Sequence[str] | None = None,
        tags: Mapping[str, Any] | None = None,
        retry_policy: Any = None,
        code_version: str | None = None,
    ) -> None:
        self.compute_fn = compute_fn
        self.name = name
        self.description = description or inspect.getdoc(compute_fn)
        self.config_schema = config_schema
        self.required_resource_keys = frozenset(required_resource_keys or ())
        self.tags = dict(tags or {})
        self.retry_policy = retry_policy
        self.code_version = code_version
        params = list(inspect.signature(compute_fn).parameters.values())
        self.takes_context = bool(params) and params[0].name in _CONTEXT_NAMES
        input_params = params[1:] if self.takes_context else params
        self.config_param: tuple[str, type[Config]] | None = None
        try:
            hints = typing.get_type_hints(compute_fn)
        except Exception:  # unresolvable annotations: treat every parameter as an input
            hints = {}
        for p in input_params:
            hint = hints.get(p.name, p.annotation)
            if isinstance(hint, type) and issubclass(hint, Config):
                self.config_param = (p.name, hint)
        if self.config_param is not None:
            input_params = [p for p in input_params if p.name != self.config_param[0]]
        declared = dict(ins or {})
        self.nothing_ins = [k for k, v in declared.items() if is_nothing(v.dagster_type)]
        unknown = set(declared) - {p.name for p in input_params} - set(self.nothing_ins)
        if unknown:
            raise DagsterInvalidDefinitionError(
                f"Op {name!r} declares ins {sorted(unknown)} that are not parameters of its "
                "function; add the parameters or remove them from ins=."
            )
        self.ins: dict[str, In] = {}
        for p in input_params:
            spec = declared.get(p.name)
            if spec is None:
                default = p.default if p.default is not inspect.Parameter.empty else None
                spec = In() if default is None else In(default_value=default)
            self.ins[p.name] = spec
        self.outs: dict[str, Out] = dict(outs or {"result": Out()})

    @property
    def input_defs(self) -> list[str]:
        return list(self.ins)

    @property
    def output_defs(self) -> list[str]:
        return list(self.outs)

    def alias(self, name: str) -> OpDefinition:
        """The same op under another node name (to use it twice in one graph)."""
        if not name or not name.isidentifier():
            raise DagsterInvalidDefinitionError(
                f"Alias {name!r} of op {self.name!r} must be a Python identifier."
            )
        aliased = copy.copy(self)
        aliased.name = name
        return aliased

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.takes_context:
            if args:
                context, args = args[0], args[1:]
            elif "context" in kwargs:
                context = kwargs.pop("context")
            else:
                raise DagsterInvalidInvocationError(
                    f"Op {self.name!r} takes a context as its first argument; call it as "
                    f"{self.name}(build_op_context(), ...)."
                )
            if self.config_param is not None:
                param, config_cls = self.config_param
                raw = getattr(context, "op_config", None) or {}
                kwargs[param] = build_config(config_cls, raw, f"op {self.name!r}")
                if len(args) > len(self.ins):
                    raise DagsterInvalidInvocationError(
                        f"Op {self.name!r} takes {len(self.ins)} inputs "
                        f"({', '.join(self.ins)}) but got {len(args)} positional arguments."
                    )
                kwargs.update(zip(self.ins, args, strict=False))
                args = ()
            return self.compute_fn(context, *args, **kwargs)
        return self.compute_fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"OpDefinition(name={self.name!r})"


def op(
    compute_fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    ins: Mapping[str, In] | None = None,
    out: Out | Mapping[str, Out] | None = None,
    config_schema: Any = None,
    required_resource_keys: Sequence[str] | None = None,
    tags: Mapping[str, Any] | None = None,
    retry_policy: Any = None,
    code_version: str | None = None,
) -> Any:
    """Dagster's ``@op``, with or without parentheses."""

    def wrap(fn: Callable[..., Any]) -> OpDefinition:
        outs = {"result": out} if isinstance(out, Out) else out
        return OpDefinition(
            fn,
            name=name or fn.__name__,
            ins=ins,
            outs=outs,
            description=description,
            config_schema=config_schema,
            required_resource_keys=required_resource_keys,
            tags=tags,
            retry_policy=retry_policy,
            code_version=code_version,
        )

    return wrap(compute_fn) if compute_fn is not None else wrap
