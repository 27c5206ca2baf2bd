"""The instance's files are private to their user: folders 0700, files 0600, even with a
umask of 0 and an instance folder that already existed wider (issue 18 point 7)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

PROJECT = """
import assettui as dg


@dg.asset
def secret_value(context):
    print("printed by the step")
    return {"token": "value"}


defs = dg.Definitions(assets=[secret_value])
"""


def test_umask_zero_and_a_wide_existing_folder_still_give_private_files(
    write_project, tmp_path: Path
) -> None:
    project = write_project(PROJECT)
    home = tmp_path / "home"
    home.mkdir()
    os.chmod(home, 0o777)
    env = {k: v for k, v in os.environ.items() if k != "ASSETTUI_HOME"}
    runner = (
        "import os, sys, runpy; os.umask(0); sys.argv = ['assettui', *sys.argv[1:]]; "
        "runpy.run_module('assettui.cli.main_entry', run_name='__main__')"
    )
    out = subprocess.run(
        [sys.executable, "-c", runner, "materialize", str(project), "--home", str(home)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    paths = [home, *home.rglob("*")]
    assert any(p.name == "assettui.db" for p in paths)
    assert any(p.suffix == ".out" for p in paths) and any("storage" in p.parts for p in paths)
    for path in paths:
        mode = stat.S_IMODE(path.stat().st_mode)
        wanted = 0o700 if path.is_dir() else 0o600
        assert mode & ~wanted == 0, f"{path.relative_to(home)} is {oct(mode)}"
