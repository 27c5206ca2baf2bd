"""Layer rules: the engine runs without Textual; `import assettui` stays light."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

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
        "print(json.dumps([m for m in ('textual', 'polars') if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_public_names_all_resolve() -> None:
    missing = [name for name in assettui.__all__ if not hasattr(assettui, name)]
    assert missing == []
