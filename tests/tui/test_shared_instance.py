"""The UI on an instance another host (PostgreSQL) or process (SQLite) writes to: a run it
starts is listed, and its log lines and end reach this UI while they are written."""

from __future__ import annotations

import pytest
from tests.tui.conftest import screen_text, wait_loaded, wait_until

from assettui.storage import DagsterEventType, DagsterRun, DagsterRunStatus, NewEvent, Storage


@pytest.mark.slow
async def test_a_run_on_another_host_is_listed_and_followed_live(make_app, home, tmp_path, backend):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_loaded(pilot, app)
        assert app.storage.dialect == backend
        if backend == "postgresql":  # the header names the shared database
            assert "· pg 127.0.0.1/t_" in screen_text(app)
        # another host: its own home folder (on SQLite, another process on this one)
        other = Storage(tmp_path / "other-host" if backend == "postgresql" else home)
        run = other.runs.create_run(DagsterRun(status=DagsterRunStatus.STARTED))
        other.event_log.store_events([NewEvent(run.run_id, DagsterEventType.LOG, "from host b: 1")])
        await wait_until(pilot, lambda: "1 running" in screen_text(app))
        await pilot.press("r", "L")  # the runs list and the log
        await wait_until(pilot, lambda: run.run_id[:8] in screen_text(app))
        await wait_until(pilot, lambda: "from host b: 1" in screen_text(app))
        await pilot.pause(0.5)
        if "paused (f)" in screen_text(app):
            await pilot.press("f")  # follow the log
        await wait_until(pilot, lambda: "▶ follow" in screen_text(app))
        other.event_log.store_events([NewEvent(run.run_id, DagsterEventType.LOG, "from host b: 2")])
        await wait_until(pilot, lambda: "from host b: 2" in screen_text(app))
        other.end_run(run.run_id, DagsterRunStatus.SUCCESS, "done")
        await wait_until(pilot, lambda: "success" in screen_text(app).lower())  # its end, too
        other.close()
