"""dbt: loading a 500-model manifest as assets, and what materializing a dbt project through
the tool costs over a plain ``dbt build`` of it (Dagster with dagster-dbt beside).

Both tools run dbt as a command from ``.venv-dbt`` (``make test`` makes it; set
``ASSETTUI_DBT_EXECUTABLE`` for another); Dagster's side needs ``dagster-dbt`` in
``.venv-dagster``. The 500-model project is generated and parsed once by ``prepare``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

from benchmarks.measurements import ASSETTUI, Context, Measurement, timed_script

MODELS = 500
_ROOT = Path(__file__).resolve().parents[2]
_FIXTURE = _ROOT / "tests" / "fixtures" / "dbt_jaffle"


def _dbt() -> str:
    return os.environ.get("ASSETTUI_DBT_EXECUTABLE") or str(_ROOT / ".venv-dbt" / "bin" / "dbt")


def _write_project(root: Path, models: int) -> None:
    (root / "models").mkdir(parents=True, exist_ok=True)
    (root / "dbt_project.yml").write_text(
        "name: bench\nversion: '1.0'\nprofile: bench\nmodels:\n  bench:\n    +materialized: view\n"
    )
    (root / "profiles.yml").write_text(
        "bench:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: bench.duckdb\n"
    )
    for i in range(models):
        upstream = f"{{{{ ref('m{(i - 1) // 2}') }}}}" if i else "(select 1 as x)"
        (root / "models" / f"m{i}.sql").write_text(f"select * from {upstream} t\n")


def _prepare_manifest(workdir: Path) -> None:
    root = workdir / f"dbt_{MODELS}"
    if (root / "target" / "manifest.json").is_file():
        return
    _write_project(root, MODELS)
    subprocess.run(
        [_dbt(), "parse", "--project-dir", str(root), "--profiles-dir", str(root)],
        check=True, capture_output=True, cwd=root, timeout=900,
    )  # fmt: skip


def _load_script(context: Context) -> str:
    manifest = context.workdir / f"dbt_{MODELS}" / "target" / "manifest.json"
    module = "assettui" if context.tool == ASSETTUI else "dagster"
    plugin = "assettui.dbt" if context.tool == ASSETTUI else "dagster_dbt"
    return timed_script(
        setup=(
            f"import os\nos.environ['PATH'] = {str(Path(_dbt()).parent)!r} + os.pathsep + "
            f"os.environ['PATH']\nimport {module} as dg\nfrom {plugin} import DbtCliResource, dbt_assets"
        ),
        timed=textwrap.dedent(
            f"""
            @dbt_assets(manifest={str(manifest)!r})
            def bench_dbt(context, dbt: DbtCliResource):
                yield from dbt.cli(["build"], context=context).stream()

            defs = dg.Definitions(
                assets=[bench_dbt], resources={{"dbt": DbtCliResource(project_dir={str(manifest.parents[1])!r})}}
            )
            graph = defs.resolve_asset_graph()
            """
        ),
        check=f"assert len(list(bench_dbt.keys)) == {MODELS}",
    )


def _prepare_jaffle(workdir: Path) -> None:
    for tool in ("assettui", "dagster"):
        target = workdir / f"jaffle_{tool}"
        if not target.exists():
            shutil.copytree(
                _FIXTURE, target, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb*")
            )


def _overhead_script(context: Context) -> str:
    root = context.workdir / f"jaffle_{context.tool}"
    dbt = _dbt()
    if context.tool == ASSETTUI:
        imports = (
            "import assettui as dg\nfrom assettui.dbt import DbtCliResource, DbtProject, dbt_assets"
        )
    else:
        imports = (
            "import dagster as dg\nfrom dagster_dbt import DbtCliResource, DbtProject, dbt_assets"
        )
    setup = textwrap.dedent(
        f"""
        import os, subprocess, sys, time
        os.environ["ASSETTUI_DBT_EXECUTABLE"] = {dbt!r}
        os.environ["PATH"] = {str(Path(dbt).parent)!r} + os.pathsep + os.environ["PATH"]
        os.chdir({str(root)!r})
        """
    )
    setup += (
        imports
        + "\n"
        + textwrap.dedent(
            f"""
        import duckdb
        con = duckdb.connect("warehouse.duckdb")
        con.execute("create or replace table raw_orders as select * from range(1, 4) t(id)")
        con.close()
        project = DbtProject(project_dir={str(root)!r})
        flags = ["--project-dir", {str(root)!r}, "--profiles-dir", {str(root)!r}]
        subprocess.run([{dbt!r}, "parse", *flags], check=True, capture_output=True)
        command = [{dbt!r}, "build", *flags]
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        plain = time.perf_counter() - start

        @dbt_assets(manifest=project.manifest_path)
        def jaffle(context, dbt: DbtCliResource):
            yield from dbt.cli(["build"], context=context).stream()
        """
        )
    )
    return timed_script(
        setup=setup,
        timed="""
        result = dg.materialize([jaffle], resources={"dbt": DbtCliResource(project_dir=project)})
        """,
        check="""
        assert result.success
        _bench_seconds = max(0.0, _bench_seconds - plain)
        """,
    )


MEASUREMENTS = [
    Measurement(
        name=f"dbt: load a {MODELS}-model manifest as assets",
        script=_load_script,
        goal="< 500 ms",
        prepare=_prepare_manifest,
    ),
    Measurement(
        name="dbt: materialize the fixture dbt project, time over a plain dbt build (0: none)",
        script=_overhead_script,
        goal="< 1.0 s",
        prepare=_prepare_jaffle,
    ),
]
