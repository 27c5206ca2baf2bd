"""``context.log``: a logger whose records go to the run's event log."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

_py_logger = logging.getLogger("assettui.user")


class RunLogger:
    """Dagster's ``context.log``: ``debug``/``info``/``warning``/``error``/``critical``.

    Each record becomes a ``LOG`` event of the run (shown and filtered in ``assettui logs``
    and the UI) and is passed on to Python's ``logging`` under ``assettui.user``.
    """

    def __init__(self, emit: Callable[[str, str], None] | None = None):
        self._emit = emit

    def log(self, level: int | str, msg: Any, *args: Any, **kwargs: Any) -> None:
        name = logging.getLevelName(level) if isinstance(level, int) else str(level).upper()
        text = str(msg) % args if args else str(msg)
        if kwargs.get("exc_info"):
            text = f"{text}\n{traceback.format_exc()}".rstrip()
        if self._emit is not None:
            self._emit(name, text)
        number = logging.getLevelName(name)  # the level's number, for a known level name
        _py_logger.log(
            number if isinstance(number, int) else logging.INFO,
            text,
        )

    def debug(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self.log("DEBUG", msg, *args, **kwargs)

    def info(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self.log("INFO", msg, *args, **kwargs)

    def warning(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self.log("WARNING", msg, *args, **kwargs)

    warn = warning

    def error(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self.log("ERROR", msg, *args, **kwargs)

    def critical(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self.log("CRITICAL", msg, *args, **kwargs)

    def exception(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self.log("ERROR", msg, *args, exc_info=True)
