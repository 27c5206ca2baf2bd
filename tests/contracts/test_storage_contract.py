"""Storage contract suite: every instance-storage backend must pass these tests.

Backends are the params of the ``storage`` fixture; today only "sqlite".
Covered so far: settings and dynamic partitions. Runs, event log, asset
status, automation ticks/cursors and backfills are not yet in the suite.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assettui.storage import Storage

BACKENDS = ["sqlite"]


@pytest.fixture(params=BACKENDS)
def storage(request: pytest.FixtureRequest, tmp_path) -> Iterator[Storage]:
    with Storage(tmp_path) as opened:
        yield opened


def test_settings_set_get_delete_all(storage: Storage) -> None:
    assert storage.settings.get("theme", "dark") == "dark"
    storage.settings.set("theme", "light")
    storage.settings.set("limits", {"max_concurrent_runs": 4})
    assert storage.settings.get("theme") == "light"
    assert storage.settings.all() == {"limits": {"max_concurrent_runs": 4}, "theme": "light"}
    storage.settings.delete("theme")
    assert storage.settings.get("theme") is None


def test_dynamic_partitions_add_has_get_delete(storage: Storage) -> None:
    storage.dynamic_partitions.add("customers", ["a", "b"])
    storage.dynamic_partitions.add("customers", ["b", "c"])
    assert sorted(storage.dynamic_partitions.get("customers")) == ["a", "b", "c"]
    assert storage.dynamic_partitions.has("customers", "a")
    assert not storage.dynamic_partitions.has("customers", "z")
    assert storage.dynamic_partitions.delete("customers", "a") is True
    assert storage.dynamic_partitions.delete("customers", "a") is False
    assert not storage.dynamic_partitions.has("customers", "a")
    assert storage.dynamic_partitions.get("other") == []
