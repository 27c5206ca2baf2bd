"""``@success_hook`` / ``@failure_hook``: functions run after an op succeeds or fails."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assettui.errors import DagsterInvalidDefinitionError

SUCCESS = "success"
FAILURE = "failure"


@dataclass(frozen=True, eq=False)
class HookDefinition:
    """A hook: ``hook_fn(context)`` runs after each op it is attached to ends as ``kind``."""

    name: str
    hook_fn: Callable[..., Any]
    kind: str
    required_resource_keys: frozenset[str] = field(default_factory=frozenset)
    decorated_fn: Any = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Used on a job (``@my_hook`` above ``@job``) or called directly in a test."""
        if len(args) == 1 and not kwargs and hasattr(args[0], "with_hooks"):
            return args[0].with_hooks({self})
        return self.hook_fn(*args, **kwargs)


def _hook(kind: str) -> Callable[..., Any]:
    def decorator(
        hook_fn: Callable[..., Any] | None = None,
        *,
        name: str | None = None,
        required_resource_keys: Sequence[str] | set[str] | None = None,
    ) -> Any:
        def wrap(fn: Callable[..., Any]) -> HookDefinition:
            if not callable(fn):
                raise DagsterInvalidDefinitionError(f"@{kind}_hook decorates a function.")
            return HookDefinition(
                name=name or fn.__name__,
                hook_fn=fn,
                kind=kind,
                required_resource_keys=frozenset(required_resource_keys or ()),
            )

        return wrap(hook_fn) if hook_fn is not None else wrap

    return decorator


success_hook = _hook(SUCCESS)
failure_hook = _hook(FAILURE)
