"""Stand-in for ``dagster._core.test_utils``."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from assettui.storage.instance import DagsterInstance


@contextmanager
def instance_for_test() -> Iterator[DagsterInstance]:
    """A DagsterInstance in a temporary folder, removed when the block ends."""
    with tempfile.TemporaryDirectory(prefix="assettui-test-instance-") as home:
        instance = DagsterInstance.from_home(home)
        try:
            yield instance
        finally:
            instance.dispose()


__all__ = ["instance_for_test"]
