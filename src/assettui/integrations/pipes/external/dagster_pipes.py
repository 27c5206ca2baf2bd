"""The external side of Pipes (``import dagster_pipes`` in a script run by
``PipesSubprocessClient``): the script reads its run's context and reports logs,
materializations and check results back. Standalone: only the standard library.

assettui puts this file's folder on the script's ``PYTHONPATH``; with the real
``dagster-pipes`` package installed in the script's environment, that one is used instead
(both speak the same environment variables and message lines).
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CONTEXT_ENV = "DAGSTER_PIPES_CONTEXT"
MESSAGES_ENV = "DAGSTER_PIPES_MESSAGES"
PROTOCOL_VERSION = "0.1"


def _decode(value: str) -> dict[str, Any]:
    return json.loads(zlib.decompress(base64.b64decode(value)).decode())


class _Log:
    def __init__(self, write: Any):
        self._write = write

    def _log(self, level: str, message: str) -> None:
        self._write("log", {"message": str(message), "level": level})

    def debug(self, message: str) -> None:
        self._log("DEBUG", message)

    def info(self, message: str) -> None:
        self._log("INFO", message)

    def warning(self, message: str) -> None:
        self._log("WARNING", message)

    def error(self, message: str) -> None:
        self._log("ERROR", message)

    def critical(self, message: str) -> None:
        self._log("CRITICAL", message)


class PipesContext:
    """What the script knows of its run and how it reports back."""

    _instance: PipesContext | None = None

    def __init__(self, data: dict[str, Any], messages_path: str | None):
        self._data = data
        self._path = messages_path
        self._file = open(messages_path, "a", encoding="utf-8") if messages_path else None  # noqa: SIM115
        self.log = _Log(self._write)
        self._write("opened", {})

    @classmethod
    def get(cls) -> PipesContext:
        if cls._instance is None:
            raise RuntimeError("No Pipes context: call open_dagster_pipes() first.")
        return cls._instance

    @classmethod
    def is_initialized(cls) -> bool:
        return cls._instance is not None

    def _write(self, method: str, params: dict[str, Any]) -> None:
        line = json.dumps(
            {
                "__dagster_pipes_version": PROTOCOL_VERSION,
                "method": method,
                "params": params,
                "ts": time.time(),
            }
        )
        if self._file is not None:
            self._file.write(line + "\n")
            self._file.flush()
        else:
            sys.stderr.write(line + "\n")

    # ---- the run --------------------------------------------------------------------------

    @property
    def run_id(self) -> str:
        return self._data.get("run_id", "")

    @property
    def job_name(self) -> str | None:
        return self._data.get("job_name")

    @property
    def asset_keys(self) -> list[str]:
        return list(self._data.get("asset_keys") or [])

    @property
    def asset_key(self) -> str:
        keys = self.asset_keys
        if len(keys) != 1:
            raise RuntimeError(f"This step has {len(keys)} assets; pass asset_key=... instead.")
        return keys[0]

    @property
    def is_asset_step(self) -> bool:
        return bool(self.asset_keys)

    @property
    def has_partition_key(self) -> bool:
        return self._data.get("partition_key") is not None

    @property
    def partition_key(self) -> str:
        key = self._data.get("partition_key")
        if key is None:
            raise RuntimeError("This run has no partition key.")
        return key

    @property
    def extras(self) -> dict[str, Any]:
        return dict(self._data.get("extras") or {})

    def get_extra(self, key: str) -> Any:
        extras = self.extras
        if key not in extras:
            raise KeyError(f"No extra {key!r}; extras: {sorted(extras)}")
        return extras[key]

    @property
    def retry_number(self) -> int:
        return int(self._data.get("retry_number") or 0)

    # ---- reporting ------------------------------------------------------------------------

    def report_asset_materialization(
        self,
        metadata: dict[str, Any] | None = None,
        data_version: str | None = None,
        asset_key: str | None = None,
    ) -> None:
        self._write(
            "report_asset_materialization",
            {"asset_key": asset_key, "metadata": metadata or {}, "data_version": data_version},
        )

    def report_asset_check(
        self,
        check_name: str,
        passed: bool,
        severity: str = "ERROR",
        metadata: dict[str, Any] | None = None,
        asset_key: str | None = None,
    ) -> None:
        self._write(
            "report_asset_check",
            {
                "asset_key": asset_key,
                "check_name": check_name,
                "passed": bool(passed),
                "severity": severity,
                "metadata": metadata or {},
            },
        )

    def report_custom_message(self, payload: Any) -> None:
        self._write("report_custom_message", {"payload": payload})

    def close(self) -> None:
        self._write("closed", {})
        if self._file is not None:
            self._file.close()
            self._file = None


@contextmanager
def open_dagster_pipes(**_unused: Any) -> Iterator[PipesContext]:
    """The run's Pipes context for the ``with`` block (messages closed at its end)."""
    raw_context = os.environ.get(CONTEXT_ENV)
    raw_messages = os.environ.get(MESSAGES_ENV)
    data = _decode(raw_context).get("data", {}) if raw_context else {}
    messages = _decode(raw_messages).get("path") if raw_messages else None
    context = PipesContext(data, messages)
    PipesContext._instance = context
    try:
        yield context
    except BaseException as exc:
        context._write("closed", {"exception": {"message": str(exc), "name": type(exc).__name__}})
        if context._file is not None:
            context._file.close()
            context._file = None
        raise
    else:
        context.close()
    finally:
        PipesContext._instance = None


__all__ = ["PipesContext", "open_dagster_pipes"]
