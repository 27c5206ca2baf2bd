"""README CLI forms: PROJECT is optional, a lone positional is the RUN_ID."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.test_cli import PROJECT, assettui


@pytest.fixture
def project(write_project) -> Path:
    return write_project(PROJECT)


def test_logs_latest_and_cancel_run_id_inside_the_project_folder(project: Path) -> None:
    folder = project if project.is_dir() else project.parent
    assert assettui("materialize", str(project), "--select", "orders").returncode == 0
    logs = assettui("logs", "latest", cwd=folder)
    assert logs.returncode == 0, logs.stderr
    assert "orders" in logs.stdout
    cancel = assettui("cancel", "no-such-run", cwd=folder)
    assert cancel.returncode == 1
    assert "No run 'no-such-run'" in cancel.stderr


def test_automation_start_name_inside_the_project_folder(project: Path) -> None:
    folder = project if project.is_dir() else project.parent
    started = assettui("automation", "start", "no_such_schedule", cwd=folder)
    assert started.returncode == 2
    assert "no_such_schedule" in started.stderr
    assert "Missing argument" not in started.stderr


def test_project_before_the_subcommand_as_the_readme_writes_it(project: Path) -> None:
    listed = assettui("automation", str(project), "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == assettui("automation", "list", str(project)).stdout
    jobs = assettui("job", str(project), "list")
    assert jobs.returncode == 0, jobs.stderr


def test_runs_filter_and_launched_by(project: Path) -> None:
    import json

    assert assettui("materialize", str(project), "--select", "orders").returncode == 0
    listed = json.loads(assettui("runs", str(project), "--json", "--filter", "by:cli").stdout)
    assert len(listed) == 1 and listed[0]["launched_by"] == "cli"
    none = json.loads(assettui("runs", str(project), "--json", "--filter", "by:ui").stdout)
    assert none == []
    bad = assettui("runs", str(project), "--filter", "status:nope")
    assert bad.returncode == 2 and "status:nope?" in bad.stderr
