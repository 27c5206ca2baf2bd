"""Schedule/sensor state, tick history, and sensor run keys claimed once, atomically."""

from __future__ import annotations

import pytest

from assettui.errors import StorageError
from assettui.storage import (
    DagsterRun,
    InstigatorStatus,
    InstigatorType,
    Storage,
    TickStatus,
)

# Each test runs on SQLite and on a fresh PostgreSQL database (see conftest.backend).
pytestmark = pytest.mark.usefixtures("backend")

SENSOR = InstigatorType.SENSOR
SCHEDULE = InstigatorType.SCHEDULE


@pytest.fixture
def storage(tmp_path):
    with Storage(tmp_path / "home") as storage:
        yield storage


def test_status_and_cursor_are_independent(storage):
    auto = storage.automation
    assert auto.get_state("s", SENSOR) is None
    assert auto.set_cursor("s", SENSOR, "42").status is InstigatorStatus.DECLARED_IN_CODE
    state = auto.set_status("s", SENSOR, InstigatorStatus.RUNNING)
    assert (state.status, state.cursor) == (InstigatorStatus.RUNNING, "42")
    assert auto.set_cursor("s", SENSOR, "43").status is InstigatorStatus.RUNNING
    auto.set_status("s", SCHEDULE, InstigatorStatus.STOPPED)  # same name, other kind
    assert [(s.name, s.kind) for s in auto.list_states()] == [("s", SCHEDULE), ("s", SENSOR)]
    assert [s.kind for s in auto.list_states(SENSOR)] == [SENSOR]


def test_ticks_lifecycle_and_history(storage):
    auto = storage.automation
    tick = auto.create_tick("s", SENSOR, 100.0)
    assert tick.status is TickStatus.STARTED and tick.run_ids == ()
    done = auto.update_tick(tick.tick_id, status=TickStatus.SUCCESS, run_ids=["r1"],
                            run_keys=["k1"], cursor="c1")  # fmt: skip
    assert (done.run_ids, done.run_keys, done.cursor) == (("r1",), ("k1",), "c1")
    auto.create_tick("s", SENSOR, 200.0, status=TickStatus.SKIPPED, skip_reason="nothing new")
    auto.create_tick("s", SENSOR, 300.0, status=TickStatus.FAILURE, error="Traceback ...")
    auto.create_tick("other", SENSOR, 300.0)
    history = auto.list_ticks("s", SENSOR)
    assert [t.timestamp for t in history] == [300.0, 200.0, 100.0]
    assert history[1].skip_reason == "nothing new" and history[0].error == "Traceback ..."
    assert auto.latest_tick("s", SENSOR).status is TickStatus.FAILURE
    page = auto.list_ticks("s", SENSOR, limit=1, before_id=history[0].tick_id)
    assert [t.timestamp for t in page] == [200.0]
    assert len(auto.list_ticks("s", SENSOR, statuses=[TickStatus.SKIPPED])) == 1
    assert len(auto.list_ticks("s", SENSOR, after_timestamp=150.0)) == 2
    assert auto.delete_ticks_before(250.0) == 2
    with pytest.raises(StorageError, match="999"):
        auto.update_tick(999, status=TickStatus.SUCCESS)


def test_run_key_is_claimed_once_ever(storage):
    auto = storage.automation
    assert auto.claim_run_key("s", "2024-01-01", "r1") is True
    assert auto.claim_run_key("s", "2024-01-01", "r2") is False
    assert auto.claim_run_key("other", "2024-01-01", "r3") is True
    assert auto.run_id_for_key("s", "2024-01-01") == "r1"
    assert auto.run_id_for_key("s", "nope") is None


def test_tick_runs_and_run_keys_commit_together(storage):
    auto = storage.automation

    def evaluate(run_id, crash):
        with storage.transaction():
            tick = auto.create_tick("s", SENSOR, 1.0)
            if auto.claim_run_key("s", "key-1", run_id):
                storage.runs.create_run(DagsterRun(run_id=run_id))
            if crash:
                raise RuntimeError("scheduler crashed mid-tick")
            auto.update_tick(tick.tick_id, status=TickStatus.SUCCESS, run_ids=[run_id])

    with pytest.raises(RuntimeError):
        evaluate("r1", crash=True)
    assert auto.list_ticks("s", SENSOR) == []
    assert auto.run_id_for_key("s", "key-1") is None
    assert storage.runs.get_run("r1") is None
    evaluate("r2", crash=False)
    evaluate("r3", crash=False)  # the key is taken: no second run
    assert auto.run_id_for_key("s", "key-1") == "r2"
    assert [r.run_id for r in storage.runs.list_runs()] == ["r2"]
    assert len(auto.list_ticks("s", SENSOR)) == 2
