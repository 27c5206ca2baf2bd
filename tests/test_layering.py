"""Layer rules: the engine runs without Textual; `import assettui` stays light."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import assettui

ENGINE_PACKAGES = ["model", "project", "storage", "execution", "automation"]


def _engine_modules() -> list[str]:
    names = []
    for package in ENGINE_PACKAGES:
        path = [str(p) for p in assettui.__path__]
        for info in pkgutil.iter_modules([f"{path[0]}/{package}"]):
            names.append(f"assettui.{package}.{info.name}")
    names += ["assettui.cli.main", "assettui.cli.run_commands", "assettui.cli.project_commands"]
    return names


def test_engine_modules_do_not_import_textual() -> None:
    modules = _engine_modules()
    code = (
        "import importlib, json, sys\n"
        f"mods = {modules!r}\n"
        "for m in mods:\n"
        "    importlib.import_module(m)\n"
        "print(json.dumps(sorted(n for n in sys.modules if n == 'textual' or n.startswith('textual.'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [], f"textual imported by engine modules: {out.stdout}"
    assert len(modules) > 20


def test_import_assettui_is_light() -> None:
    code = (
        "import sys, json\n"
        "import assettui as dg\n"
        "@dg.asset\n"
        "def a():\n    return 1\n"
        "dg.Definitions(assets=[a]).resolve_asset_graph()\n"
        "heavy = ('textual', 'polars', 'duckdb', 'dlt', 'pandas', 'dbt')\n"
        "print(json.dumps([m for m in heavy if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_public_names_all_resolve() -> None:
    missing = [name for name in assettui.__all__ if not hasattr(assettui, name)]
    assert missing == []


def _declared_exceptions() -> set[tuple[str, str]]:
    """The upward imports the layer contract in pyproject.toml declares (``a -> b``)."""
    import tomllib

    config = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    declared = set()
    for contract in config["tool"]["importlinter"]["contracts"]:
        for rule in contract.get("ignore_imports", []):
            importer, imported = (part.strip() for part in rule.split("->"))
            declared.add((importer, imported))
    return declared


def _import_cycles() -> list[list[str]]:
    """Groups of assettui modules that import each other at run time, however indirectly
    (function-local imports included; ``TYPE_CHECKING`` imports are not run, so left out;
    so are the upward imports the layer contract declares)."""
    import grimp

    graph = grimp.build_graph("assettui", exclude_type_checking_imports=True)
    modules = sorted(graph.modules)
    declared = _declared_exceptions()
    edges = {
        m: {o for o in graph.find_modules_directly_imported_by(m) if (m, o) not in declared}
        & set(modules)
        for m in modules
    }
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        order[module] = low[module] = len(order)
        stack.append(module)
        for other in edges[module]:
            if other not in order:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], order[other])
        if low[module] == order[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(modules)))
    for module in modules:
        if module not in order:
            visit(module)
    return cycles


def test_no_import_cycle_hides_behind_a_function_local_import() -> None:
    assert ("assettui.model.jobs", "assettui.execution.in_process") in _declared_exceptions()
    # In a fresh interpreter: other tests replace modules in sys.modules, which grimp reads.
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import test_layering; "
        "print(json.dumps(test_layering._import_cycles()))"
    )
    tests = str(Path(__file__).parent)
    out = subprocess.run(
        [sys.executable, "-c", code, tests], capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == []
