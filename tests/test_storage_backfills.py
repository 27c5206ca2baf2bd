"""Backfill records: create, update progress, get, list newest first."""

from __future__ import annotations

import pytest

from assettui.errors import StorageError
from assettui.model.asset_key import AssetKey
from assettui.storage import BulkActionStatus, Storage

# Each test runs on SQLite and on a fresh PostgreSQL database (see conftest.backend).
pytestmark = pytest.mark.usefixtures("backend")


def test_backfills(tmp_path):
    with Storage(tmp_path) as storage:
        backfills = storage.backfills
        first = backfills.create_backfill(
            [AssetKey(["raw", "orders"])], ["2024-01-01", "2024-01-02"],
            partition_filter="2024-01-01...2024-01-02", tags={"who": "me"},
        )  # fmt: skip
        assert len(first.backfill_id) == 8 and first.status is BulkActionStatus.REQUESTED
        assert first.asset_selection == (AssetKey(["raw", "orders"]),)
        assert (first.num_partitions, first.num_requested) == (2, 0)
        second = backfills.create_backfill([AssetKey("b")], ["x"], backfill_id="mine")
        updated = backfills.update_backfill(
            first.backfill_id, num_requested=2, num_completed=1, cursor="1"
        )
        assert (updated.num_requested, updated.num_completed, updated.cursor) == (2, 1, "1")
        done = backfills.update_backfill(first.backfill_id, status=BulkActionStatus.COMPLETED)
        assert done.is_finished and done.tags == {"who": "me"}
        assert [b.backfill_id for b in backfills.list_backfills()] == ["mine", first.backfill_id]
        assert [b.backfill_id for b in backfills.list_backfills(cursor="mine")] == [
            first.backfill_id
        ]
        requested = backfills.list_backfills(statuses=[BulkActionStatus.REQUESTED])
        assert requested == [second]
        assert backfills.get_backfill("nope") is None
        with pytest.raises(StorageError, match="nope"):
            backfills.update_backfill("nope", num_failed=1)
