"""``Definitions``: everything a project declares, with Dagster's lookups."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import cached_property
from typing import Any

from assettui.errors import DefinitionError
from assettui.model.asset_graph import AssetGraph, unknown_key_message
from assettui.model.asset_key import AssetKey
from assettui.model.assets.bound_resources import merge_bound_resources
from assettui.model.assets.checks import AssetChecksDefinition
from assettui.model.assets.coerce import coerce_assets
from assettui.model.assets.definition import AssetsDefinition
from assettui.model.assets.spec import AssetSpec
from assettui.model.automation.schedules import ScheduleDefinition
from assettui.model.automation.sensors import SensorDefinition
from assettui.model.executor import ExecutorDefinition
from assettui.model.jobs import (
    IMPLICIT_JOB_NAME,
    JobDefinition,
    UnresolvedAssetJobDefinition,
    define_asset_job,
)
from assettui.model.validation import validate_definitions


class Definitions:
    """The assets, checks, jobs, schedules, sensors and resources of a project.

    Args:
        assets: ``@asset``/``@multi_asset`` definitions, ``AssetSpec`` and ``SourceAsset``.
        schedules: schedule definitions.
        sensors: sensor definitions.
        jobs: jobs from ``define_asset_job``.
        resources: resources by key (``ConfigurableResource``, IO managers, any object).
        executor: the default executor of runs.
        loggers: accepted for compatibility.
        asset_checks: ``@asset_check`` definitions.
        metadata: metadata about the project.
    """

    def __init__(
        self,
        assets: Iterable[Any] | None = None,
        schedules: Iterable[ScheduleDefinition] | None = None,
        sensors: Iterable[SensorDefinition] | None = None,
        jobs: Iterable[JobDefinition | UnresolvedAssetJobDefinition] | None = None,
        resources: Mapping[str, Any] | None = None,
        executor: ExecutorDefinition | None = None,
        loggers: Mapping[str, Any] | None = None,
        asset_checks: Iterable[Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        component_tree: Any = None,
    ):
        assets = list(assets or ())
        self.assets: list[Any] = assets
        self.asset_checks: list[AssetChecksDefinition] = [
            *(a for a in assets if isinstance(a, AssetChecksDefinition)),
            *(asset_checks or ()),
        ]
        self.schedules: list[ScheduleDefinition] = list(schedules or ())
        self.sensors: list[SensorDefinition] = list(sensors or ())
        self.jobs: list[JobDefinition | UnresolvedAssetJobDefinition] = list(jobs or ())

        self.resources: dict[str, Any] = merge_bound_resources(
            resources or {}, [*assets, *(asset_checks or ())]
        )
        self.executor = executor
        self.loggers = dict(loggers or {})
        self.metadata = dict(metadata or {})
        for check in self.asset_checks:
            if not isinstance(check, AssetChecksDefinition):
                raise DefinitionError(
                    f"Definitions(asset_checks=...) got {check!r}; pass @asset_check functions."
                )

    # ---- the graph ---------------------------------------------------------------------

    @cached_property
    def _assets_defs(self) -> list[AssetsDefinition]:
        return coerce_assets(self.assets)

    @cached_property
    def _asset_graph(self) -> AssetGraph:
        return AssetGraph(self._assets_defs, tuple(self.asset_checks))

    def resolve_asset_graph(self) -> AssetGraph:
        """The asset graph of these definitions."""
        return self._asset_graph

    get_asset_graph = resolve_asset_graph

    def resolve_all_asset_specs(self) -> list[AssetSpec]:
        return [spec for adef in self._assets_defs for spec in adef.specs]

    get_all_asset_specs = resolve_all_asset_specs

    def resolve_all_asset_keys(self) -> list[AssetKey]:
        return self._asset_graph.toposorted_asset_keys

    def resolve_assets_def(self, key: Any) -> AssetsDefinition:
        """The definition that computes the asset ``key``."""
        asset_key = AssetKey.from_coercible(key)
        return self._asset_graph.get(asset_key).assets_def

    get_assets_def = resolve_assets_def

    # ---- jobs --------------------------------------------------------------------------

    @cached_property
    def _unresolved_jobs(self) -> dict[str, UnresolvedAssetJobDefinition | JobDefinition]:
        jobs: dict[str, Any] = {}

        def add(job: Any, where: str) -> None:
            if job is None or isinstance(job, str):
                return
            if not isinstance(job, (UnresolvedAssetJobDefinition, JobDefinition)):
                raise DefinitionError(f"{where} got {job!r}, which is not a job.")
            existing = jobs.get(job.name)
            if existing is not None and existing is not job:
                raise DefinitionError(
                    f"Two different jobs are named {job.name!r}; give each job its own name."
                )
            jobs[job.name] = job

        for job in self.jobs:
            add(job, "Definitions(jobs=...)")
        for item in [*self.schedules, *self.sensors]:
            add(getattr(item, "job", None), f"{item!r}")
            for job in getattr(item, "jobs", None) or ():
                add(job, f"{item!r}")
        return jobs

    def resolve_job_def(self, name: str) -> JobDefinition:
        """The job called ``name``, resolved against the asset graph.

        Raises:
            DefinitionError: if no job has that name.
        """
        if name == IMPLICIT_JOB_NAME:
            return self.resolve_implicit_global_asset_job_def()
        job = self._unresolved_jobs.get(name)
        if job is None:
            known = ", ".join(sorted(self._unresolved_jobs)) or "none"
            raise DefinitionError(f"No job named {name!r}. Jobs defined: {known}.")
        if isinstance(job, JobDefinition):
            if job.is_op_job:  # as in Dagster: the Definitions' resources reach op jobs too
                return replace(
                    job,
                    resources={**self.resources, **job.resources},
                    executor_def=job.executor_def or self.executor,
                )
            return job
        return job.resolve(self._asset_graph, self.resources, self.executor, self)

    get_job_def = resolve_job_def

    # ---- stored values -------------------------------------------------------------------

    def get_asset_value_loader(self, instance: Any = None) -> Any:
        """A context manager loading assets' values through their IO managers."""
        # Declared in pyproject's layer contract: reading a value sets up IO managers.
        from assettui.execution.value_loader import asset_value_loader

        return asset_value_loader(self, instance)

    def load_asset_value(
        self,
        asset_key: Any,
        *,
        python_type: type | None = None,
        instance: Any = None,
        partition_key: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> object:
        """The stored value of ``asset_key`` (Dagster's ``Definitions.load_asset_value``)."""
        with self.get_asset_value_loader(instance) as loader:
            return loader.load_asset_value(
                asset_key, python_type=python_type, partition_key=partition_key, metadata=metadata
            )

    def resolve_implicit_global_asset_job_def(self) -> JobDefinition:
        """A job over every materializable asset."""
        return define_asset_job(IMPLICIT_JOB_NAME).resolve(
            self._asset_graph, self.resources, self.executor, self
        )

    get_implicit_global_asset_job_def = resolve_implicit_global_asset_job_def

    def resolve_all_job_defs(self) -> list[JobDefinition]:
        return [self.resolve_job_def(name) for name in sorted(self._unresolved_jobs)]

    get_all_job_defs = resolve_all_job_defs

    @property
    def job_names(self) -> list[str]:
        return sorted(self._unresolved_jobs)

    # ---- schedules and sensors -----------------------------------------------------------

    def resolve_schedule_def(self, name: str) -> Any:
        for schedule in self.schedules:
            if schedule.name == name:
                return schedule
        known = ", ".join(sorted(s.name for s in self.schedules)) or "none"
        raise DefinitionError(f"No schedule named {name!r}. Schedules defined: {known}.")

    get_schedule_def = resolve_schedule_def

    def resolve_sensor_def(self, name: str) -> Any:
        for sensor in self.sensors:
            if sensor.name == name:
                return sensor
        known = ", ".join(sorted(s.name for s in self.sensors)) or "none"
        raise DefinitionError(f"No sensor named {name!r}. Sensors defined: {known}.")

    get_sensor_def = resolve_sensor_def

    # ---- combining and checking ------------------------------------------------------------

    @staticmethod
    def merge(*def_sets: Definitions) -> Definitions:
        """One Definitions holding everything of several (see :func:`merge_definitions`)."""
        return merge_definitions(def_sets, where="the merged Definitions")

    @staticmethod
    def validate_loadable(defs: Definitions) -> None:
        """Raise a :class:`DefinitionError` listing every problem found in ``defs``."""

        validate_definitions(defs)

    def get_asset_key(self, name: str) -> AssetKey:
        key = AssetKey.from_user_string(name)
        if not self._asset_graph.has(key):
            raise DefinitionError(unknown_key_message(key, self._asset_graph.all_asset_keys))
        return key

    def __repr__(self) -> str:
        return (
            f"<Definitions {len(self._assets_defs)} asset defs, {len(self.asset_checks)} checks, "
            f"{len(self._unresolved_jobs)} jobs, {len(self.schedules)} schedules, "
            f"{len(self.sensors)} sensors>"
        )


def defs_summary(defs: Definitions) -> dict[str, int]:
    graph = defs.resolve_asset_graph()
    return {
        "assets": len(graph),
        "checks": len(graph.asset_check_keys),
        "groups": len(graph.group_names()),
        "jobs": len(defs.job_names),
        "schedules": len(defs.schedules),
        "sensors": len(defs.sensors),
    }


def sequence_of(value: Any) -> Sequence[Any]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return value
    return (value,)


def merge_definitions(parts: Iterable[Definitions], where: str) -> Definitions:
    """One ``Definitions`` of several; an object found in several parts is kept once.

    Args:
        parts: the Definitions to combine.
        where: where they come from, for error messages.

    Raises:
        DefinitionError: if two parts give one resource key different values, or set
            different executors.
    """
    parts = list(parts)
    resources: dict[str, Any] = {}
    executor = None
    for part in parts:
        for key, value in part.resources.items():
            if key in resources and resources[key] is not value:
                raise DefinitionError(
                    f"Resource {key!r} is defined twice, differently, in {where}; define it once."
                )
            resources[key] = value
        if part.executor is not None:
            if executor is not None and executor is not part.executor:
                raise DefinitionError(f"Two different executors are set in {where}; keep one.")
            executor = part.executor
    return Definitions(
        assets=unique_objects(
            a for p in parts for a in p.assets if not isinstance(a, AssetChecksDefinition)
        ),
        asset_checks=unique_objects(c for p in parts for c in p.asset_checks),
        schedules=unique_objects(s for p in parts for s in p.schedules),
        sensors=unique_objects(s for p in parts for s in p.sensors),
        jobs=unique_objects(j for p in parts for j in p.jobs),
        resources=resources,
        executor=executor,
        loggers={k: v for p in parts for k, v in p.loggers.items()},
        metadata={k: v for p in parts for k, v in p.metadata.items()},
    )


def unique_objects(items: Iterable[Any]) -> list[Any]:
    """``items`` in order, each object once (by identity: definitions need not be hashable)."""
    seen: set[int] = set()
    out = []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            out.append(item)
    return out
