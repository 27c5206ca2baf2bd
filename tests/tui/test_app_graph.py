"""The asset graph pane: loading, navigation along edges, filtering, scaling."""

from __future__ import annotations

from tests.tui.conftest import wait_loaded
from textual.app import App, ComposeResult

from assettui import AssetSpec
from assettui.model.asset_graph import AssetGraph as DefGraph
from assettui.model.asset_key import AssetKey
from assettui.tui.widgets.asset_details import AssetDetails
from assettui.tui.widgets.asset_graph import AssetGraph

K = AssetKey


async def test_graph_shows_every_asset_and_first_is_selected(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        graph = app.query_one(AssetGraph)
        assert set(graph.scope) == {
            K("raw_orders"),
            K("raw_customers"),
            K("clean_orders"),
            K("orders_report"),
        }
        assert not graph.is_list_mode
        assert graph.selected == K("raw_customers")  # first in topological order
        await pilot.pause()
        assert app.query_one(AssetDetails).key == K("raw_customers")


async def test_arrows_move_along_edges_and_within_layers(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        graph = app.query_one(AssetGraph)
        graph.select(K("raw_orders"))
        await pilot.press("right")
        assert graph.selected == K("clean_orders")
        await pilot.press("l")
        assert graph.selected == K("orders_report")
        await pilot.press("left")
        assert graph.selected in {K("clean_orders"), K("raw_customers")}
        graph.select(K("raw_orders"))
        other = K("raw_customers")
        await pilot.press("up" if graph._neighbour("up") == other else "down")
        assert graph.selected == other
        await pilot.press("h")  # a root has nothing upstream: the cursor stays
        assert graph.selected == other
        await pilot.pause()
        assert app.query_one(AssetDetails).key == other


async def test_slash_filter_selects_first_match_by_name(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("slash", *"orders", "enter")
        graph = app.query_one(AssetGraph)
        assert graph.selected == K("raw_orders")
        assert set(graph.scope) == {K("raw_orders"), K("clean_orders"), K("orders_report")}
        await pilot.press("escape")
        assert len(graph.scope) == 4
        assert graph.selected == K("raw_orders")


async def test_slash_filter_takes_a_selection_string(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("slash", *'+key:"clean_orders"', "enter")
        graph = app.query_one(AssetGraph)
        assert set(graph.scope) == {K("raw_orders"), K("clean_orders")}
        await pilot.press("slash", *"group:nope", "enter")  # matches nothing: said, not applied
        await pilot.pause()
        assert set(graph.scope) == {K("raw_orders"), K("clean_orders")}


async def test_depth_keys_show_the_neighbourhood(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        graph = app.query_one(AssetGraph)
        graph.select(K("raw_orders"))
        await pilot.press("minus", "minus", "minus", "minus")
        assert graph.depth == 1
        assert set(graph.scope) == {K("raw_orders"), K("clean_orders")}
        await pilot.press("plus")
        assert K("orders_report") in graph.scope


def _big_graph(size: int) -> DefGraph:
    specs = [AssetSpec("a0", group_name="g0")]
    for i in range(1, size):
        deps = [f"a{j}" for j in {i - 1, i // 2, max(i - 37, 0)}]
        specs.append(AssetSpec(f"a{i}", deps=deps, group_name=f"g{i % 10}"))
    return DefGraph.from_assets(specs)


class _GraphOnly(App[None]):
    def compose(self) -> ComposeResult:
        yield AssetGraph(id="graph")


async def test_five_thousand_assets_use_the_navigator_and_draw_only_visible_rows():
    graph_def = _big_graph(5000)
    app = _GraphOnly()
    async with app.run_test(size=(80, 24)) as pilot:
        widget = app.query_one(AssetGraph)
        drawn: list[int] = []
        original = widget.render_line

        def counting(y: int):
            drawn.append(y)
            return original(y)

        widget.render_line = counting  # type: ignore[method-assign]
        widget.set_graph(graph_def)
        widget.focus()
        await pilot.pause()
        assert widget.is_list_mode
        assert len(widget.scope) == 5000
        assert drawn and max(drawn) < 24  # only the rows on screen were drawn
        await pilot.press("down", "down", "right")
        assert widget.selected is not None and widget.selected != K("a0")
        await pilot.press("end")
        widget.select(K("a4999"))
        await pilot.pause()
        assert widget.scroll_offset.y > 4900


async def test_z_zooms_the_focused_pane_and_restores_it(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("z")
        assert app.screen.maximized is app.query_one(AssetGraph)
        await pilot.press("z")
        assert app.screen.maximized is None
        await pilot.press("tab", "z")
        assert app.screen.maximized is app.query_one(AssetDetails)


async def test_the_loaded_graph_is_laid_out_off_the_event_loop(make_app, monkeypatch):
    import threading

    import assettui.tui.app as app_module
    import assettui.tui.widgets.asset_graph as widget_module

    layouts: list[tuple[str, bool, object]] = []

    def recording(where: str, real):
        def wrapper(graph, request):
            view = real(graph, request)
            layouts.append((where, threading.current_thread() is threading.main_thread(), view))
            return view

        return wrapper

    monkeypatch.setattr(app_module, "graph_view", recording("app", app_module.graph_view))
    monkeypatch.setattr(widget_module, "graph_view", recording("pane", widget_module.graph_view))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        graph = app.query_one(AssetGraph)
        assert [(where, main) for where, main, _ in layouts] == [("app", False)]
        assert graph._layered is layouts[0][2].layered  # the pane shows that very layout
        await pilot.press("minus")  # a neighbourhood: small, laid out by the pane itself
        assert [where for where, _, _ in layouts] == ["app", "pane"]
