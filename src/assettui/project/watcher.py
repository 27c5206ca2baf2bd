"""Watching a project's files (watchfiles, in a thread) and reporting saves."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import watchfiles

WATCHED_SUFFIXES = (".py", ".yaml", ".yml", ".toml", ".sql")
IGNORED_PARTS = frozenset(
    {"__pycache__", ".git", ".venv", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
)
DEBOUNCE_MS = 150  # well under the one second a save may take to show


class ProjectWatcher:
    """Calls ``on_change(paths)`` from its own thread after project files change.

    Args:
        directories: the folders to watch (recursively).
        on_change: called with the changed paths (strings), from the watcher thread.
        ignore: folders whose changes are ignored (the instance home, which sits inside the
            project and changes with every run).
    """

    def __init__(
        self,
        directories: Iterable[Path],
        on_change: Callable[[set[str]], None],
        ignore: Iterable[Path] = (),
    ) -> None:
        self.directories = [d for d in directories if d.is_dir()]
        self.on_change = on_change
        self.ignore = tuple(str(p.resolve()) for p in ignore)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wanted(self, path: str) -> bool:
        """Whether a change to ``path`` should reload the project."""
        if not path.endswith(WATCHED_SUFFIXES) or any(path.startswith(i) for i in self.ignore):
            return False
        return not IGNORED_PARTS.intersection(Path(path).parts)

    def start(self) -> None:
        if self._thread is None and self.directories:
            self._thread = threading.Thread(target=self._run, name="assettui-watcher", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        for changes in watchfiles.watch(
            *self.directories,
            watch_filter=lambda _change, path: self.wanted(path),
            stop_event=self._stop,
            debounce=DEBOUNCE_MS,
            step=50,
            rust_timeout=500,
            yield_on_timeout=False,
            raise_interrupt=False,
        ):
            if self._stop.is_set():
                return
            self.on_change({path for _change, path in changes})
