"""The ``assettui`` click group: ``assettui [PROJECT]`` opens the UI, subcommands run headless."""

from __future__ import annotations

import os
from typing import Any

import click

from assettui import __version__
from assettui.cli import (
    automation_commands,
    backfill_command,
    init_command,
    job_commands,
    project_commands,
    run_commands,
    test_command,
    ui_command,
)
from assettui.cli.error_boundary import guarded


class DefaultToUiGroup(click.Group):
    """A group whose unknown first word is a PROJECT for the ``ui`` command.

    ``assettui``, ``assettui sample_project`` and ``assettui --home X sample_project`` all
    open the UI, while ``assettui validate ...`` runs the subcommand.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (
            args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")
        ):
            args = ["ui", *args]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultToUiGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="assettui")
@click.option(
    "--no-dagster-alias",
    is_flag=True,
    help="Do not resolve `import dagster` to assettui (same as ASSETTUI_DAGSTER_ALIAS=0).",
)
def cli(no_dagster_alias: bool = False) -> None:
    """A local data platform in your terminal: Dagster-compatible assets, runs, logs,
    partitions, schedules and sensors, with one SQLite instance.

    Run `assettui [PROJECT]` to open the UI, or a subcommand below.
    """
    if no_dagster_alias:
        os.environ["ASSETTUI_DAGSTER_ALIAS"] = "0"  # reaches worker subprocesses too


for _module in (
    project_commands,
    run_commands,
    ui_command,
    init_command,
    job_commands,
    automation_commands,
    backfill_command,
    test_command,
):
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main(argv: list[str] | None = None) -> Any:
    return guarded(lambda: cli.main(args=argv, prog_name="assettui"))
