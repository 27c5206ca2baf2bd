"""``assettui init NAME``: scaffold a new project that validates, runs and tests out of the box."""

from __future__ import annotations

import keyword
import re
from pathlib import Path

import click

PYPROJECT = """\
[project]
name = "{name}"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["assettui"]

[tool.assettui]
module = "{package}.definitions"

[tool.pytest.ini_options]
pythonpath = ["."]
"""

DEFINITIONS = '''\
"""The {name} project's assets. Open it with `assettui` in this folder."""

import assettui as dg


@dg.asset(group_name="raw")
def numbers() -> list[int]:
    """A few numbers to start from."""
    return list(range(1, 11))


@dg.asset(group_name="marts")
def total(context: dg.AssetExecutionContext, numbers: list[int]) -> int:
    """The sum of the numbers."""
    result = sum(numbers)
    context.log.info(f"total is {{result}}")
    return result


defs = dg.Definitions(assets=[numbers, total])
'''

TEST = """\
import assettui as dg

from {package}.definitions import numbers, total


def test_assets_materialize() -> None:
    result = dg.materialize([numbers, total])
    assert result.success
    assert result.output_for_node("total") == 55


def test_total_directly() -> None:
    assert total(dg.build_asset_context(), [1, 2, 3]) == 6
"""

GITIGNORE = ".assettui/\n__pycache__/\n.pytest_cache/\n"


def package_name(name: str) -> str:
    package = re.sub(r"\W", "_", name.strip().lower()).strip("_") or "project"
    if package[0].isdigit() or keyword.iskeyword(package):
        package = f"p_{package}"
    return package


@click.command()
@click.argument("name")
def init(name: str) -> None:
    """Create a new project NAME with two assets and a test."""
    root = Path(name)
    if root.exists() and any(root.iterdir()):
        raise click.ClickException(f"{root} exists and is not empty; choose another name.")
    package = package_name(root.name)
    (root / package).mkdir(parents=True, exist_ok=True)
    (root / "tests").mkdir(exist_ok=True)
    (root / "pyproject.toml").write_text(PYPROJECT.format(name=root.name, package=package))
    (root / package / "__init__.py").write_text("")
    (root / package / "definitions.py").write_text(DEFINITIONS.format(name=root.name))
    (root / "tests" / "test_assets.py").write_text(TEST.format(package=package))
    (root / ".gitignore").write_text(GITIGNORE)
    click.echo(f"Created {root}/ — next: cd {root} && assettui validate && assettui")


COMMANDS = [init]
