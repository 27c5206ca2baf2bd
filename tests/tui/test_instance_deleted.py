"""The instance folder deleted under a running UI (issue 18 point 3): the UI says so,
refuses to launch into the deleted file, and re-opens the database when the folder is back;
a run launched then lands in the restored database and nothing stored before is lost."""

from __future__ import annotations

import shutil

import pytest
from tests.tui.conftest import wait_loaded, wait_until

from assettui.model.asset_key import AssetKey
from assettui.storage import DagsterRunStatus, Storage
from assettui.tui.widgets.asset_graph import AssetGraph

K = AssetKey


def _notes(app) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


@pytest.mark.slow
async def test_a_deleted_instance_folder_is_reported_and_reopened_when_it_is_back(
    make_app, home, tmp_path
):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        app.query_one(AssetGraph).select(K("raw_orders"))
        await pilot.press("m")
        await wait_until(pilot, lambda: len(app.storage.runs.list_runs()) == 1)
        [first] = app.storage.runs.list_runs()
        await wait_until(pilot, lambda: app.storage.runs.get_run(first.run_id).is_finished)
        await wait_until(pilot, lambda: not app.launcher.is_running(first.run_id))

        backup = tmp_path / "backup"
        shutil.copytree(home, backup)
        shutil.rmtree(home)
        await wait_until(pilot, lambda: any("Instance missing" in n for n in _notes(app)))
        assert any(str(home) in n and "deleted" in n for n in _notes(app))

        await pilot.press("m")  # refused: it would go into the deleted file and be lost
        await wait_until(pilot, lambda: any(n.startswith("Launch failed") for n in _notes(app)))
        assert not home.exists()  # nothing (a log view, a worker) made the folder again

        shutil.copytree(backup, home)
        await wait_until(pilot, lambda: any("Instance back" in n for n in _notes(app)))
        await pilot.press("m")
        await wait_until(pilot, lambda: len(app.storage.runs.list_runs()) == 2)
        second = next(r for r in app.storage.runs.list_runs() if r.run_id != first.run_id)
        await wait_until(pilot, lambda: app.storage.runs.get_run(second.run_id).is_finished)
        assert app.storage.runs.get_run(second.run_id).status is DagsterRunStatus.SUCCESS

    on_disk = Storage(home)  # the restored file holds both runs: none went to a deleted file
    assert {r.run_id for r in on_disk.runs.list_runs()} == {first.run_id, second.run_id}
    on_disk.close()
