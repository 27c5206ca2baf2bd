"""Finding and loading a project: directory, file, module; errors as values; reload."""

from __future__ import annotations

import textwrap

import pytest

from assettui.errors import ProjectLoadError
from assettui.project import LoadedProject, LoadFailure, find_project, load_project

TWO_ASSETS = """
import assettui as dg
from helpers import base_value

@dg.asset
def first():
    return base_value()

@dg.asset
def second(first):
    return first + 1

defs = dg.Definitions(assets=[first, second])
"""


def test_directory_with_definitions_py_imports_siblings(write_project) -> None:
    project = write_project(TWO_ASSETS)
    (project / "helpers.py").write_text("def base_value():\n    return 41\n")
    result = load_project(find_project(project))
    assert isinstance(result, LoadedProject)
    assert len(result.defs.resolve_asset_graph()) == 2


def test_pyproject_names_the_module(tmp_path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "defs.py").write_text(
        "import assettui as dg\n@dg.asset\ndef only():\n    return 1\n"
        "my_defs = dg.Definitions(assets=[only])\n"
    )
    (tmp_path / "pyproject.toml").write_text('[tool.assettui]\nmodule = "pkg.defs"\n')
    target = find_project(tmp_path)
    assert target.module_name == "pkg.defs"
    result = load_project(target)
    assert result.ok and len(result.defs.resolve_asset_graph()) == 1


def test_dagster_pyproject_section_is_understood(tmp_path) -> None:
    (tmp_path / "dpkg").mkdir()
    (tmp_path / "dpkg" / "__init__.py").write_text(
        "import assettui as dg\n@dg.asset\ndef x():\n    return 1\ndefs = dg.Definitions(assets=[x])\n"
    )
    (tmp_path / "pyproject.toml").write_text('[tool.dagster]\nmodule_name = "dpkg"\n')
    assert load_project(find_project(tmp_path)).ok


def test_module_without_definitions_collects_module_level_assets(write_project) -> None:
    project = write_project("import assettui as dg\n@dg.asset\ndef lonely():\n    return 1\n")
    result = load_project(find_project(project))
    assert result.ok and len(result.defs.resolve_asset_graph()) == 1


def test_syntax_error_is_a_load_failure_with_file_and_line(write_project) -> None:
    project = write_project("import assettui as dg\n\n@dg.asset\ndef broken(:\n    pass\n")
    result = load_project(find_project(project))
    assert isinstance(result, LoadFailure)
    assert "syntax error" in result.message
    assert result.file and result.file.endswith("definitions.py") and result.line == 4


def test_import_error_carries_the_traceback(write_project) -> None:
    project = write_project("import assettui as dg\nimport no_such_module_xyz\n")
    result = load_project(find_project(project))
    assert isinstance(result, LoadFailure)
    assert "ModuleNotFoundError" in result.message
    assert "no_such_module_xyz" in result.traceback
    assert "definitions.py" in result.traceback


def test_invalid_definitions_are_a_load_failure(write_project) -> None:
    project = write_project(
        "import assettui as dg\n@dg.asset\ndef a(b):\n    return b\n"
        "@dg.asset\ndef b(a):\n    return a\ndefs = dg.Definitions(assets=[a, b])\n"
    )
    result = load_project(find_project(project))
    assert isinstance(result, LoadFailure) and "cycle" in result.message


def test_reload_picks_up_edits_of_sibling_modules(write_project) -> None:
    project = write_project(TWO_ASSETS)
    helpers = project / "helpers.py"
    helpers.write_text("def base_value():\n    return 1\n")
    first = load_project(find_project(project))
    assert first.ok
    (project / "definitions.py").write_text(
        textwrap.dedent(TWO_ASSETS).replace(
            "defs = dg.Definitions(assets=[first, second])",
            "@dg.asset\ndef third(second):\n    return second\n"
            "defs = dg.Definitions(assets=[first, second, third])",
        )
    )
    second = load_project(find_project(project))
    assert second.ok and len(second.defs.resolve_asset_graph()) == 3


def test_missing_project_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ProjectLoadError, match="does not exist"):
        find_project(tmp_path / "nope")
    with pytest.raises(ProjectLoadError, match="assettui init"):
        find_project(tmp_path)
