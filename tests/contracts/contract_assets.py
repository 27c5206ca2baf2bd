"""The assets of the executor contract suite, also loaded as a project by the Dask
executor's workers (``defs``)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import assettui as dg


def flaky_marker(run_id: str) -> Path:
    """Where ``flaky`` notes (with its process id) that its first try failed."""
    return Path(tempfile.gettempdir()) / f"assettui-contract-flaky-{run_id}"


@dg.asset
def source() -> int:
    return 2


@dg.asset
def doubled(source: int) -> int:
    return source * 2


@dg.asset
def squared(source: int) -> int:
    return source**2


@dg.asset
def total(doubled: int, squared: int) -> int:
    return doubled + squared


@dg.asset
def broken(source: int) -> int:
    raise ValueError("broken on purpose")


@dg.asset
def after_broken(broken: int) -> int:
    return broken


@dg.asset(check_specs=[dg.AssetCheckSpec("positive", asset="checked", blocking=True)])
def checked():
    yield dg.Output(-1)
    yield dg.AssetCheckResult(passed=False, check_name="positive")


@dg.asset
def after_checked(checked: int) -> int:
    return checked


@dg.asset(retry_policy=dg.RetryPolicy(max_retries=2))
def flaky(context: dg.AssetExecutionContext) -> str:
    marker = flaky_marker(context.run_id)
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        raise RuntimeError("first try fails")
    return "ok"


defs = dg.Definitions(
    assets=[source, doubled, squared, total, broken, after_broken, checked, after_checked, flaky]
)
