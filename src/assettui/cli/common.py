"""Options and helpers shared by the subcommands: which project, which instance."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from assettui.errors import AssettuiError
from assettui.model.definitions import Definitions
from assettui.project import LoadFailure, ProjectTarget, find_project, load_project, resolve_home
from assettui.project.target import storage_setting
from assettui.storage.instance_storage import STORAGE_ENV

F = TypeVar("F", bound=Callable[..., Any])


def _use_storage(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value:  # children (run workers, step processes) inherit it
        os.environ[STORAGE_ENV] = value


def project_options(fn: F) -> F:
    """``[PROJECT]``, ``-m/--module``, ``--home`` and ``--storage`` on a command."""
    fn = click.option(
        "--storage",
        default=None,
        expose_value=False,
        is_eager=True,
        callback=_use_storage,
        metavar="URL",
        help="The instance database: postgresql://user@host:port/db (password through "
        "PGPASSWORD), default: the instance folder's SQLite file, or $ASSETTUI_STORAGE.",
    )(fn)
    fn = click.option(
        "--home",
        type=click.Path(file_okay=False),
        default=None,
        help="Instance folder (default: <project>/.assettui, or $ASSETTUI_HOME).",
    )(fn)
    fn = click.option(
        "-m", "--module", "module", default=None, help="Load the project from this module."
    )(fn)
    fn = click.argument("project", required=False, type=click.Path())(fn)
    return fn


class ProjectFirstGroup(click.Group):
    """A command group that also takes PROJECT before its subcommand, as the README writes
    it (``assettui automation PROJECT list``): PROJECT moves behind the subcommand, where the
    subcommand's own optional ``[PROJECT]`` takes it."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if (
            len(args) >= 2
            and args[0] not in self.commands
            and args[1] in self.commands
            and not args[0].startswith("-")
        ):
            args = [args[1], args[0], *args[2:]]
        return super().parse_args(ctx, args)


@dataclass(frozen=True)
class ProjectContext:
    """A loaded project with its instance folder."""

    target: ProjectTarget
    defs: Definitions
    home: Path


def fail(message: str, code: int = 1) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def resolve_target(project: str | None, module: str | None) -> ProjectTarget:
    try:
        return find_project(project, module)
    except AssettuiError as exc:
        fail(str(exc), 2)
        raise  # unreachable; for type checkers


def instance_home(target: ProjectTarget | None, home: str | None) -> Path:
    """The instance folder (see ``resolve_home``); this also settles its database: unless
    ``--storage`` or ``$ASSETTUI_STORAGE`` names one, the project's ``[tool.assettui]
    storage`` goes into ``$ASSETTUI_STORAGE``, where every storage this process and its
    workers open finds it."""
    if target is not None and not os.environ.get(STORAGE_ENV):
        try:
            setting = storage_setting(target.root)
        except AssettuiError as exc:
            fail(str(exc), 2)
            raise  # unreachable
        if setting:
            os.environ[STORAGE_ENV] = setting
    return resolve_home(target, home)


def load(project: str | None, module: str | None, home: str | None) -> ProjectContext:
    """Load the project or exit with its error (code 1)."""
    target = resolve_target(project, module)
    result = load_project(target)
    if isinstance(result, LoadFailure):
        fail(result.describe())
        raise SystemExit(1)  # unreachable
    return ProjectContext(target, result.defs, instance_home(target, home))
