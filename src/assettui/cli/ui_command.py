"""``assettui [PROJECT]``: open the terminal UI."""

from __future__ import annotations

import click

from assettui.cli.common import project_options, resolve_target
from assettui.project import resolve_home


@click.command("ui")
@project_options
@click.option("--no-scheduler", is_flag=True, help="Do not run schedules and sensors while open.")
@click.option("--theme", default=None, help="Textual theme name (e.g. textual-dark, nord).")
def ui(
    project: str | None, module: str | None, home: str | None, no_scheduler: bool, theme: str | None
) -> None:
    """Open the terminal UI on PROJECT (default: the current directory)."""
    target = resolve_target(project, module)
    from assettui.tui.app import AssetTuiApp  # Textual is imported only here

    app = AssetTuiApp(
        target=target,
        home=resolve_home(target, home),
        run_scheduler=not no_scheduler,
        theme_name=theme,
    )
    app.run()
    if app.return_code:  # an error inside the app: Textual printed it; the exit code says so
        raise SystemExit(app.return_code)


COMMANDS = [ui]
