"""The assettui terminal app: the main screen, keys, launching, hot reload and polling."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.filter import LineFilter
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input

from assettui.automation.scheduler import Scheduler, SchedulerThread
from assettui.errors import AssettuiError
from assettui.execution.launcher import QueuedRunLauncher, RunLauncher, monitor_runs
from assettui.model.asset_graph import AssetGraph as DefGraph
from assettui.model.asset_key import AssetKey
from assettui.model.definitions import Definitions
from assettui.model.records.launched_by import LAUNCHED_BY_TAG
from assettui.model.records.runs import IN_PROGRESS_STATUSES
from assettui.model.results import AssetCheckKey
from assettui.model.run_config_yaml import config_targets
from assettui.project import LoadedProject, LoadResult, ProjectTarget, load_project
from assettui.project.watcher import ProjectWatcher
from assettui.storage import DagsterRun, DagsterRunStatus, RunsFilter, Storage
from assettui.tui.commands import AssetCommands, action_commands
from assettui.tui.instance_poller import InstanceChanged, InstancePoller
from assettui.tui.layout.graph_view import GraphView, ViewRequest, graph_view
from assettui.tui.screens.automation import AutomationScreen
from assettui.tui.screens.backfills import BackfillsScreen
from assettui.tui.screens.checks import ChecksScreen
from assettui.tui.screens.confirm import ConfirmDialog
from assettui.tui.screens.help import HelpScreen, binding_rows
from assettui.tui.screens.jobs import JobsScreen
from assettui.tui.screens.launch_dialog import LaunchDialog
from assettui.tui.screens.pane import HeaderBar, as_screen
from assettui.tui.screens.run_detail import RunDetailScreen
from assettui.tui.status import MISSING, NodeState, load_states
from assettui.tui.terminal import SIXTEEN_COLOUR_THEME, AsciiFilter, sixteen_colours, wants_ascii
from assettui.tui.widgets.asset_details import AssetDetails
from assettui.tui.widgets.asset_graph import AssetGraph, resolve_filter
from assettui.tui.widgets.load_error import LoadErrorPanel
from assettui.tui.widgets.log_view import LogView
from assettui.tui.widgets.partition_calendar import PartitionCalendar
from assettui.tui.widgets.responsive import FooterBar, RunsArea
from assettui.tui.widgets.runs_pane import RunsPane

MONITOR_SECONDS = 5.0  # between dead-worker checks when no scheduler runs
PRESENCE_SECONDS = 1.0  # between checks that the instance database is still on disk
# A folder that came back without a database gets a new one after this many checks (a
# restore in progress has time to copy the file in first).
EMPTY_FOLDER_CHECKS = 3


class AssetTuiApp(App[None]):
    """The terminal UI over one project and its instance.

    Args:
        target: the project to load (and watch).
        home: the instance folder.
        run_scheduler: run the embedded scheduler thread (schedules, sensors, queue).
        theme_name: a Textual theme name.
    """

    CSS_PATH = "app.tcss"
    TITLE = "assettui"
    COMMANDS = App.COMMANDS | {AssetCommands}
    BINDINGS = [
        Binding(
            "m",
            "materialize",
            "Materialize",
            tooltip="Materialize the selected asset (partitioned: pick partitions)",
        ),
        Binding(
            "M",
            "materialize_upstream",
            "+Upstream",
            tooltip="Materialize it with its missing, stale or failed upstream",
        ),
        Binding(
            "slash",
            "filter",
            "Filter",
            key_display="/",
            tooltip="Filter by part of a name or a selection (group:raw, +key:x); enter selects the first match",
        ),
        Binding(
            "A",
            "materialize_missing",
            "Missing/stale",
            show=False,
            tooltip="Materialize every missing or stale asset in view (the current filter)",
        ),
        Binding("r", "runs", "Runs", tooltip="Show the runs list (again: hide it)"),
        Binding(
            "L",
            "logs",
            "Logs",
            tooltip="Show the log of the selected run (enter on a run in the list does too)",
        ),
        Binding(
            "p", "partitions", "Partitions", tooltip="Partition calendar of the selected asset"
        ),
        Binding("a", "automation", "Automation", tooltip="Schedules and sensors"),
        Binding(
            "C",
            "checks",
            "Checks",
            show=False,
            tooltip="The selected asset's checks: history, metadata, run one alone",
        ),
        Binding("B", "backfills", "Backfills", show=False),
        Binding(
            "J",
            "jobs",
            "Jobs",
            show=False,
            tooltip="Asset jobs and op jobs: graphs, latest runs, launch",
        ),
        Binding("z", "zoom", "Zoom", tooltip="Maximize the focused pane (again: restore)"),
        Binding("tab", "focus_next", "Next pane", show=False),
        Binding("ctrl+r", "reload", "Reload", show=False),
        Binding("question_mark", "help", "Help", key_display="?", show=False),
        Binding("q", "quit", "Quit", show=False),
    ]

    # These act on the main screen's graph selection; over a pushed screen (the partition
    # calendar, automation, backfills) they would act on something not shown, so they are
    # neither offered in that screen's footer nor run from it.
    MAIN_SCREEN_ACTIONS = frozenset(
        {
            "materialize",
            "materialize_upstream",
            "materialize_missing",
            "filter",
            "logs",
            "zoom",
            "checks",
        }
    )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in self.MAIN_SCREEN_ACTIONS and len(self.screen_stack) > 1)

    def __init__(
        self,
        target: ProjectTarget,
        home: Path,
        run_scheduler: bool = True,
        theme_name: str | None = None,
    ) -> None:
        super().__init__()
        self.target = target
        self.home = Path(home)
        # A 16-colour terminal gets the ANSI theme: its own palette, no rounded truecolor.
        self.theme_name = theme_name or (SIXTEEN_COLOUR_THEME if sixteen_colours() else None)
        self._ascii_filter = AsciiFilter() if wants_ascii() else None
        self.storage = Storage(self.home)
        self.launcher = RunLauncher(self.home, target, self.storage)
        self.defs: Definitions | None = None
        self.asset_graph: DefGraph | None = None
        self.last_result: LoadResult | None = None
        self.load_count = 0
        self.states: dict[AssetKey, NodeState] = {}
        self.watched_runs: dict[str, str] = {}  # run id -> what it materializes
        self.run_scheduler = run_scheduler
        # The embedded scheduler reads the current (hot-reloaded) definitions on each pass.
        self.scheduler = SchedulerThread(
            Scheduler(self.storage, lambda: self.defs, QueuedRunLauncher(self.launcher))
        )
        self.watcher = ProjectWatcher(target.source_dirs(), self._files_changed, ignore=[self.home])
        self.instance_poller = InstancePoller(self.storage)
        self._states_read: tuple[int, int] | None = None  # (graph, latest event) of the states
        self._instance_gone_checks = 0  # presence checks since the instance folder vanished
        # what the header calls the instance: its folder, or a shared database (never with
        # its password)
        self._instance_name = (
            _database_name(self.storage.describe())
            if self.storage.url
            else _short_path(self.home, self.target.root)
        )
        self.title = f"assettui · {target.project_name}"

    # ---- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield HeaderBar(id="header")
        yield LoadErrorPanel(id="load-error")
        with Horizontal(id="main"):
            yield AssetGraph(id="graph")
            yield AssetDetails(self.storage, id="details")
        with RunsArea(id="runs-area"):
            yield from self._runs_widgets()
        yield Input(placeholder="name or selection (group:raw, +key:x) — enter", id="filter")
        yield FooterBar(id="footer-bar")

    def _runs_widgets(self) -> Iterable[Widget]:
        yield RunsPane(self.storage, self.launcher, id="runs-pane")
        yield LogView(self.storage, id="log-view")

    def on_mount(self) -> None:
        if self.theme_name:
            if self.theme_name in self.available_themes:
                self.theme = self.theme_name
            else:
                self.notify(f"Unknown theme {self.theme_name!r}.", severity="warning")
        self.query_one("#runs-area").display = False
        self.query_one("#filter").display = False
        self.graph_pane.focus()
        self._update_header(0, 0)
        self._load()
        self.watcher.start()
        if self.run_scheduler:
            self.scheduler.start()
        self.instance_poller.start(self)
        self.instance_poller.subscribe(self)
        self.set_interval(MONITOR_SECONDS, self._monitor)
        if self.storage.dialect == "sqlite":  # a file that can be deleted under the UI
            self.set_interval(PRESENCE_SECONDS, self._check_instance_presence)

    def on_unmount(self) -> None:
        self.watcher.stop()
        self.scheduler.stop()

    def _update_header(self, running: int, queued: int) -> None:
        if not self.screen_stack:
            return  # torn down
        headers = self.screen_stack[0].query(HeaderBar)
        if not headers:
            return  # the main screen is still being composed, or already torn down
        headers.first().show(
            self.target.project_name,
            self._instance_name,
            "on" if self.scheduler.is_running else "off",
            running,
            queued,
        )

    # ---- loading and hot reload ---------------------------------------------------------

    def _files_changed(self, paths: set[str]) -> None:
        self.call_from_thread(self._load)

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="load")
    def _load(self) -> None:
        result = load_project(self.target)
        graph = view = None
        if isinstance(result, LoadedProject):
            graph = result.defs.resolve_asset_graph()
            # Lay the graph out here, not on the event loop (a big project takes a while).
            view = graph_view(graph, self.call_from_thread(self._view_request, graph))
        self.call_from_thread(self._loaded, result, graph, view)

    def _view_request(self, graph: DefGraph) -> ViewRequest:
        return self.graph_pane.view_request(graph)

    def _loaded(self, result: LoadResult, graph: DefGraph | None, view: GraphView | None) -> None:
        self.last_result = result
        self.load_count += 1
        panel = self.query_one(LoadErrorPanel)
        if isinstance(result, LoadedProject) and graph is not None:
            self.defs, self.asset_graph = result.defs, graph
            panel.clear()
            self.graph_pane.set_graph(graph, view)
            self._read_instance()
        else:
            panel.show_failure(result, keeping_last_good=self.asset_graph is not None)  # type: ignore[arg-type]

    # ---- the instance: asset states, run counts, finished runs --------------------------

    class InstanceRead(Message):
        """What the instance holds now, read off the event loop."""

        def __init__(
            self,
            graph: DefGraph | None,
            states: dict[AssetKey, NodeState] | None,
            running: int,
            queued: int,
            finished: list[DagsterRun],
        ) -> None:
            super().__init__()
            self.graph = graph
            self.states = states  # None: unchanged since the last read
            self.running = running
            self.queued = queued
            self.finished = finished

    def on_instance_changed(self, message: InstanceChanged) -> None:
        self._read_instance()

    @work(thread=True, exclusive=True, group="instance-read", exit_on_error=False)
    def _read_instance(self) -> None:
        graph = self.asset_graph
        try:
            latest = self.storage.event_log.latest_storage_id()
            states = None
            if graph is not None and self._states_read != (id(graph), latest):
                states = load_states(graph, self.storage)
                self._states_read = (id(graph), latest)
            counts = self.storage.runs.count_runs_by_status()
            finished = [
                run
                for run in map(self.storage.runs.get_run, list(self.watched_runs))
                if run is not None and run.is_finished
            ]
        except AssettuiError as exc:  # a busy or broken instance must not stop the UI
            self.call_from_thread(self.notify, str(exc), severity="warning")
            return
        running = sum(counts.get(s, 0) for s in IN_PROGRESS_STATUSES)
        queued = counts.get(DagsterRunStatus.QUEUED, 0) + counts.get(
            DagsterRunStatus.NOT_STARTED, 0
        )
        self.post_message(self.InstanceRead(graph, states, running, queued, finished))

    def on_asset_tui_app_instance_read(self, message: InstanceRead) -> None:
        if message.states is not None and message.graph is not None:
            try:
                self._states_loaded(message.graph, message.states)
            except NoMatches:  # the app is closing: its panes are gone already
                return
        self._update_header(message.running, message.queued)
        for run in message.finished:
            self._announce_end(run)

    def _announce_end(self, run: DagsterRun) -> None:
        what = self.watched_runs.pop(run.run_id, None)
        if what is None:
            return  # announced already
        run_id = run.run_id
        if run.status is DagsterRunStatus.SUCCESS:
            self.notify(f"Run {run_id[:8]} ({what}) succeeded.", title="Run succeeded")
            return
        reason = f": {run.failure_reason}" if run.failure_reason else ""
        self.notify(
            f"Run {run_id[:8]} ({what}) {run.status.value.lower()}{reason}. Press L for its log.",
            title="Run failed" if run.status is DagsterRunStatus.FAILURE else "Run canceled",
            severity="error",
        )

    @work(thread=True, exclusive=True, group="presence", exit_on_error=False)
    def _check_instance_presence(self) -> None:
        """Notice an instance folder deleted under the UI: say so (launches are refused
        meanwhile, see ``Storage.check_present``) and re-open the database once it is back."""
        gone = self.storage.gone()
        if gone is None:
            return
        self._instance_gone_checks += 1
        if self._instance_gone_checks == 1:
            self.call_from_thread(
                self.notify, gone, title="Instance missing", severity="error", timeout=30
            )
        back = self.storage.paths.database.exists() or (
            self.storage.home.is_dir() and self._instance_gone_checks > EMPTY_FOLDER_CHECKS
        )
        if not back:
            return
        try:
            self.storage.reopen()
        except AssettuiError as exc:
            self.call_from_thread(self.notify, str(exc), title="Cannot re-open", severity="error")
            return
        self._instance_gone_checks = 0
        self._states_read = None
        self.instance_poller.poke()
        self.call_from_thread(
            self.notify, f"Re-opened {self.storage.paths.database}.", title="Instance back"
        )

    @work(thread=True, exclusive=True, group="monitor", exit_on_error=False)
    def _monitor(self) -> None:
        """Fail runs whose worker died, when no scheduler (which does it too) is running."""
        if self.scheduler.is_running:
            return
        try:
            monitor_runs(self.storage)
        except AssettuiError as exc:
            self.call_from_thread(self.notify, str(exc), severity="warning")

    @property
    def graph_pane(self) -> AssetGraph:
        """The main screen's asset graph (not a jobs screen's graph of a job)."""
        return self.screen_stack[0].query_one("#graph", AssetGraph)

    @property
    def details_pane(self) -> AssetDetails:
        return self.screen_stack[0].query_one("#details", AssetDetails)

    def _states_loaded(self, graph: DefGraph, states: dict[AssetKey, NodeState]) -> None:
        if graph is not self.asset_graph or not self.screen_stack:
            return
        self.states = states
        widget = self.graph_pane
        widget.set_states(states)
        details = self.details_pane
        details.set_states(states)
        key = widget.selected
        if key is not None and details.state != states.get(key, MISSING):
            details.show(graph, key, states.get(key, MISSING))

    @on(AssetGraph.AssetSelected)
    def _asset_selected(self, event: AssetGraph.AssetSelected) -> None:
        if self.asset_graph is not None:
            self.details_pane.show(
                self.asset_graph, event.key, self.states.get(event.key), self.states
            )

    @on(AssetGraph.AssetActivated)
    def _asset_activated(self, event: AssetGraph.AssetActivated) -> None:
        if self.asset_graph is not None and self.asset_graph.get(event.key).is_partitioned:
            self.action_partitions()
        else:
            self.details_pane.focus_lineage()

    @on(AssetDetails.AssetChosen)
    def _lineage_chosen(self, event: AssetDetails.AssetChosen) -> None:
        # The graph follows; focus stays in the lineage list to keep walking.
        self.graph_pane.select(event.key)

    def select_asset(self, key: AssetKey) -> None:
        """Move the graph cursor to ``key`` (used by the command palette)."""
        self.graph_pane.select(key)
        self.graph_pane.focus()

    # ---- launching ----------------------------------------------------------------------

    def action_materialize(self) -> None:
        key = self.graph_pane.selected
        if self.asset_graph is None or key is None:
            return
        marked = self.graph_pane.marked_in_order()
        if marked:
            self._launch_many(marked, "marked")
            self.graph_pane.action_clear_filter()  # the marks were used: clear them
            return
        node = self.asset_graph.get(key)
        if node.is_external:
            self.notify(
                f"{key.to_user_string()} is external: it cannot be materialized here.",
                severity="warning",
            )
        elif node.is_partitioned:
            self.notify(f"{key.to_user_string()} is partitioned: pick partitions (p), then b.")
            self.action_partitions()
        else:
            self.launch_with_config([key])

    def action_materialize_missing(self) -> None:
        graph = self.asset_graph
        if graph is None:
            return
        wanted = [
            k
            for k in self.graph_pane.scope
            if self.states.get(k, MISSING).status in ("missing", "stale")
        ]
        runnable = self._runnable(wanted)
        if not runnable:
            self.notify("Nothing missing or stale to materialize here (partitioned: use p).")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._launch_many(wanted, "missing or stale")

        where = "in the current filter" if self.graph_pane.filter_keys is not None else "in view"
        self.push_screen(
            ConfirmDialog(
                f"Materialize {len(runnable)} missing or stale assets {where}?",
                ", ".join(k.to_user_string() for k in runnable[:8])
                + (" …" if len(runnable) > 8 else ""),
                yes="Materialize",
            ),
            answered,
        )

    def _runnable(self, keys: list[AssetKey]) -> list[AssetKey]:
        graph = self.asset_graph
        assert graph is not None
        return [k for k in keys if not graph.get(k).is_external and not graph.get(k).is_partitioned]

    def _launch_many(self, keys: list[AssetKey], what: str) -> None:
        """One run of the unpartitioned, materializable ``keys``; says what it left out."""
        runnable = self._runnable(keys)
        left = [k.to_user_string() for k in keys if k not in runnable]
        if left:
            self.notify(
                f"Left out (partitioned or external: use p for partitions): {', '.join(left)}",
                severity="warning",
            )
        if runnable:
            self.launch_with_config(runnable)
        else:
            self.notify(f"None of the {what} assets can run as one run here.")

    def action_materialize_upstream(self) -> None:
        key = self.graph_pane.selected
        graph = self.asset_graph
        if graph is None or key is None:
            return
        wanted = [
            k
            for k in graph.toposort(graph.upstream([key]))
            if k == key or self.states.get(k, MISSING).status in ("missing", "stale", "failed")
        ]
        keys = [
            k for k in wanted if not graph.get(k).is_external and not graph.get(k).is_partitioned
        ]
        if not keys:
            self.notify("Nothing to materialize: partitioned assets launch from the calendar (p).")
            return
        self.launch_with_config(keys)

    def launch_with_config(self, keys: list[AssetKey]) -> None:
        """Launch ``keys``; when any of them takes a ``Config``, through the launch dialog."""
        assert self.asset_graph is not None
        targets = config_targets(self.asset_graph, keys)
        if not targets:
            self.launch(keys)
            return

        def chosen(run_config: dict[str, Any] | None) -> None:
            if run_config is not None:
                self.launch(keys, run_config)

        self.push_screen(LaunchDialog(keys, targets), chosen)

    @work(thread=True, group="launch")
    def launch(
        self,
        keys: list[AssetKey],
        run_config: dict[str, Any] | None = None,
        check_keys: list[AssetCheckKey] | None = None,
    ) -> None:
        """Start a run of ``keys`` (or of ``check_keys`` alone) in a worker process and
        watch it to the end."""
        names = ", ".join(k.to_user_string() for k in keys[:3]) + (" …" if len(keys) > 3 else "")
        if check_keys and not keys:
            names = "check " + ", ".join(c.name for c in check_keys)
        try:
            run_id = self.launcher.launch(
                keys, run_config=run_config, tags={LAUNCHED_BY_TAG: "ui"}, check_keys=check_keys
            )
        except AssettuiError as exc:
            self.call_from_thread(self.notify, str(exc), title="Launch failed", severity="error")
            return
        self.watched_runs[run_id] = names
        self.instance_poller.poke()
        self.call_from_thread(self.follow_run, run_id)
        self.call_from_thread(self.notify, f"Run {run_id[:8]} launched: {names}.", timeout=3)

    # ---- filter -------------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        graph = self.asset_graph
        widget = self.graph_pane
        if graph is not None:
            try:
                keys, label = resolve_filter(graph, event.value)
            except AssettuiError as exc:
                self.notify(str(exc), title="Filter", severity="error")
                return
            if keys is not None and not keys:
                self.notify(f"No asset matches {event.value!r}.", severity="warning")
                return
            widget.set_filter(keys, label)
        event.input.display = False
        widget.focus()

    def on_key(self, event: Any) -> None:
        box = self.query_one("#filter", Input)
        if event.key == "escape" and box.has_focus:
            box.display = False
            self.graph_pane.focus()
            event.stop()

    # ---- panes and screens --------------------------------------------------------------

    def get_line_filters(self) -> Sequence[LineFilter]:
        filters = list(super().get_line_filters())
        return [*filters, self._ascii_filter] if self._ascii_filter else filters

    def action_zoom(self) -> None:
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
            return
        pane = self.focused
        while pane is not None and pane.parent is not None and pane.id not in _PANES:
            pane = pane.parent if isinstance(pane.parent, Widget) else None
        if pane is None or pane.id not in _PANES or not screen.maximize(pane, container=False):
            self.notify("This pane cannot be zoomed.", severity="warning")

    def action_runs(self) -> None:
        area = self.query_one("#runs-area")
        if (
            area.display
            and self.query("#runs-pane")
            and self.query_one("#runs-pane").has_focus_within
        ):
            area.display = False
            self.graph_pane.focus()
            return
        area.display = True
        for pane in self.query("#runs-pane"):
            pane.focus()
            focusable = pane.query("DataTable")
            if focusable:
                focusable.first().focus()

    def action_logs(self) -> None:
        self.query_one("#runs-area").display = True
        for view in self.query("#log-view"):
            if getattr(view, "run_id", None) is None:
                self._show_latest_run()
            self._focus_log_view()
            return
        self.notify("The log view is not available yet.", severity="warning")

    def _focus_log_view(self) -> None:
        for view in self.query("#log-view"):
            inner = [w for w in view.query("*") if w.focusable]
            (inner[0] if inner else view).focus()

    @work(thread=True, group="latest-run")
    def _show_latest_run(self) -> None:
        runs = self.storage.runs.list_runs(limit=1)
        if runs:
            self.call_from_thread(self._show_run, runs[0].run_id)

    def _show_run(self, run_id: str) -> None:
        for view in self.query("#log-view"):
            view.show_run(run_id)  # type: ignore[attr-defined]

    def follow_run(self, run_id: str) -> None:
        """A run was just launched from here: the runs list selects it (in view) and the
        log view shows it, so ``L`` and ``r`` open on it."""
        for pane in self.query(RunsPane):
            pane.follow(run_id)
        self._show_run(run_id)

    def on_runs_pane_run_launched(self, event: RunsPane.RunLaunched) -> None:
        self.follow_run(event.run_id)

    def on_runs_pane_detail_requested(self, event: RunsPane.DetailRequested) -> None:
        self.push_screen(RunDetailScreen(self.storage, self.launcher, event.run_id))

    def on_runs_pane_run_selected(self, event: Any) -> None:
        self._show_run(event.run_id)

    def on_runs_pane_run_opened(self, event: Any) -> None:
        self._show_run(event.run_id)
        self._focus_log_view()

    def action_partitions(self) -> None:
        key = self.graph_pane.selected
        if self.asset_graph is None or key is None:
            return
        if not self.asset_graph.get(key).is_partitioned:
            self.notify(f"{key.to_user_string()} is not partitioned.")
            return
        pdef = self.asset_graph.get(key).partitions_def
        pane = PartitionCalendar(
            self.storage, key, pdef, graph=self.asset_graph, id="partition-calendar"
        )
        self.push_screen(as_screen(pane, title=f"Partitions of {key.to_user_string()}"))

    def on_partition_calendar_backfill_submitted(self, event: Any) -> None:
        if not self.scheduler.is_running:
            self.notify(
                f"The scheduler is off, so backfill {event.backfill_id}'s runs wait: start "
                "`assettui daemon` (or the app without --no-scheduler) to launch them.",
                severity="warning",
                timeout=8,
            )

    def action_automation(self) -> None:
        if self.defs is None:
            self.notify("No definitions are loaded, so there is no automation to show.")
            return
        self.push_screen(as_screen(AutomationScreen(self.storage, self.defs)))

    def action_backfills(self) -> None:
        self.push_screen(as_screen(BackfillsScreen(self.storage, self.launcher)))

    def action_jobs(self) -> None:
        if self.defs is None:
            self.notify("No definitions are loaded, so there are no jobs to show.")
            return
        self.push_screen(as_screen(JobsScreen(self.storage, self.defs, self.launch_job)))

    def launch_job(self, job: Any, run_config: dict[str, Any], partition_key: str | None) -> None:
        """Start a run of ``job`` (asset or op job) in a worker process (the jobs screen)."""
        keys = [] if job.graph_def is not None else sorted(job.asset_keys)
        run_id = self.launcher.launch(
            keys,
            job_name=job.name,
            run_config=run_config,
            partition_key=partition_key,
            tags={**{k: str(v) for k, v in job.run_tags.items()}, LAUNCHED_BY_TAG: "ui"},
            check_keys=None if job.graph_def is not None else job.asset_check_keys,
        )
        self.watched_runs[run_id] = f"job {job.name}"
        self.instance_poller.poke()
        self.follow_run(run_id)
        self.notify(f"Launched job {job.name} (run {run_id[:8]}).")

    def action_graph_depth(self, step: int) -> None:
        self.graph_pane.action_depth(step)

    def action_graph_toggle_list(self) -> None:
        self.graph_pane.action_toggle_list()

    async def action_quit(self) -> None:
        """Quit; with runs still going, first say that they go on without the UI."""
        active = await asyncio.to_thread(
            self.storage.runs.count_runs, RunsFilter(statuses=list(IN_PROGRESS_STATUSES))
        )
        if not active:
            self.exit()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        plural = "s are" if active != 1 else " is"
        self.push_screen(
            ConfirmDialog(
                f"{active} run{plural} still going. Quit?",
                "Runs survive a quit: each has its own worker process and keeps running. "
                "Open assettui again (or `assettui runs`, `assettui logs latest`) to follow "
                "them.",
                yes="Quit",
            ),
            answered,
        )

    def action_checks(self) -> None:
        key, graph = self.graph_pane.selected, self.asset_graph
        if graph is None or key is None:
            return
        if not graph.get(key).check_keys:
            self.notify(f"{key.to_user_string()} has no checks.")
            return
        self.push_screen(
            ChecksScreen(self.storage, graph, key, lambda check: self.launch([], None, [check]))
        )

    def action_help(self) -> None:
        sections = {
            "Everywhere": binding_rows(self.BINDINGS),
            "Asset graph": binding_rows(AssetGraph.BINDINGS),
            "Asset details": [
                ("enter", "on an upstream (←) or downstream (→) entry: select that asset"),
                *binding_rows(AssetDetails.BINDINGS),
            ],
        }
        for pane, title in _OTHER_PANES:
            sections[title] = binding_rows(pane.BINDINGS)
        sections["Launch dialog"] = binding_rows(LaunchDialog.BINDINGS)
        sections["Command palette"] = [("ctrl+p", "every action, and jump to any asset by name")]
        self.push_screen(HelpScreen(sections))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from action_commands(self)


_PANES = ("graph", "details", "runs-pane", "log-view", "load-error")
_OTHER_PANES: tuple[tuple[type[Widget], str], ...] = (
    (RunsPane, "Runs"),
    (LogView, "Logs"),
    (PartitionCalendar, "Partition calendar"),
    (AutomationScreen, "Automation"),
    (JobsScreen, "Jobs"),
    (RunDetailScreen, "Run detail"),
    (ChecksScreen, "Checks"),
)


def _short_path(path: Path, root: Path) -> str:
    """``path`` relative to the project when inside it (shorter, and the same on every machine)."""
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _database_name(url: str) -> str:
    """``postgresql://user:***@host:5432/db`` as the header shows it: ``pg host/db``."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"pg {parts.hostname or 'localhost'}{parts.path or ''}"
