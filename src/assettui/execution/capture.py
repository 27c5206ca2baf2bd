"""Capturing a step's stdout and stderr with the time each piece was written.

File descriptors 1 and 2 (so also C extensions and subprocesses) point at pipes for the
step; a thread per pipe copies what arrives to the step's capture file and notes, before
each chunk, its byte offset and the time in a ``.times`` file next to it. Readers give each
line the time of the chunk it starts in, so captured output interleaves with the run's
events in time order (see :mod:`assettui.storage.compute_logs`).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from assettui.execution.leftover_threads import filter_leftover_writes
from assettui.model.secrets import known_secrets, scrub_bytes
from assettui.storage.compute_logs import times_path
from assettui.storage.private import open_private

_CHUNK = 1 << 16
# After the step, output still in a pipe is copied for at most this long: a process the
# step started may keep the pipe open, and the step must not wait for it.
DRAIN_SECONDS = 2.0


class _Copier(threading.Thread):
    """Copies one pipe to a capture file, stamping each chunk."""

    def __init__(self, read_fd: int, path: Path):
        super().__init__(name=f"assettui-capture-{path.name}", daemon=True)
        self.read_fd = read_fd
        self.path = path

    def run(self) -> None:
        pending = b""  # the start of a line, held while secrets are known (see below)
        with open_private(self.path) as out, open_private(times_path(self.path)) as times:

            def write(data: bytes) -> None:
                # The stamp goes first: a reader that sees the bytes also sees their time.
                times.write(f"{out.tell()} {time.time():.6f}\n".encode())
                times.flush()
                out.write(scrub_bytes(data))
                out.flush()

            while True:
                try:
                    chunk = os.read(self.read_fd, _CHUNK)
                except OSError:
                    break
                if not chunk:
                    break
                if not known_secrets():
                    write(pending + chunk)
                    pending = b""
                    continue
                # Whole lines only, so a secret split between two reads is still masked.
                data = pending + chunk
                cut = data.rfind(b"\n") + 1
                if cut == 0 and len(data) < _CHUNK:
                    pending = data
                    continue
                cut = cut or len(data)
                write(data[:cut])
                pending = data[cut:]
            if pending:
                write(pending)
        with contextlib.suppress(OSError):
            os.close(self.read_fd)


@contextlib.contextmanager
def capture_fds(out_path: Path, err_path: Path) -> Iterator[None]:
    """Point file descriptors 1 and 2 at ``out_path`` and ``err_path``, time-stamped."""
    filter_leftover_writes()
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    copiers: list[_Copier] = []
    try:
        for fd, path in ((1, out_path), (2, err_path)):
            read_fd, write_fd = os.pipe()
            copier = _Copier(read_fd, path)
            copier.start()
            copiers.append(copier)
            os.dup2(write_fd, fd)
            os.close(write_fd)
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os.dup2(saved[0], 1)  # closes our ends of the pipes: the copiers see the end
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)
        deadline = time.monotonic() + DRAIN_SECONDS
        for copier in copiers:
            copier.join(max(0.0, deadline - time.monotonic()))


def step_capture_into(storage: Any, run_id: str) -> Callable[[str], Any]:
    """What a run's steps capture into: each step's stdout and stderr files under the
    instance (``storage.step_log_paths``)."""

    def capture(step_key: str) -> Any:
        paths = storage.step_log_paths(run_id, step_key)
        return capture_fds(paths.stdout, paths.stderr)

    return capture
