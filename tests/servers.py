"""Real servers for the tests: a Dask cluster (``dask scheduler`` + ``dask worker``
processes) and a PostgreSQL server (the machine's ``initdb`` + ``pg_ctl``), each on a free
loopback port, stopped at the end."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

STARTUP_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on port {port}:\n{log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


class DaskCluster:
    """A scheduler and its workers, each a real process of this Python."""

    def __init__(self, folder: Path, env: Mapping[str, str]):
        self.folder = folder
        self.env = dict(env)
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.scheduler: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []

    def _start(self, name: str, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.folder / f"{name}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", *args],
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            env=self.env,
            cwd=self.folder,
            start_new_session=True,
        )
        return process, log

    def start_scheduler(self) -> None:
        self.scheduler, log = self._start(
            "scheduler",
            "distributed.cli.dask_scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dashboard-address",
            ":0",
            "--no-dashboard",
        )
        _wait_for_port(self.port, self.scheduler, "dask scheduler", log)

    def start_worker(self) -> None:
        index = len(self.workers)
        worker, _ = self._start(
            f"worker-{index}",
            "distributed.cli.dask_worker",
            self.address,
            "--host",
            "127.0.0.1",
            "--nthreads",
            "1",
            "--nworkers",
            "1",
            "--no-dashboard",
            "--name",
            f"w{index}",
        )
        self.workers.append(worker)

    def wait_for_workers(self, count: int) -> None:
        from distributed import Client

        with Client(self.address, timeout=STARTUP_SECONDS) as client:
            client.wait_for_workers(count, timeout=STARTUP_SECONDS)

    def stop(self) -> None:
        for worker in self.workers:
            _stop(worker)
        if self.scheduler is not None:
            _stop(self.scheduler)


@contextlib.contextmanager
def dask_cluster(workers: int = 2, env: Mapping[str, str] | None = None) -> Iterator[DaskCluster]:
    """A running Dask cluster on loopback with ``workers`` one-thread worker processes."""
    folder = Path(tempfile.mkdtemp(prefix="assettui-dask-"))
    cluster = DaskCluster(folder, {**os.environ, **(env or {})})
    try:
        cluster.start_scheduler()
        for _ in range(workers):
            cluster.start_worker()
        cluster.wait_for_workers(workers)
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


def postgres_bindir() -> Path | None:
    """The folder of the machine's PostgreSQL server programs (``initdb``, ``pg_ctl``)."""
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True)
        folder = Path(out.stdout.strip())
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb and shutil.which("pg_ctl") else None


class PostgresServer:
    """A PostgreSQL server in its own temporary folder, on a free loopback port. Connections
    over TCP need the superuser's password (``postgres`` / :attr:`password`)."""

    password = "assettui-test-pw"

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="assettui-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0  # the server refuses to run as root

    def url(self, database: str = "postgres", password: str | None = None) -> str:
        secret = self.password if password is None else password
        return f"postgresql://postgres:{secret}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    def _check(self, out: subprocess.CompletedProcess[str], what: str) -> None:
        if out.returncode != 0:
            raise RuntimeError(f"{what} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")

    def start(self) -> None:
        if self._as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        pwfile = self.folder / "pw"
        pwfile.write_text(self.password + "\n")
        if self._as_postgres:
            shutil.chown(pwfile, "postgres", "postgres")
        self._check(
            self._run(
                str(self.bindir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                f"--pwfile={pwfile}",
                "--encoding=UTF8",
                "--no-sync",
            ),
            "initdb",
        )
        self.start_server()

    def start_server(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} "
            "-c fsync=off -c max_connections=200"
        )
        self._check(
            self._run(
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                options,
                "-l",
                str(self.folder / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            ),
            "pg_ctl start",
        )

    def stop_server(self, mode: str = "fast") -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def create_database(self, name: str) -> str:
        """A new empty database; returns its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        self.stop_server("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """A running PostgreSQL server (the machine's binaries), stopped and removed at the end.

    Raises:
        LookupError: the binaries are not installed.
    """
    bindir = postgres_bindir()
    if bindir is None:
        raise LookupError("PostgreSQL's initdb and pg_ctl are not on this machine")
    server = PostgresServer(bindir)
    try:
        server.start()
        yield server
    finally:
        server.stop()
