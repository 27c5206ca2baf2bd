"""Secrets never reach text: every value read from an environment variable for a run (an
``EnvVar`` in a resource or a ``Config``, at any depth; ``{"env": ...}`` in run config) is
remembered in this process, and what the instance stores as text (event messages and
payloads, errors with their tracebacks, run failure reasons, captured stdout/stderr) has
those values replaced by the mask before it is written."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

MASK = "**********"
MIN_SECRET_LENGTH = 4  # shorter values ("1", "yes") would mask ordinary text everywhere

_lock = threading.Lock()
_secrets: tuple[str, ...] = ()  # longest first, so a secret inside another is masked whole


def register_secret(value: str | None) -> None:
    """Remember ``value`` (read from the environment) as a secret of this process."""
    global _secrets
    if not value or len(value) < MIN_SECRET_LENGTH or value in _secrets:
        return
    with _lock:
        _secrets = tuple(sorted({*_secrets, value}, key=len, reverse=True))


def known_secrets() -> tuple[str, ...]:
    return _secrets


def scrub(text: str) -> str:
    """``text`` with every known secret replaced by the mask."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def scrub_value(value: Any) -> Any:
    """Strings anywhere inside ``value`` (mappings, lists, tuples) scrubbed."""
    if not _secrets:
        return value
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {key: scrub_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(scrub_value(item) for item in value)
    return value


def scrub_bytes(data: bytes) -> bytes:
    """``data`` with every known secret's UTF-8 bytes replaced by the mask."""
    for secret in _secrets:
        encoded = secret.encode()
        if encoded in data:
            data = data.replace(encoded, MASK.encode())
    return data
