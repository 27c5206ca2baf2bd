"""A user's exception as data: message, class, the user's stack — for events and the UI."""

from __future__ import annotations

import os
import traceback
from typing import Any

from assettui.errors import AssettuiError
from assettui.model.records.events import error_payload

# Every frame inside the assettui package is the engine's: a ConfigError raised while
# validating a user's config must point at no file rather than at model/config.py.
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _is_engine_frame(frame: traceback.FrameSummary) -> bool:
    return frame.filename.startswith(_PACKAGE_DIR) or "/contextlib.py" in frame.filename


def error_info(exc: BaseException, depth: int = 0) -> dict[str, Any]:
    """``{"message", "class_name", "stack", "cause"}`` with assettui's own frames removed."""
    frames = traceback.extract_tb(exc.__traceback__)
    user = [f for f in frames if not _is_engine_frame(f)]

    # assettui's own errors (a missing stored value, a bad config) need no engine stack
    shown = user if (user or isinstance(exc, AssettuiError)) else frames
    stack = traceback.format_list(shown)
    cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return error_payload(
        "".join(traceback.format_exception_only(type(exc), exc)).strip(),
        type(exc).__name__,
        stack,
        error_info(cause, depth + 1) if cause is not None and depth < 3 else None,
    )


def user_location(exc: BaseException) -> str | None:
    """``file:line`` of the innermost user frame of ``exc``."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not _is_engine_frame(f)]
    if not frames:
        return None
    last = frames[-1]
    return f"{last.filename}:{last.lineno}"


def format_error(info: dict[str, Any] | None) -> str:
    """The error as a traceback-like text block."""
    if not info:
        return ""
    parts = []
    if info.get("stack"):
        parts.append("Traceback (most recent call last):\n" + "".join(info["stack"]))
    parts.append(info.get("message", ""))
    cause = info.get("cause")
    if cause:
        parts.append("\nThe above was caused by:\n" + format_error(cause))
    return "\n".join(p for p in parts if p).rstrip()
