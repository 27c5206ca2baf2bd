"""``@op`` and ``OpDefinition``: a unit of computation with named inputs and outputs.

Called inside ``@graph`` / ``@job`` an op records a node (see :mod:`.composition`); called
anywhere else it runs its function directly, as in Dagster's op testing
(``my_op(build_op_context(), x)``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from assettui.errors import DagsterInvalidDefinitionError, DagsterInvalidInvocationError
from assettui.model.assets.compute_fn import FunctionParams, analyze_params
from assettui.model.config import build_config
from assettui.model.dagster_types import is_nothing
from assettui.model.ops.composition import PendingNodeInvocation, current_composition, invoke
from assettui.model.ops.ins_outs import In, Out


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
        pool: str | None = None,
    ) -> None:
        if not name or not name.isidentifier():
            raise DagsterInvalidDefinitionError(
                f"Op name {name!r} is not valid: use letters, digits and underscores."
            )
        self.compute_fn = compute_fn
        self.name = name
        self.description = description or inspect.getdoc(compute_fn)
        self.config_schema = config_schema
        self.tags = dict(tags or {})
        self.retry_policy = retry_policy
        self.code_version = code_version
        self.pool = pool
        self.params: FunctionParams = analyze_params(compute_fn, f"Op {name!r}")
        self.required_resource_keys = frozenset(
            {*(required_resource_keys or ()), *self.params.resource_params}
        )
        declared = dict(ins or {})
        input_params = list(self.params.input_params)
        self.nothing_ins = [k for k, v in declared.items() if is_nothing(v.dagster_type)]
        unknown = set(declared) - set(input_params) - set(self.nothing_ins)
        if unknown:
            raise DagsterInvalidDefinitionError(
                f"Op {name!r} declares ins {sorted(unknown)} that are not parameters of its "
                "function; add the parameters or remove them from ins=."
            )
        signature = inspect.signature(compute_fn).parameters
        self.ins: dict[str, In] = {}
        for param in input_params:
            spec = declared.get(param)
            default = signature[param].default
            if spec is None:
                spec = In() if default is inspect.Parameter.empty else In(default_value=default)
            elif not spec.has_default_value and default is not inspect.Parameter.empty:
                spec = In(spec.dagster_type, spec.description, default, spec.metadata)
            self.ins[param] = spec
        for param in self.nothing_ins:
            self.ins[param] = declared[param]
        self.outs: dict[str, Out] = dict(outs or {"result": Out()})

    # ---- what graphs read ------------------------------------------------------------------

    @property
    def composition_input_names(self) -> list[str]:
        return list(self.ins)

    @property
    def composition_outputs(self) -> list[tuple[str, bool]]:
        return [(name, out.is_dynamic) for name, out in self.outs.items()]

    @property
    def input_defs(self) -> list[str]:
        return list(self.ins)

    @property
    def output_defs(self) -> list[str]:
        return list(self.outs)

    @property
    def node_name(self) -> str:
        return self.name

    @property
    def takes_context(self) -> bool:
        return self.params.context_param is not None

    @property
    def config_param(self) -> tuple[str, Any] | None:
        if self.params.config_param is None:
            return None
        return self.params.config_param, self.params.config_type

    def value_inputs(self) -> list[str]:
        """The inputs passed to the function (``Nothing`` inputs only order the op)."""
        return [name for name in self.ins if name not in self.nothing_ins]

    # ---- node names, tags, hooks -----------------------------------------------------------

    def alias(self, name: str) -> PendingNodeInvocation:
        """The same op under another node name (to use it twice in one graph)."""
        if not name or not name.isidentifier():
            raise DagsterInvalidDefinitionError(
                f"Alias {name!r} of op {self.name!r} must be a Python identifier."
            )
        return PendingNodeInvocation(self, alias=name)

    def tag(self, tags: Mapping[str, Any]) -> PendingNodeInvocation:
        return PendingNodeInvocation(self, tags=tags)

    def with_hooks(self, hooks: Any) -> PendingNodeInvocation:
        return PendingNodeInvocation(self, hooks=frozenset(hooks))

    def with_retry_policy(self, retry_policy: Any) -> PendingNodeInvocation:
        return PendingNodeInvocation(self, retry_policy=retry_policy)

    # ---- calling it ------------------------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        composition = current_composition()
        if composition is not None:
            return invoke(composition, self, args, kwargs)
        return self._invoke_directly(args, kwargs)

    def _invoke_directly(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        params = self.params
        call: dict[str, Any] = {}
        context = None
        if params.context_param is not None:
            if args:
                context, args = args[0], args[1:]
            elif params.context_param in kwargs:
                context = kwargs.pop(params.context_param)
            else:
                raise DagsterInvalidInvocationError(
                    f"Op {self.name!r} takes a context as its first argument, but none was "
                    f"given; call it as {self.name}(build_op_context(), ...)."
                )
            call[params.context_param] = context
        elif args and _is_context(args[0]):
            # as in Dagster: a context given to an op that does not take one still carries
            # its config and resources
            context, args = args[0], args[1:]
        if (
            params.config_param is not None
            and args
            and isinstance(args[0], params.config_type or ())
        ):
            call[params.config_param], args = args[0], args[1:]
        values = self.value_inputs()
        if len(args) > len(values):
            raise DagsterInvalidInvocationError(
                f"Op {self.name!r} takes {len(values)} inputs ({', '.join(values) or 'none'}) "
                f"but got {len(args)} positional arguments."
            )
        call.update(zip(values, args, strict=False))
        for key, value in kwargs.items():
            call[key] = value
        if (
            params.config_param is not None
            and params.config_type is not None
            and params.config_param not in call
        ):
            raw = getattr(context, "op_config", None) or {}
            call[params.config_param] = build_config(params.config_type, raw, f"op {self.name!r}")
        for res in params.resource_params:
            if res not in call:
                resources = getattr(context, "resources", None)
                found = getattr(resources, res, None) if resources is not None else None
                if found is None:
                    raise DagsterInvalidInvocationError(
                        f"Op {self.name!r} needs resource {res!r}: pass it as {res}=... or in "
                        f"build_op_context(resources={{{res!r}: ...}})."
                    )
                call[res] = found
        missing = [
            name for name in values if name not in call and not self.ins[name].has_default_value
        ]
        if missing:
            raise DagsterInvalidInvocationError(
                f"Op {self.name!r} was called without input(s) {', '.join(missing)}."
            )
        for name in values:
            if name not in call:
                call[name] = self.ins[name].default_value
        return self.compute_fn(**call)

    def __repr__(self) -> str:
        return f"OpDefinition(name={self.name!r})"


def _is_context(value: Any) -> bool:
    return hasattr(value, "op_config") and hasattr(value, "log") and hasattr(value, "resources")


def op(
    compute_fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    ins: Mapping[str, In] | None = None,
    out: Out | Mapping[str, Out] | None = None,
    config_schema: Any = None,
    required_resource_keys: Sequence[str] | set[str] | None = None,
    tags: Mapping[str, Any] | None = None,
    retry_policy: Any = None,
    code_version: str | None = None,
    pool: str | None = None,
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
            required_resource_keys=list(required_resource_keys or ()),
            tags=tags,
            retry_policy=retry_policy,
            code_version=code_version,
            pool=pool,
        )

    return wrap(compute_fn) if compute_fn is not None else wrap
