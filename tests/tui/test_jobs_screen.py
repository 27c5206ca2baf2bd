"""The jobs screen (`J`): asset jobs and op jobs, an op job's graph of ops with its fan-out,
a launch with the job's config in the dialog, and the latest run's step states."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.tui.conftest import wait_loaded, wait_until
from textual.widgets import DataTable, TextArea

from assettui.model.asset_key import AssetKey
from assettui.project import find_project
from assettui.storage import DagsterRunStatus
from assettui.tui.app import AssetTuiApp
from assettui.tui.screens.jobs import JobsScreen
from assettui.tui.screens.launch_dialog import LaunchDialog
from assettui.tui.widgets.job_graph import JobGraphPane
from assettui.tui.widgets.log_view import LogView

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ops_and_assets"


@pytest.fixture
def mixed_app(tmp_path: Path) -> AssetTuiApp:
    root = tmp_path / "ops_and_assets"
    shutil.copytree(FIXTURE, root)
    return AssetTuiApp(find_project(root), root / ".assettui", run_scheduler=False)


def _texts(view: LogView) -> list[str]:
    lines = view.log_lines
    return [f"{lines.lines[i].step_key} {lines.lines[i].text}" for i in lines.rows]


def _screen(app: AssetTuiApp) -> JobsScreen:
    return (
        app.screen.query_one(JobsScreen) if not isinstance(app.screen, JobsScreen) else app.screen
    )


@pytest.mark.slow
async def test_jobs_screen_draws_an_op_job_and_launches_it_with_config(mixed_app) -> None:
    app = mixed_app
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("J")
        await wait_until(
            pilot, lambda: bool(app.screen.query(JobsScreen)) or isinstance(app.screen, JobsScreen)
        )
        screen = _screen(app)
        table = screen.query_one(DataTable)
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == [
            "asset_job", "daily_job", "file_job",
        ]  # fmt: skip
        await pilot.press("down", "down")
        pane = screen.query_one(JobGraphPane)
        await wait_until(pilot, lambda: pane.job is not None and pane.job.name == "file_job")
        kinds = {k.to_user_string(): n.kind for k, n in pane.nodes.items()}
        assert kinds == {"list_files": "fan-out", "process": "mapped", "total_size": "collect"}
        assert pane.graph is not None
        assert pane.graph.get(AssetKey("total_size")).parent_keys == {AssetKey("process")}
        assert pane._label(AssetKey("process")).title == "process[*]"
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, LaunchDialog))
        editor = app.screen.query_one(TextArea)
        assert "files: []" in editor.text  # the op's config_schema as a template
        editor.text = "ops:\n  list_files:\n    config:\n      files: [a.csv, bb.csv]\n"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(app.storage.runs.list_runs()) == 1)
        run = app.storage.runs.list_runs()[0]
        assert run.job_name == "file_job"
        await wait_until(pilot, lambda: app.storage.runs.get_run(run.run_id).is_finished)
        assert app.storage.runs.get_run(run.run_id).status is DagsterRunStatus.SUCCESS
        await wait_until(
            pilot,
            lambda: (
                (s := pane.step_states.get(AssetKey("process"))) is not None
                and (s.status, s.done, s.total) == ("fresh", 2, 2)
            ),
        )
        assert pane._label(AssetKey("process")).subtitle == "⋔ 2/2"
        # back on the main screen, the run and its op steps' log read like an asset run's
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, JobsScreen))
        log_view = app.screen_stack[0].query_one(LogView)
        log_view.show_run(run.run_id)
        await wait_until(pilot, lambda: any("total 11" in t for t in _texts(log_view)))
        assert any("process[bb_csv]" in t and "processing bb.csv" in t for t in _texts(log_view))


@pytest.mark.slow
async def test_bad_job_config_is_shown_in_the_dialog_not_launched(mixed_app) -> None:
    app = mixed_app
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("J")
        await wait_until(
            pilot, lambda: bool(app.screen.query(JobsScreen)) or isinstance(app.screen, JobsScreen)
        )
        await pilot.press("down", "down", "m")
        await wait_until(pilot, lambda: isinstance(app.screen, LaunchDialog))
        dialog = app.screen
        dialog.query_one(TextArea).text = "ops:\n  list_files:\n    config:\n      files: 3\n"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: dialog.error is not None)
        assert "expected a list" in dialog.error
        assert app.storage.runs.list_runs() == []
