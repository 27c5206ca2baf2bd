"""Import a project's ``Definitions`` — fresh every time, and never raising.

:func:`load_project` returns a :class:`LoadedProject` or a :class:`LoadFailure` (with the
traceback) — a broken user file is data for the UI to show, not an exception that takes it
down. Before each import, the project's own modules are dropped from ``sys.modules`` so an
edited file is always read again.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from assettui.errors import AssettuiError, ProjectLoadError
from assettui.model.assets.loaders import load_definitions_from_modules
from assettui.model.definitions import Definitions
from assettui.model.lazy_definitions import LazyDefinitions, module_lazy_definitions
from assettui.model.validation import find_problems
from assettui.project import dagster_alias
from assettui.project.target import ProjectTarget


@dataclass(frozen=True)
class LoadedProject:
    """A project whose definitions imported and validated."""

    target: ProjectTarget
    defs: Definitions
    module_name: str
    seconds: float
    ok: bool = field(default=True, init=False)


@dataclass(frozen=True)
class LoadFailure:
    """A project that failed to import or validate.

    Attributes:
        message: one paragraph saying what is wrong and what to do.
        traceback: the formatted traceback (user frames only), or ``""`` for validation.
        file: the user file the error points at, if known.
        line: the line in that file, if known.
        problems: each validation problem, when the failure is validation.
    """

    target: ProjectTarget
    message: str
    traceback: str = ""
    file: str | None = None
    line: int | None = None
    problems: tuple[str, ...] = ()
    ok: bool = field(default=False, init=False)

    def describe(self) -> str:
        return f"{self.message}\n\n{self.traceback}".rstrip() if self.traceback else self.message


LoadResult = LoadedProject | LoadFailure


def _forget_project_modules(target: ProjectTarget) -> None:
    roots = [str(d.resolve()) for d in target.source_dirs()]
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if (
            file
            and any(file.startswith(root + "/") for root in roots)
            and "site-packages" not in file
        ):
            del sys.modules[name]
    if target.module_name:
        top = target.module_name.split(".")[0]
        for name in list(sys.modules):
            if name == top or name.startswith(top + "."):
                del sys.modules[name]
    importlib.invalidate_caches()


def _put_on_path(target: ProjectTarget) -> None:
    for directory in reversed(target.source_dirs()):
        path = str(directory)
        if path in sys.path:
            sys.path.remove(path)
        sys.path.insert(0, path)


def _import(target: ProjectTarget) -> ModuleType:
    dagster_alias.install()  # `import dagster` in user code resolves to assettui
    if target.module_name:
        return importlib.import_module(target.module_name)
    assert target.python_file is not None
    name = target.python_file.stem
    spec = importlib.util.spec_from_file_location(name, target.python_file)
    if spec is None or spec.loader is None:
        raise ProjectLoadError(f"Cannot import {target.python_file}.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def find_definitions(module: ModuleType, attribute: str | None = None) -> Definitions:
    """The module's Definitions: ``attribute``, else ``defs``, else the only one.

    A module without any ``Definitions`` but with module-level assets is loaded as Dagster
    does: a Definitions of those assets and checks.

    Raises:
        ProjectLoadError: if there are several candidates or none.
    """
    where = getattr(module, "__file__", module.__name__)
    if attribute:
        value = getattr(module, attribute, None)
        if isinstance(value, LazyDefinitions):
            value = value()
        if not isinstance(value, Definitions):
            raise ProjectLoadError(f"{where} has no Definitions named {attribute!r}.")
        return value
    lazy = module_lazy_definitions(module)  # @definitions wins, as in Dagster
    if len(lazy) > 1:
        raise ProjectLoadError(
            f"{where} has {len(lazy)} @definitions functions; keep one per module."
        )
    if lazy:
        return lazy[0]()
    value = getattr(module, "defs", None)
    if isinstance(value, Definitions):
        return value
    found = {n: v for n, v in vars(module).items() if isinstance(v, Definitions)}
    if len(found) == 1:
        return next(iter(found.values()))
    if len(found) > 1:
        raise ProjectLoadError(
            f"{where} defines several Definitions ({', '.join(sorted(found))}); name the one "
            'to load `defs`, or set [tool.assettui] attribute = "..." in pyproject.toml.'
        )
    defs = load_definitions_from_modules([module])
    if not defs.assets:
        raise ProjectLoadError(
            f"{where} defines no Definitions and no assets. Add "
            "`defs = Definitions(assets=[...])` at module level."
        )
    return defs


def _user_frame(exc: BaseException, target: ProjectTarget) -> tuple[str | None, int | None]:
    if isinstance(exc, SyntaxError) and exc.filename:
        return exc.filename, exc.lineno
    roots = [str(d) for d in target.source_dirs()]
    file = line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if any(frame.filename.startswith(r) for r in roots):
            file, line = frame.filename, frame.lineno
    return file, line


# where assettui itself lives: its frames are noise under one of its own load errors
_PACKAGE_DIR = str(Path(__file__).resolve().parent.parent) + os.sep


def _user_traceback(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    # drop importlib's machinery; for assettui's own errors (a bad cron string, an unknown
    # timezone) also the model frames that raised them: the user's line is the story
    ours = isinstance(exc, AssettuiError)
    kept = [
        f
        for f in frames
        if "importlib" not in f.filename
        and not f.filename.endswith("project/loader.py")
        and not (ours and f.filename.startswith(_PACKAGE_DIR))
    ]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(kept)]
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines)


def load_project(target: ProjectTarget, validate: bool = True) -> LoadResult:
    """Import ``target`` afresh and return its Definitions, or a :class:`LoadFailure`."""
    start = time.perf_counter()
    _forget_project_modules(target)
    _put_on_path(target)
    try:
        module = _import(target)
        defs = find_definitions(module, target.attribute)
    except ProjectLoadError as exc:
        return LoadFailure(target, str(exc))
    except BaseException as exc:  # user code may raise anything, even SystemExit
        if isinstance(exc, KeyboardInterrupt):
            raise
        file, line = _user_frame(exc, target)
        kind = "a syntax error" if isinstance(exc, SyntaxError) else f"{type(exc).__name__}"
        where = f" at {file}:{line}" if file else ""
        message = f"Loading {target.display_name} failed with {kind}{where}: {exc}"
        if isinstance(exc, AssettuiError):
            message = f"Loading {target.display_name} failed{where}: {exc}"
        return LoadFailure(target, message, _user_traceback(exc), file, line)
    if validate:
        try:
            problems = find_problems(defs)
        except AssettuiError as exc:
            problems = [str(exc)]
        if problems:
            listing = "\n".join(f"  - {p}" for p in problems)
            noun = "problem" if len(problems) == 1 else "problems"
            return LoadFailure(
                target,
                f"{target.display_name} loaded, but its definitions have {len(problems)} "
                f"{noun}:\n{listing}",
                problems=tuple(problems),
            )
    return LoadedProject(target, defs, module.__name__, time.perf_counter() - start)


def load_definitions(target: ProjectTarget) -> Definitions:
    """Like :func:`load_project`, but raising :class:`ProjectLoadError` on failure."""
    result = load_project(target)
    if isinstance(result, LoadFailure):
        raise ProjectLoadError(result.describe())
    return result.defs


def module_attributes(module: ModuleType) -> dict[str, Any]:
    return dict(vars(module))
