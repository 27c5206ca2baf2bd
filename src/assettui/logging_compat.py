"""``get_dagster_logger``: a plain Python logger whose records land in the current run's log.

Dagster code logs with ``get_dagster_logger().info(...)`` (in assets, but also in helper
modules that never see a context). The logger is ``logging.getLogger("dagster.builtin")``
(or ``"dagster.builtin.<name>"``), as in Dagster. While a step runs inside
:func:`capture_dagster_logs`, a handler on the ``dagster`` logger passes each record to that
step's ``context.log`` emitter, so it becomes a ``LOG`` event of the run; outside a step the
records go wherever Python logging sends them.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

BASE_LOGGER_NAME = "dagster"
BUILTIN_LOGGER_NAME = "dagster.builtin"

# (level name, message) -> None: where the running step's log records go
Emit = Callable[[str, str], None]

_current_emit: contextvars.ContextVar[Emit | None] = contextvars.ContextVar(
    "assettui_dagster_log_emit", default=None
)


class _RunLogHandler(logging.Handler):
    """Forwards ``dagster.*`` records to the emitter of the step running in this context."""

    def emit(self, record: logging.LogRecord) -> None:
        emit = _current_emit.get()
        if emit is None:
            return
        try:
            message = self.format(record)
            emit(record.levelname, message)
        except Exception:  # a logging failure must never fail the user's step
            self.handleError(record)


_HANDLER = _RunLogHandler()
_HANDLER.setFormatter(logging.Formatter("%(message)s"))


_installed: list[logging.Logger] = []  # the base logger, once the handler is on it


def _install_handler() -> logging.Logger:
    """Put the handler on the ``dagster`` logger, once per process (steps call this each time)."""
    if _installed:
        return _installed[0]
    base = logging.getLogger(BASE_LOGGER_NAME)
    if _HANDLER not in base.handlers:
        base.addHandler(_HANDLER)
    # Dagster keeps the base logger at DEBUG so that every record reaches the run's log.
    base.setLevel(logging.DEBUG)
    _installed.append(base)
    return base


def get_dagster_logger(name: str | None = None) -> logging.Logger:
    """A Python logger whose records are captured into the current run's event log.

    Args:
        name: a name for the logger; it is ``"dagster.builtin.<name>"`` (default
            ``"dagster.builtin"``).

    Returns:
        A :class:`logging.Logger`.
    """
    base = _install_handler()
    builtin = base.getChild("builtin")
    return builtin.getChild(name) if name else builtin


@contextmanager
def capture_dagster_logs(emit: Emit | None) -> Iterator[None]:
    """Send ``dagster.*`` log records to ``emit`` while the block runs (one step's compute).

    Args:
        emit: called with ``(level_name, message)``; ``None`` turns capturing off inside.
    """
    _install_handler()
    token = _current_emit.set(emit)
    try:
        yield
    finally:
        _current_emit.reset(token)
