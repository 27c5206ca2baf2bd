"""Asset details: upstream/downstream lists that navigate, and the paged materialization history."""

from __future__ import annotations

from rich.console import Console
from tests.tui.conftest import wait_loaded, wait_until
from textual.app import App, ComposeResult
from textual.widgets import OptionList, Static

from assettui import AssetSpec
from assettui.model.asset_graph import AssetGraph as DefGraph
from assettui.model.asset_key import AssetKey
from assettui.model.metadata.values import metadata_to_json, normalize_metadata
from assettui.storage import DagsterEventType, DagsterRun, DagsterRunStatus, NewEvent, Storage
from assettui.tui.widgets.asset_details import HISTORY_PAGE, LINEAGE_MAX, AssetDetails
from assettui.tui.widgets.asset_graph import AssetGraph

K = AssetKey


def shown(app, selector: str) -> str:
    """The text a Static of the details pane shows."""
    console = Console(width=100, record=True, color_system=None)
    console.print(app.query_one(selector, Static).content)
    return console.export_text()


async def test_lineage_entries_select_that_asset(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        graph = app.query_one(AssetGraph)
        details = app.query_one(AssetDetails)
        graph.select(K("clean_orders"))
        await wait_until(pilot, lambda: details.key == K("clean_orders"))
        assert details.lineage_keys == [K("raw_orders"), K("orders_report")]
        lineage = details.query_one("#details-lineage", OptionList)
        prompts = [str(lineage.get_option_at_index(i).prompt) for i in range(2)]
        assert prompts[0].startswith("← ") and prompts[0].endswith("raw_orders")
        assert prompts[1].startswith("→ ") and prompts[1].endswith("orders_report")

        await pilot.press("enter")  # on the graph: opens the details' lineage list
        assert lineage.has_focus
        await pilot.press("down", "enter")  # downstream: orders_report
        await wait_until(pilot, lambda: details.key == K("orders_report"))
        assert graph.selected == K("orders_report")
        assert details.lineage_keys == [K("clean_orders"), K("raw_customers")]
        assert lineage.has_focus and lineage.highlighted == 0  # keep walking from here
        await pilot.press("down", "enter")  # upstream again: raw_customers
        await wait_until(pilot, lambda: graph.selected == K("raw_customers"))
        assert details.key == K("raw_customers")
        assert details.lineage_keys == [K("orders_report")]


def _materializations(storage: Storage, count: int) -> str:
    run = storage.runs.create_run(DagsterRun(asset_selection=frozenset({K("raw_orders")})))
    for status in ("STARTING", "STARTED", "SUCCESS"):
        storage.runs.update_run_status(run.run_id, DagsterRunStatus(status))
    for index in range(count):
        metadata = metadata_to_json(normalize_metadata({"rows": index, "note": f"batch {index}"}))
        storage.event_log.store_event(
            NewEvent(
                run.run_id,
                DagsterEventType.ASSET_MATERIALIZATION,
                asset_key=K("raw_orders"),
                payload={"metadata": metadata},
            )
        )
    return run.run_id


async def test_history_lists_materializations_and_pages_older_ones(make_app, home):
    with Storage(home) as storage:
        run_id = _materializations(storage, HISTORY_PAGE + 5)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        details = app.query_one(AssetDetails)
        app.query_one(AssetGraph).select(K("raw_orders"))
        await wait_until(pilot, lambda: details.data is not None and details.key == K("raw_orders"))
        data = details.data
        assert data is not None and len(data.history) == HISTORY_PAGE and data.has_older
        assert data.run_times[run_id][1] is not None  # the run's duration is known
        text = shown(app, "#details-history")
        assert "when" in text and "run" in text and "took" in text and "metadata" in text
        rows = [line for line in text.splitlines() if run_id[:8] in line]
        assert len(rows) == HISTORY_PAGE
        assert "rows=24" in rows[0] and "rows=5" in rows[-1]  # newest first
        assert f"o loads {HISTORY_PAGE} more" in text

        details.focus()
        await pilot.press("o")
        await wait_until(pilot, lambda: details.data is not None and not details.data.has_older)
        assert len(details.data.history) == HISTORY_PAGE + 5
        text = shown(app, "#details-history")
        assert "rows=0" in text and "more" not in text
        # The sparkline of the numeric metadata spans the loaded history.
        assert "rows trend" in shown(app, "#details-last")


class _DetailsOnly(App[None]):
    def __init__(self, storage: Storage) -> None:
        super().__init__()
        self.storage = storage

    def compose(self) -> ComposeResult:
        yield AssetDetails(self.storage, id="details")


async def test_a_hub_lists_its_first_children_and_counts_the_rest(tmp_path):
    specs = [AssetSpec("hub"), *(AssetSpec(f"leaf{i:02d}", deps=["hub"]) for i in range(60))]
    graph = DefGraph.from_assets(specs)
    with Storage(tmp_path / "home") as storage:
        app = _DetailsOnly(storage)
        async with app.run_test(size=(80, 24)) as pilot:
            details = app.query_one(AssetDetails)
            details.show(graph, K("hub"))
            await pilot.pause()
            assert details.lineage_keys == [K(f"leaf{i:02d}") for i in range(LINEAGE_MAX)]
            lineage = details.query_one("#details-lineage", OptionList)
            last = lineage.get_option_at_index(lineage.option_count - 1)
            assert last.disabled and "10 more" in str(last.prompt)
