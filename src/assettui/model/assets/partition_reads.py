"""Whether an asset's function reads ``context.partition_key``, which a run over a range of
partitions does not have (Dagster raises inside the step): read from the function's code,
nested functions and comprehensions included, so such a run is refused before it starts."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import CodeType
from typing import Any

SINGLE_PARTITION_ATTRIBUTES = frozenset({"partition_key", "asset_partition_key_for_output"})


def reads_single_partition_key(fn: Callable[..., Any] | None) -> bool:
    """True if ``fn`` (unwrapped) names ``partition_key`` anywhere in its code."""
    if fn is None:
        return False
    code = getattr(inspect.unwrap(fn), "__code__", None)
    return isinstance(code, CodeType) and _names_any(code, SINGLE_PARTITION_ATTRIBUTES)


def _names_any(code: CodeType, names: frozenset[str]) -> bool:
    if names.intersection(code.co_names):
        return True
    return any(isinstance(c, CodeType) and _names_any(c, names) for c in code.co_consts)
