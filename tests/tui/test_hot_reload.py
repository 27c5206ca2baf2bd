"""Hot reload: a save changes the graph; a broken save shows the error and keeps the graph."""

from __future__ import annotations

from tests.tui.conftest import definitions_source, wait_loaded, wait_until

from assettui.model.asset_key import AssetKey
from assettui.project.watcher import ProjectWatcher
from assettui.tui.widgets.asset_graph import AssetGraph
from assettui.tui.widgets.load_error import LoadErrorPanel

K = AssetKey
NEW_ASSET = """

@dg.asset(group_name="marts")
def order_stats(clean_orders):
    return sum(clean_orders)
"""


async def test_save_reloads_graph_break_shows_error_fix_clears_it(make_app, project_dir):
    app = make_app()
    defs_file = project_dir / "definitions.py"
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        graph = app.query_one(AssetGraph)
        panel = app.query_one(LoadErrorPanel)
        graph.select(K("clean_orders"))
        assert not panel.display

        defs_file.write_text(definitions_source(NEW_ASSET, ", order_stats"))
        await wait_until(pilot, lambda: K("order_stats") in graph.scope)
        assert graph.selected == K("clean_orders")  # the selection survives a reload

        loads = app.load_count
        defs_file.write_text(definitions_source(NEW_ASSET, ", order_stats") + "\ndef broken(:\n")
        await wait_until(pilot, lambda: app.load_count > loads and panel.display)
        assert app.last_result is not None and not app.last_result.ok
        assert "syntax" in app.last_result.message.lower()
        assert K("order_stats") in graph.scope  # the last good graph stays
        assert graph.selected == K("clean_orders")

        defs_file.write_text(definitions_source())
        await wait_until(pilot, lambda: not panel.display)
        assert K("order_stats") not in graph.scope
        assert len(graph.scope) == 4


async def test_first_load_failure_shows_the_panel_with_traceback(make_app, project_dir):
    (project_dir / "definitions.py").write_text(
        "import assettui as dg\nraise RuntimeError('boom')\n"
    )
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_loaded(pilot, app)
        panel = app.query_one(LoadErrorPanel)
        assert panel.display
        assert panel.failure is not None and "boom" in panel.failure.describe()
        assert app.asset_graph is None


def test_watcher_ignores_the_instance_home_and_caches(project_dir, home):
    watcher = ProjectWatcher([project_dir], lambda _paths: None, ignore=[home])
    assert watcher.wanted(str(project_dir / "definitions.py"))
    assert watcher.wanted(str(project_dir / "pkg" / "config.yaml"))
    assert not watcher.wanted(str(home.resolve() / "assettui.db"))
    assert not watcher.wanted(str(home.resolve() / "storage" / "x.py"))
    assert not watcher.wanted(str(project_dir / "__pycache__" / "definitions.cpython-311.pyc"))
    assert not watcher.wanted(str(project_dir / "notes.txt"))
