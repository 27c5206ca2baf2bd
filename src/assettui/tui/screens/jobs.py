"""The jobs screen: every job (asset jobs and op jobs) with its latest run, the selected
job's graph, and a launch with its run config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import yaml
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer
from textual.worker import get_current_worker

from assettui.errors import AssettuiError
from assettui.execution.ops.in_process import check_op_config
from assettui.execution.ops.plan import build_op_plan
from assettui.model.asset_key import AssetKey
from assettui.model.ops.config_template import op_job_config_template
from assettui.model.records.runs import DagsterRun, RunsFilter
from assettui.model.run_config_yaml import read_run_config_yaml
from assettui.storage import Storage
from assettui.tui.instance_poller import InstanceChanged, poller_of
from assettui.tui.layout.job_graph import StepState, step_states
from assettui.tui.screens.launch_dialog import LaunchDialog
from assettui.tui.widgets.job_graph import JobGraphPane


@dataclass(frozen=True, slots=True)
class JobsRead:
    """The latest run of every job, and the step states of the selected job's."""

    latest: Mapping[str, DagsterRun]
    states: Mapping[AssetKey, StepState]


class JobsScreen(Screen[None]):
    """Jobs, newest runs, and the selected job's graph. ``enter``/``m`` launches, ``escape``
    goes back.

    Args:
        storage: the instance storage.
        defs: the loaded Definitions.
        launch: starts a run: ``launch(job, run_config, partition_key)``.
    """

    DEFAULT_CSS = """
    JobsScreen #jobs { height: auto; max-height: 40%; }
    JobsScreen JobGraphPane { height: 1fr; border: round $primary; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m,enter", "launch_job", "Launch", priority=True),
        Binding("g", "focus_graph", "Graph"),
        Binding("escape", "close", "Back"),
    ]

    class Read(Message):
        def __init__(self, read: JobsRead) -> None:
            super().__init__()
            self.read = read

    def __init__(self, storage: Storage, defs: Any, launch: Any) -> None:
        super().__init__()
        self._storage = storage
        self._defs = defs
        self._launch = launch
        self.jobs = [j for j in defs.resolve_all_job_defs() if not j.name.startswith("__")]
        self.latest: Mapping[str, DagsterRun] = {}

    def compose(self) -> ComposeResult:
        table: DataTable[str] = DataTable(cursor_type="row", id="jobs")
        table.add_column("job", key="job")
        table.add_column("kind", key="kind", width=6)
        table.add_column("size", key="size", width=10)
        table.add_column("partitions", key="partitions")
        table.add_column("latest run", key="latest", width=22)
        with Vertical():
            yield table
            yield JobGraphPane(id="job-graph")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for job in self.jobs:
            op_job = job.graph_def is not None
            size = len(job.graph_def.nodes) if op_job else len(job.asset_keys)
            table.add_row(
                job.name,
                "ops" if op_job else "assets",
                f"{size} {'ops' if op_job else 'assets'}",
                type(job.partitions_def).__name__ if job.partitions_def else "",
                "",
                key=job.name,
            )
        table.focus()
        if self.jobs:
            self.query_one(JobGraphPane).set_job(self.jobs[0])
        poller_of(self, self._storage).subscribe(self, every=0.5)

    def on_unmount(self) -> None:
        poller_of(self, self._storage).unsubscribe(self)

    @property
    def selected_job(self) -> Any:
        table = self.query_one(DataTable)
        if not self.jobs or table.cursor_row >= len(self.jobs):
            return None
        return self.jobs[table.cursor_row]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        job = self.selected_job
        if job is not None:
            self.query_one(JobGraphPane).set_job(job)
            self._read()

    def on_instance_changed(self, message: InstanceChanged) -> None:
        self._read()

    @work(thread=True, exclusive=True, group="jobs-read", exit_on_error=False)
    def _read(self) -> None:
        latest: dict[str, DagsterRun] = {}
        for job in self.jobs:
            runs = self._storage.runs.list_runs(RunsFilter(job_name=job.name), limit=1)
            if runs:
                latest[job.name] = runs[0]
        selected = self.selected_job
        states: dict[AssetKey, StepState] = {}
        if selected is not None and selected.name in latest:
            states = step_states(self._storage.event_log.run_events(latest[selected.name].run_id))
        if not get_current_worker().is_cancelled:
            self.post_message(self.Read(JobsRead(latest, states)))

    def on_jobs_screen_read(self, message: Read) -> None:
        table = self.query_one(DataTable)
        self.latest = message.read.latest
        for job in self.jobs:
            run = self.latest.get(job.name)
            text = f"{run.status.value.lower()} · {run.run_id[:8]}" if run else "never run"
            table.update_cell(job.name, "latest", text)
        self.query_one(JobGraphPane).set_step_states(dict(message.read.states))

    def action_focus_graph(self) -> None:
        self.query_one(JobGraphPane).focus()

    def action_launch_job(self) -> None:
        job = self.selected_job
        if job is None:
            return
        partition = None
        if job.partitions_def is not None:
            keys = job.partitions_def.get_partition_keys(dynamic_partitions_store=None)
            if not keys:
                self.notify(f"Job {job.name} has no partitions yet.", severity="warning")
                return
            partition = keys[-1]
        if job.graph_def is None:
            template: dict[str, Any] = {}
        elif partition is not None and job.partitioned_config is not None:
            template = job.run_config_for_partition_key(partition)
        else:
            template = op_job_config_template(job.graph_def)
        initial = yaml.safe_dump(template, sort_keys=False) if template else ""
        where = f" for partition {partition}" if partition else ""

        def check(text: str) -> dict[str, Any]:
            config = read_run_config_yaml(text)
            if job.graph_def is not None:
                check_op_config(build_op_plan(job, config), config)
            return config

        def chosen(run_config: dict[str, Any] | None) -> None:
            if run_config is None:
                return
            try:
                self._launch(job, run_config, partition)
            except AssettuiError as exc:
                self.notify(str(exc), title="Launch failed", severity="error")

        dialog = LaunchDialog(
            [], [], title=f"Launch job {job.name}{where}", initial=initial, check=check
        )
        self.app.push_screen(dialog, chosen)

    def action_close(self) -> None:
        self.dismiss(None)
