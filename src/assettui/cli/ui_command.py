"""``assettui [PROJECT]``: open the terminal UI."""

from __future__ import annotations

import shlex
import sys

import click

from assettui.cli.common import fail, instance_home, project_options, resolve_target


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
        home=instance_home(target, home),
        run_scheduler=not no_scheduler,
        theme_name=theme,
    )
    app.run()
    if app.return_code:  # an error inside the app: Textual printed it; the exit code says so
        raise SystemExit(app.return_code)


@click.command("serve")
@project_options
@click.option("--port", default=8000, show_default=True, help="Port on localhost.")
@click.option("--no-scheduler", is_flag=True, help="Do not run schedules and sensors.")
def serve(
    project: str | None, module: str | None, home: str | None, port: int, no_scheduler: bool
) -> None:
    """The same app in a web browser, on http://localhost:PORT (textual-serve).

    Each browser tab runs its own app on the project; the page is served on localhost only.
    """
    try:
        from textual_serve.server import Server
    except ImportError:
        fail("assettui serve needs textual-serve: pip install 'assettui[serve]'.", 2)
        raise
    target = resolve_target(project, module)
    command = [sys.executable, "-m", "assettui.cli.main_entry", "ui", str(target.root)]
    if module:
        command += ["-m", module]
    command += ["--home", str(instance_home(target, home))]
    if no_scheduler:
        command.append("--no-scheduler")
    server = Server(
        shlex.join(command), host="localhost", port=port, title=f"assettui · {target.display_name}"
    )
    click.echo(f"assettui on http://localhost:{port} (Ctrl-C stops)")
    server.serve()


COMMANDS = [ui, serve]
