"""PostgreSQL instance storage through the real CLI, run workers and daemons, on a real
server: choosing it (--storage, $ASSETTUI_STORAGE, [tool.assettui] storage), two hosts (two
project folders and homes) sharing one database, and bad URLs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from tests.servers import free_port

from assettui.model.records.runs import DagsterRunStatus
from assettui.storage.automation_state import InstigatorType
from assettui.storage.instance_storage import Storage

pytestmark = pytest.mark.slow

PROJECT = """
import time
import dagster as dg

io_manager = dg.FilesystemIOManager(base_dir=r"{values}")

@dg.asset
def upstream():
    return [1, 2, 3]

@dg.asset
def downstream(context, upstream):
    context.log.info(f"downstream read {{upstream}}")
    return sum(upstream)

@dg.asset
def slow(context):
    for i in range(6):
        context.log.info(f"slow tick {{i}}")
        time.sleep(0.5)

every_minute = dg.ScheduleDefinition(
    name="every_minute",
    target=[upstream],
    cron_schedule="* * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

defs = dg.Definitions(
    assets=[upstream, downstream, slow],
    schedules=[every_minute],
    resources={{"io_manager": io_manager}},
)
"""


def _cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full = {**os.environ, **(env or {})}
    full.pop("ASSETTUI_HOME", None)
    if env is None or "ASSETTUI_STORAGE" not in env:
        full.pop("ASSETTUI_STORAGE", None)
    return subprocess.run(
        [sys.executable, "-m", "assettui.cli.main_entry", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full,
        timeout=180,
    )


def _start(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """A command in the background, its output (stdout and stderr) on a pipe."""
    return subprocess.Popen(
        [sys.executable, "-m", "assettui.cli.main_entry", *args],
        cwd=cwd,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _host(tmp_path: Path, name: str, values: Path) -> Path:
    project = tmp_path / name
    project.mkdir()
    (project / "definitions.py").write_text(textwrap.dedent(PROJECT.format(values=values)))
    return project


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.username}@{parts.hostname}:{parts.port}"))


def _runs(url: str, home: Path) -> list:
    with Storage(home, url=url) as storage:
        return storage.runs.list_runs()


def test_a_run_on_postgres_through_the_cli(tmp_path, postgres_url, pg_server) -> None:
    project = _host(tmp_path, "host", tmp_path / "values")
    url = _without_password(postgres_url)  # the password comes from the environment
    secret = {"PGPASSWORD": pg_server.password}
    out = _cli(
        "materialize",
        str(project),
        "--storage",
        url,
        "--select",
        "upstream",
        cwd=project,
        env=secret,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert not (project / ".assettui" / "assettui.db").exists()  # nothing went to SQLite
    (run,) = _runs(postgres_url, tmp_path / "elsewhere")
    assert run.status is DagsterRunStatus.SUCCESS
    listed = _cli("runs", str(project), "--storage", url, cwd=project, env=secret)
    assert listed.returncode == 0 and run.run_id[:8] in listed.stdout
    logs = _cli("logs", str(project), "--storage", url, run.run_id, cwd=project, env=secret)
    assert "ASSET_MATERIALIZATION" in logs.stdout and "RUN_SUCCESS" in logs.stdout
    # captured output and values stay in files
    assert (project / ".assettui" / "logs" / run.run_id).is_dir()
    assert (tmp_path / "values" / "upstream").exists()


def test_the_storage_setting_and_the_environment_choose_postgres(
    tmp_path, postgres_url, pg_server
) -> None:
    project = _host(tmp_path, "host", tmp_path / "values")
    (project / "pyproject.toml").write_text(
        '[tool.assettui]\nmodule = "definitions"\nstorage = { env = "TEAM_PG_URL" }\n'
    )
    out = _cli(
        "materialize",
        str(project),
        "--select",
        "upstream",
        cwd=project,
        env={"TEAM_PG_URL": postgres_url},
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert not (project / ".assettui" / "assettui.db").exists()
    by_env = _cli("runs", str(project), cwd=project, env={"ASSETTUI_STORAGE": postgres_url})
    assert by_env.returncode == 0 and "SUCCESS" in by_env.stdout
    assert pg_server.password not in out.stdout + out.stderr + by_env.stdout + by_env.stderr
    unset = _cli("runs", str(project), cwd=project)
    assert unset.returncode == 2
    assert "TEAM_PG_URL, which is not set" in unset.stderr and "Traceback" not in unset.stderr


def test_two_hosts_share_one_postgres_instance(tmp_path, postgres_url) -> None:
    """Two project folders with their own homes (two machines, say) on one database and one
    shared values folder: a run on one is listed and followed live on the other, and a
    downstream run on the other reads its value."""
    values = tmp_path / "shared-values"
    host_a = _host(tmp_path, "a", values)
    host_b = _host(tmp_path, "b", values)
    env = {"ASSETTUI_STORAGE": postgres_url}
    slow = _start("materialize", str(host_a), "--select", "slow", cwd=host_a, env=env)
    try:
        deadline = time.monotonic() + 60
        while not _runs(postgres_url, tmp_path / "probe"):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        (run,) = _runs(postgres_url, tmp_path / "probe")
        follow = _cli("logs", str(host_b), run.run_id, "--follow", cwd=host_b, env=env)
        assert follow.returncode == 0, follow.stderr
        ticks = [line for line in follow.stdout.splitlines() if "slow tick" in line]
        assert len(ticks) == 6 and "RUN_SUCCESS" in follow.stdout
        assert slow.wait(60) == 0, slow.communicate()[0]
    finally:
        if slow.poll() is None:
            slow.kill()
    first = _cli("materialize", str(host_a), "--select", "upstream", cwd=host_a, env=env)
    assert first.returncode == 0, first.stderr
    second = _cli("materialize", str(host_b), "--select", "downstream", cwd=host_b, env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    listed = _cli("runs", str(host_b), "--json", cwd=host_b, env=env)
    assert listed.stdout.count('"run_id"') == 3
    logs = _cli("logs", str(host_b), "latest", cwd=host_b, env=env)
    assert "downstream read [1, 2, 3]" in logs.stdout
    assert not (host_a / ".assettui" / "assettui.db").exists()
    assert not (host_b / ".assettui" / "assettui.db").exists()


def test_two_daemons_on_two_hosts_tick_a_schedule_once(tmp_path, postgres_url) -> None:
    values = tmp_path / "shared-values"
    hosts = [_host(tmp_path, name, values) for name in ("a", "b")]
    env = {"ASSETTUI_STORAGE": postgres_url}
    started = _cli("automation", "start", str(hosts[0]), "every_minute", cwd=hosts[0], env=env)
    assert started.returncode == 0, started.stderr  # started now: a later minute is due
    now = "2036-01-05T10:00:30+00:00"
    daemons = [
        _start("daemon", str(host), "--once", "--now", now, cwd=host, env=env) for host in hosts
    ]
    outputs = [daemon.communicate(timeout=120)[0] for daemon in daemons]
    assert all(d.returncode == 0 for d in daemons), outputs
    with Storage(tmp_path / "probe", url=postgres_url) as storage:
        runs = storage.runs.list_runs()
        ticks = storage.automation.list_ticks("every_minute", InstigatorType.SCHEDULE)
    assert len(runs) == 1, outputs  # one tick, one run, whichever daemon took it
    assert len([t for t in ticks if t.run_ids]) == 1


def test_bad_urls_are_one_clear_message(tmp_path, pg_server) -> None:
    project = _host(tmp_path, "host", tmp_path / "values")
    down = f"postgresql://postgres@127.0.0.1:{free_port()}/nothing"
    wrong = pg_server.url(password="not-the-password")
    for url, expected in (
        (down, "Cannot connect to the PostgreSQL instance storage at " + down),
        (wrong, "password authentication failed"),
        ("mysql://x@127.0.0.1/db", "Unknown storage URL"),
    ):
        out = _cli("runs", str(project), "--storage", url, cwd=project)
        assert out.returncode == 1, out.stdout + out.stderr
        assert "Traceback" not in out.stderr
        assert expected in out.stderr
        assert "not-the-password" not in out.stderr
    assert not shutil.which("nothing-here")


def test_a_database_restart_mid_run_keeps_the_run(tmp_path, postgres_url, pg_server) -> None:
    """The server stops (fast shutdown) and starts again while a run logs: the run's
    connections are opened again, every event it logged is kept once, and it succeeds."""
    project = _host(tmp_path, "host", tmp_path / "values")
    env = {"ASSETTUI_STORAGE": postgres_url}
    run = _start("materialize", str(project), "--select", "slow", cwd=project, env=env)
    try:
        deadline = time.monotonic() + 60
        with Storage(tmp_path / "probe", url=postgres_url) as storage:
            while not any("slow tick" in e.message for e in storage.event_log.events_after(0)):
                assert time.monotonic() < deadline, "the run never logged"
                time.sleep(0.05)
        pg_server.stop_server("fast")
        time.sleep(1.0)
        pg_server.start_server()
        output = run.communicate(timeout=120)[0]
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, output
    with Storage(tmp_path / "probe", url=postgres_url) as storage:
        (stored,) = storage.runs.list_runs()
        events = storage.event_log.run_events(stored.run_id)
    assert stored.status is DagsterRunStatus.SUCCESS
    ticks = [e.message for e in events if "slow tick" in e.message]
    assert ticks == [f"slow tick {i}" for i in range(6)]
