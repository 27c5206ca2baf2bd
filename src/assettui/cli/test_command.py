"""``assettui test [PYTEST_ARGS...]``: pytest in-process with ``import dagster`` aliased."""

from __future__ import annotations

import sys

import click


@click.command(
    "test",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def test_command(pytest_args: tuple[str, ...]) -> None:
    """Run pytest with the Dagster alias installed; every argument goes to pytest."""
    try:
        import pytest
    except ImportError:
        raise click.ClickException(
            "pytest is not installed; install it (pip install pytest) to use `assettui test`"
        ) from None
    from assettui.project import dagster_alias

    dagster_alias.install()
    sys.exit(int(pytest.main(list(pytest_args))))


COMMANDS = [test_command]
