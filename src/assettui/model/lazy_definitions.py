"""``@definitions``: a function that builds a project's ``Definitions`` when the loader asks.

Dagster 1.10+ projects (``create-dagster project``) write::

    @dg.definitions
    def defs():
        return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)

The decorator returns a :class:`LazyDefinitions`; the project loader (and
``load_from_defs_folder`` for modules inside a defs folder) calls it. The function takes no
argument, or one :class:`ComponentLoadContext` (Dagster's name), which is only given when the
function lives in a defs folder. Nothing here imports or reads anything: calling is the
loader's business.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from assettui.errors import DefinitionError
from assettui.model.definitions import Definitions


@dataclass(frozen=True)
class ComponentLoadContext:
    """Where a ``@definitions`` function inside a defs folder is being loaded from.

    Attributes:
        path: the file (or folder) being loaded.
        project_root: the directory holding the project's ``pyproject.toml``/``dg.toml``.
        defs_module_path: the defs folder (``src/<pkg>/defs``).
        defs_module_name: the defs package's module name (``<pkg>.defs``).
    """

    path: Path
    project_root: Path
    defs_module_path: Path
    defs_module_name: str

    def for_path(self, path: Path) -> ComponentLoadContext:
        """The same context for another file of the defs folder."""
        return ComponentLoadContext(
            path, self.project_root, self.defs_module_path, self.defs_module_name
        )

    def defs_relative_module_name(self, path: Path) -> str:
        """The module name of ``path`` (a file or folder inside the defs folder).

        Raises:
            DefinitionError: if ``path`` is outside the defs folder.
        """
        try:
            relative = Path(path).absolute().relative_to(self.defs_module_path.absolute())
        except ValueError:
            raise DefinitionError(
                f"{path} is not inside the defs folder {self.defs_module_path}."
            ) from None
        parts = list(relative.parts)
        if parts and parts[-1] == "__init__.py":
            parts = parts[:-1]
        elif parts and parts[-1].endswith(".py"):
            parts[-1] = parts[-1][: -len(".py")]
        return ".".join([self.defs_module_name, *parts])


def _wants_context(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` takes the load context; refuses signatures Dagster refuses."""
    params = [
        p
        for p in inspect.signature(fn).parameters.values()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    required = [p for p in params if p.default is p.empty]
    if not params:
        return False
    if len(required) > 1:
        name = getattr(fn, "__qualname__", repr(fn))
        raise DefinitionError(
            f"@definitions function {name!r} takes {len(required)} parameters; it must take "
            "none, or one ComponentLoadContext parameter."
        )
    return bool(required)


@dataclass(frozen=True)
class LazyDefinitions:
    """A ``@definitions`` function; calling it returns the ``Definitions`` it builds.

    Attributes:
        load_fn: the decorated function.
        has_context_arg: whether it takes a :class:`ComponentLoadContext`.
    """

    load_fn: Callable[..., Any]
    has_context_arg: bool

    def __call__(self, context: ComponentLoadContext | None = None) -> Any:
        """Build the definitions.

        Raises:
            DefinitionError: if the function needs a context and none is given, or returns
                something other than a ``Definitions``.
        """

        name = getattr(self.load_fn, "__qualname__", "definitions")
        if self.has_context_arg:
            if context is None:
                raise DefinitionError(
                    f"@definitions function {name!r} takes a ComponentLoadContext, which is only "
                    "given inside a defs folder loaded by load_from_defs_folder. Drop the "
                    "parameter to load it as the project's top-level definitions."
                )
            result = self.load_fn(context)
        else:
            result = self.load_fn()
        if not isinstance(result, Definitions):
            raise DefinitionError(
                f"@definitions function {name!r} returned {type(result).__name__}; it must "
                "return a Definitions object."
            )
        return result


def definitions(fn: Callable[..., Any]) -> Any:
    """Mark ``fn`` as the function that builds the project's ``Definitions``.

    The loader calls it when the project is loaded (and on every reload), so work done
    inside it is not done at import time. It may take one ``ComponentLoadContext``
    parameter when it lives in a defs folder.

    Args:
        fn: a function returning a :class:`~assettui.Definitions`.

    Returns:
        A :class:`LazyDefinitions`; call it to get the ``Definitions`` (e.g. in a test).

    Raises:
        DefinitionError: if ``fn`` takes more than one required parameter.
    """
    if not callable(fn):
        raise DefinitionError(f"@definitions decorates a function; got {fn!r}.")
    return LazyDefinitions(load_fn=fn, has_context_arg=_wants_context(fn))


def lazy_definitions_in(values: Iterable[Any]) -> list[LazyDefinitions]:
    """The ``@definitions`` functions among ``values`` (e.g. a module's attributes), once each."""
    found: list[LazyDefinitions] = []
    for value in values:
        if isinstance(value, LazyDefinitions) and not any(value is f for f in found):
            found.append(value)
    return found


def module_lazy_definitions(module: ModuleType) -> list[LazyDefinitions]:
    """The ``@definitions`` functions defined at module level in ``module``."""
    return lazy_definitions_in(vars(module).values())
