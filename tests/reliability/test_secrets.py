"""Secrets and trust: EnvVar values stay out of every record, storage stays in its folder,
the instance folder is private, and no command opens a network listener.

The secret is a random value per test session set in ``SECRET_X``. The project's resource
and its run config read it through ``EnvVar``; the asset checks that the real value arrived
(so the run would fail if masking broke resolution), logs the masked resource and config,
and logs a visible probe line (so every scan below demonstrably sees log text). Then the
value is searched for in each place a user or another process can read: command output,
``runs --json`` / ``list --json`` / ``logs``, every event's JSON, the run config stored with
the run, the captured stdout/stderr, every byte of every file under the instance folder,
and the terminal UI (its log lines and an SVG screenshot).
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import assettui as dg
from assettui.cli.main import cli
from assettui.errors import ExecutionError
from assettui.model.asset_key import AssetKey
from assettui.model.records.runs import DagsterRunStatus
from assettui.project import find_project
from assettui.storage.instance_storage import Storage

SECRET = "zq" + secrets.token_hex(12)
PROBE = "visible-probe-" + secrets.token_hex(4)
MASK = "**********"

PROJECT = f'''
import os
import assettui as dg


class Warehouse(dg.ConfigurableResource):
    password: str
    user: str = "svc"

    def setup_for_execution(self, context):
        # an innocent-looking debug line: the resource's repr must hide the password
        print(f"setting up {{self!r}}")


class Counter(dg.ConfigurableResource):
    limit: int


class Creds(dg.Config):
    token: str
    retries: int = 1


@dg.asset(description="Totals from the warehouse")
def report(context, warehouse: Warehouse, config: Creds):
    assert warehouse.password == os.environ["SECRET_X"], "the EnvVar was not resolved"
    assert config.token == os.environ["SECRET_X"], "the config EnvVar was not resolved"
    context.log.info(f"warehouse: {{warehouse!r}}")
    context.log.info(f"config: {{config!r}} / {{config}}")
    context.log.info("{PROBE}")
    print(f"stdout sees {{warehouse}}")
    return len(warehouse.password)


@dg.asset
def counted(counter: Counter):
    return counter.limit


defs = dg.Definitions(
    assets=[report, counted],
    resources={{
        "warehouse": Warehouse(password=dg.EnvVar("SECRET_X")),
        "counter": Counter(limit=dg.EnvVar.int("SECRET_X")),
    }},
)
'''

RUN_CONFIG = "ops:\n  report:\n    config:\n      token: {env: SECRET_X}\n"


@dataclass(frozen=True)
class SecretProject:
    root: Path
    home: Path

    def run(self, command: str, *args: str) -> Result:
        result = CliRunner().invoke(
            cli,
            [command, str(self.root), "--home", str(self.home), *args],
            env={"SECRET_X": SECRET},
        )
        assert SECRET not in result.output, f"`assettui {command}` printed the secret"
        return result


@pytest.fixture
def secret_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SecretProject:
    monkeypatch.setenv("SECRET_X", SECRET)
    root = tmp_path / "proj"
    root.mkdir()
    (root / "definitions.py").write_text(PROJECT)
    (root / "run.yaml").write_text(RUN_CONFIG)
    return SecretProject(root, tmp_path / "home")


def files_holding(folder: Path, needle: str) -> list[Path]:
    """Every file under ``folder`` whose bytes contain ``needle`` (database, WAL, logs...)."""
    raw = needle.encode()
    return [p for p in folder.rglob("*") if p.is_file() and raw in p.read_bytes()]


@pytest.fixture
def materialized(secret_project: SecretProject) -> tuple[SecretProject, str]:
    config = str(secret_project.root / "run.yaml")
    out = secret_project.run("materialize", "--select", "report", "--config", config)
    assert out.exit_code == 0, out.output
    assert PROBE in out.output  # the streamed log is what we scanned
    storage = Storage(secret_project.home)
    try:
        (run,) = storage.runs.list_runs()
    finally:
        storage.close()
    return secret_project, run.run_id


# ---- EnvVar values ------------------------------------------------------------------------


def test_env_var_values_reach_the_run_but_no_record_of_it(
    materialized: tuple[SecretProject, str],
) -> None:
    project, run_id = materialized
    storage = Storage(project.home)
    try:
        run = storage.runs.get_run(run_id)
        assert run is not None and run.status is DagsterRunStatus.SUCCESS
        # the run config stored with the run names the variable, never its value
        assert run.run_config == {"ops": {"report": {"config": {"token": {"env": "SECRET_X"}}}}}
        events = storage.event_log.run_events(run_id)
    finally:
        storage.close()
    dumped = json.dumps([[e.event_type.value, e.message, e.payload] for e in events], default=str)
    assert PROBE in dumped and SECRET not in dumped
    # the reprs the asset logged are masked, and their other fields are still shown
    assert f"password='{MASK}'" in dumped and "user='svc'" in dumped
    assert f"token='{MASK}'" in dumped and "retries=1" in dumped
    captured = list((project.home / "logs" / run_id).iterdir())
    assert any("stdout sees" in p.read_text() for p in captured)  # the capture was scanned
    assert all(SECRET not in p.read_text() for p in captured)
    assert files_holding(project.home, PROBE)  # the byte scan sees what was logged...
    assert files_holding(project.home, SECRET) == []  # ...and finds the secret nowhere


def test_env_var_values_stay_out_of_every_command_output(
    materialized: tuple[SecretProject, str],
) -> None:
    project, run_id = materialized
    logs = project.run("logs", run_id)
    assert logs.exit_code == 0 and PROBE in logs.output
    for command, args in [("runs", ["--json"]), ("list", ["--json"]), ("validate", [])]:
        out = project.run(command, *args)  # .run asserts the secret is not in the output
        assert out.exit_code == 0, out.output
    listing = json.loads(project.run("runs", "--json").output)
    assert listing[0]["run_id"] == run_id and listing[0]["status"] == "SUCCESS"


class Retries(dg.Config):
    retries: int


def test_a_failing_env_var_never_echoes_its_value(secret_project: SecretProject) -> None:
    """SECRET_X is not an int: the error names the variable and the field, not the value."""
    out = secret_project.run("materialize", "--select", "counted")
    assert out.exit_code == 1
    assert "Environment variable 'SECRET_X' read by resource 'counter'" in out.output
    assert "must be an integer" in out.output

    @dg.asset
    def polled(config: Retries):
        return config.retries

    with pytest.raises(dg.DagsterInvalidConfigError) as info:
        dg.materialize(
            [polled], run_config={"ops": {"polled": {"config": {"retries": {"env": "SECRET_X"}}}}}
        )
    assert "retries: Input should be a valid integer" in str(info.value)
    assert SECRET not in str(info.value)
    assert files_holding(secret_project.home, SECRET) == []


def test_in_process_materialize_masks_too(secret_project: SecretProject) -> None:
    from assettui.project import load_project

    loaded = load_project(find_project(secret_project.root))
    defs = loaded.defs  # type: ignore[union-attr]
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [defs.get_assets_def("report")],
        resources={"warehouse": defs.resources["warehouse"]},
        run_config={"ops": {"report": {"config": {"token": dg.EnvVar("SECRET_X")}}}},
        instance=instance,
    )
    assert result.success and result.output_for_node("report") == len(SECRET)
    text = json.dumps(
        [[e.event_type_value, e.message, getattr(e, "payload", None)] for e in result.all_events],
        default=str,
    )
    assert PROBE in text and SECRET not in text
    stored = instance.storage.runs.get_run(result.run_id)
    assert SECRET not in json.dumps(stored.run_config, default=str)


async def test_the_ui_never_shows_an_env_var_value(
    materialized: tuple[SecretProject, str],
) -> None:
    from assettui.tui.app import AssetTuiApp
    from assettui.tui.widgets.asset_details import AssetDetails
    from assettui.tui.widgets.asset_graph import AssetGraph
    from assettui.tui.widgets.log_view import LogView

    project, run_id = materialized
    app = AssetTuiApp(find_project(project.root), project.home, run_scheduler=False)
    async with app.run_test(size=(200, 60)) as pilot:
        await _until(pilot, lambda: app.load_count >= 1)
        app.query_one(AssetGraph).select(AssetKey("report"))
        details = app.query_one(AssetDetails)
        await _until(pilot, lambda: details.data is not None and len(details.data.history) == 1)
        await pilot.press("L")  # the log view of the latest run
        view = app.query_one(LogView)
        lines = view.log_lines  # type: ignore[attr-defined]
        await _until(pilot, lambda: any(PROBE in line.text for line in lines.lines))
        assert view.run_id == run_id  # type: ignore[attr-defined]
        all_text = "\n".join(line.text for line in lines.lines)
        assert f"password='{MASK}'" in all_text and SECRET not in all_text
        await pilot.pause()
        svg = app.export_screenshot()
        shown = _svg_text(svg)
        assert "report" in shown and PROBE in shown  # the screenshot holds the log lines
        assert SECRET not in shown and SECRET not in svg


async def _until(pilot, condition, deadline: float = 30.0) -> None:
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, "the UI never got there"
        await pilot.pause(0.05)


def _svg_text(svg: str) -> str:
    """The characters an SVG screenshot draws, in order (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


# ---- the filesystem IO manager stays in its folder -----------------------------------------


@pytest.mark.parametrize(
    "partition", ["../../escaped", "/etc/passwd-copy", "a/../../../escaped", ".."]
)
def test_fs_io_manager_refuses_partition_keys_that_leave_its_folder(
    tmp_path: Path, partition: str
) -> None:
    parts = dg.StaticPartitionsDefinition(["fine", partition])

    @dg.asset(partitions_def=parts)
    def table():
        return 1

    base = tmp_path / "home" / "storage"
    io = dg.FilesystemIOManager(base_dir=str(base))
    with pytest.raises(ExecutionError) as info:
        dg.materialize([table], partition_key=partition, resources={"io_manager": io})
    assert "would write outside the storage folder" in str(info.value)
    assert repr(partition) in str(info.value) and "'table'" in str(info.value)
    assert not (tmp_path / "escaped").exists() and not (tmp_path.parent / "escaped").exists()
    assert dg.materialize([table], partition_key="fine", resources={"io_manager": io}).success
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written and all(base in p.parents for p in written)


@pytest.mark.parametrize("key", [["..", "escaped"], ["raw", ".."], [".", "x"]])
def test_fs_io_manager_refuses_asset_keys_that_leave_its_folder(
    tmp_path: Path, key: list[str]
) -> None:
    @dg.asset(key=key)
    def table():
        return 1

    io = dg.FilesystemIOManager(base_dir=str(tmp_path / "home" / "storage"))
    with pytest.raises(ExecutionError, match="would write outside the storage folder"):
        dg.materialize([table], resources={"io_manager": io})
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize("key", [["a/b"], ["/etc", "passwd"], ["raw", ""]])
def test_asset_keys_with_separators_are_refused_at_definition(key: list[str]) -> None:
    """A part holding '/' would share a path with another key; refused as Dagster does."""
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="hold no '/'"):

        @dg.asset(key=key)
        def table():
            return 1


# ---- the instance folder is private --------------------------------------------------------


def test_instance_folder_is_created_user_only(tmp_path: Path) -> None:
    """Even with a permissive umask (0), the folder holding runs and logs is 0700."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "definitions.py").write_text(
        "import assettui as dg\n@dg.asset\ndef a():\n    return 1\n"
        "defs = dg.Definitions(assets=[a])\n"
    )
    nested = tmp_path / "deep" / "er" / "home"

    def umask_zero() -> None:
        os.umask(0)

    env = {k: v for k, v in os.environ.items() if k != "ASSETTUI_HOME"}
    for args in (["materialize", str(root)], ["runs", str(root), "--home", str(nested)]):
        done = subprocess.run(
            [sys.executable, "-m", "assettui.cli.main_entry", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=umask_zero,
        )
        assert done.returncode == 0, done.stderr
    for home in (root / ".assettui", nested):
        assert stat.S_IMODE(home.stat().st_mode) == 0o700, oct(home.stat().st_mode)
    for run_logs in (root / ".assettui" / "logs").iterdir():
        assert stat.S_IMODE(run_logs.stat().st_mode) == 0o700


# ---- no network listener -------------------------------------------------------------------

# Installed in every Python process the commands start (run workers too), through
# PYTHONPATH: an audit hook that records each Internet socket created or bound. Audit
# events fire inside the process, so even a listener that lives for a millisecond is seen.
SITECUSTOMIZE = """
import os, socket, sys
_log = os.environ.get("NET_AUDIT_LOG")
if _log:
    _INET = (socket.AF_INET, socket.AF_INET6)
    # which processes ran under the hook (read at exit: sys.argv is not set up yet here)
    import atexit
    def _seen():
        with open(_log + ".procs", "a") as f:
            f.write(" ".join(sys.argv) + "\\n")
    atexit.register(_seen)
    def _hook(event, args):
        if event == "socket.__new__" and args[1] in _INET:
            line = f"{os.getpid()} new {args[1]!r}"
        elif event == "socket.bind" and isinstance(args[1], tuple):
            line = f"{os.getpid()} bind {args[1]!r}"
        else:
            return
        with open(_log, "a") as f:
            f.write(line + "\\n")
    sys.addaudithook(_hook)
"""

TCP_LISTEN, UDP_BOUND = "0A", "07"


def listening_inodes() -> set[str]:
    """Socket inodes in LISTEN (TCP) or bound (UDP) state, from /proc/net."""
    found = set()
    for name, state in (
        ("tcp", TCP_LISTEN),
        ("tcp6", TCP_LISTEN),
        ("udp", UDP_BOUND),
        ("udp6", UDP_BOUND),
    ):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for row in path.read_text().splitlines()[1:]:
            cols = row.split()
            if cols[3] == state:
                found.add(cols[9])
    return found


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (from /proc/<pid>/task/*/children)."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += [int(c) for c in task.read_text().split()]
            except OSError:
                continue
    return out


def listeners_of(pid: int) -> set[str]:
    """Listening socket inodes held open by ``pid`` or any of its descendants."""
    inodes = set()
    for proc in process_tree(pid):
        try:
            fds = list(Path(f"/proc/{proc}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    return inodes & listening_inodes()


@pytest.fixture
def audited(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = tmp_path / "net-audit.log"
    env = {k: v for k, v in os.environ.items() if k != "ASSETTUI_HOME"}
    env["PYTHONPATH"] = os.pathsep.join([str(hook_dir), env.get("PYTHONPATH", "")]).rstrip(":")
    env["NET_AUDIT_LOG"] = str(log)
    yield env, log


def test_the_listener_detectors_do_detect_a_listener(audited) -> None:
    """Both detectors, shown working on a process that does listen on 127.0.0.1."""
    env, log = audited
    listener = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import socket, sys\ns = socket.socket()\ns.bind(('127.0.0.1', 0))\ns.listen()\n"
            "print('ready', flush=True)\nsys.stdin.read()",
        ],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert listener.stdout is not None and listener.stdout.readline().strip() == "ready"
        assert listeners_of(listener.pid), "/proc scan missed a listening socket"
    finally:
        listener.kill()
        listener.wait()
    assert "bind ('127.0.0.1', 0)" in log.read_text()
    quiet = socket.socketpair()  # a local (AF_UNIX) pair is not a network socket
    quiet[0].close(), quiet[1].close()


NET_PROJECT = """
import assettui as dg

@dg.asset
def orders():
    return [1, 2, 3]

@dg.asset
def revenue(orders):
    return sum(orders)

@dg.sensor(
    target=[orders], minimum_interval_seconds=1, default_status=dg.DefaultSensorStatus.RUNNING
)
def once(context):
    return dg.RunRequest(run_key="only-once")

defs = dg.Definitions(assets=[orders, revenue], sensors=[once])
"""

UI_SCRIPT = """
import asyncio, sys, time
from pathlib import Path
from assettui.project import find_project
from assettui.tui.app import AssetTuiApp

async def main():
    root, home = Path(sys.argv[1]), Path(sys.argv[2])
    app = AssetTuiApp(find_project(root), home, run_scheduler=True)
    async with app.run_test(size=(120, 40)) as pilot:
        end = time.monotonic() + 60
        while app.load_count < 1 and time.monotonic() < end:
            await pilot.pause(0.05)
        await pilot.press("m")
        while time.monotonic() < end:
            runs = app.storage.runs.list_runs()
            if runs and all(r.is_finished for r in runs):
                break
            await pilot.pause(0.1)
        print("runs:", len(app.storage.runs.list_runs()), flush=True)

asyncio.run(main())
"""


@pytest.mark.slow
def test_no_command_opens_a_network_listener(tmp_path: Path, audited) -> None:
    env, log = audited
    root = tmp_path / "proj"
    root.mkdir()
    (root / "definitions.py").write_text(textwrap.dedent(NET_PROJECT))
    home = tmp_path / "home"
    base = [sys.executable, "-m", "assettui.cli.main_entry"]

    def run(*args: str) -> str:
        done = subprocess.run([*base, *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("validate", str(root))
    run("list", str(root), "--json")
    run("materialize", str(root), "--home", str(home))
    run("runs", str(root), "--home", str(home), "--json")
    run("logs", str(root), "--home", str(home), "latest")
    run("daemon", str(root), "--home", str(home), "--once", "--wait")

    # the long-running daemon: watched from outside through /proc while it works
    daemon = subprocess.Popen(
        [*base, "daemon", str(root), "--home", str(tmp_path / "home2")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: set[str] = set()
    try:
        storage = Storage(tmp_path / "home2")
        end = time.monotonic() + 60
        while time.monotonic() < end:
            seen |= listeners_of(daemon.pid)
            runs = storage.runs.list_runs()
            if runs and all(r.is_finished for r in runs):
                break
            time.sleep(0.05)
        storage.close()
        assert runs, "the daemon's sensor never launched its run"
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.communicate(timeout=30)
    assert seen == set()

    # the terminal UI with its scheduler, driven by Textual's pilot in its own process
    ui = subprocess.run(
        [sys.executable, "-c", UI_SCRIPT, str(root), str(tmp_path / "home3")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ui.returncode == 0, ui.stderr
    assert "runs: 2" in ui.stdout or "runs: 1" in ui.stdout

    audit = log.read_text() if log.exists() else ""
    assert audit == "", f"Internet sockets were created or bound:\n{audit}"
    # the hook really ran in every kind of process: commands, run workers, the UI
    procs = Path(f"{log}.procs").read_text()
    commands = ("validate", "list", "materialize", "runs", "logs", "daemon")
    for marker in (*(f"main_entry.py {c} " for c in commands), "worker.py --home", "-c "):
        assert marker in procs, f"no audited process with {marker!r}:\n{procs}"
    assert procs.count("worker.py") >= 4  # of materialize, daemon --once, daemon and the UI


LEAKY = """
import sys
import assettui as dg


class Db(dg.ConfigurableResource):
    url: str


class Inner(dg.Config):
    key: str


class Outer(dg.Config):
    inner: Inner


@dg.asset
def leaky(context, db: Db, config: Outer):
    print(f"connecting to {db.url}")
    print(f"inner key {config.inner.key}", file=sys.stderr)
    context.log.info(f"url is {db.url} and key {config.inner.key}")
    raise RuntimeError(f"could not connect to {db.url}")


defs = dg.Definitions(assets=[leaky], resources={"db": Db(url=dg.EnvVar("DB_URL"))})
"""


def test_resolved_values_are_scrubbed_from_every_text_even_when_code_prints_them(
    tmp_path: Path,
) -> None:
    """The step prints, logs and raises with the values themselves (not reprs): what is
    stored and shown has the mask instead, in messages, tracebacks, captured output, the
    run's failure reason and every file of the instance (issue 18 point 5)."""
    url = "postgresql://svc:" + secrets.token_hex(8) + "@db.internal/shop"
    key = "nested" + secrets.token_hex(8)
    root = tmp_path / "leaky"
    root.mkdir()
    (root / "definitions.py").write_text(LEAKY)
    (root / "run.yaml").write_text(
        "ops:\n  leaky:\n    config:\n      inner:\n        key: {env: KEY_X}\n"
    )
    env = {**os.environ, "DB_URL": url, "KEY_X": key}
    env.pop("ASSETTUI_HOME", None)

    def cli_run(*args: str) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "assettui.cli.main_entry", *args],
            capture_output=True, text=True, env=env, cwd=root, timeout=120,
        )  # fmt: skip
        return out.stdout + out.stderr

    shown = cli_run("materialize", "--config", str(root / "run.yaml"))
    shown += cli_run("logs", "latest") + cli_run("runs", "--json")
    for value in (url, key):
        assert value not in shown
        assert files_holding(root / ".assettui", value) == []
    assert "connecting to " + MASK in shown and "inner key " + MASK in shown
    assert "could not connect to " + MASK in shown  # the error and its traceback
