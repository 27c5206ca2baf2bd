"""``@repository``: Dagster's older way to group definitions, superseded by ``Definitions``.

A repository function returns a list of definitions (assets, jobs, schedules, sensors,
checks) or a dict of them by kind (``{"jobs": {...}, "schedules": [...]}``); the decorator
warns that ``Definitions`` supersedes it and loads it as one.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from assettui.errors import DagsterInvalidDefinitionError
from assettui.model.assets.checks import AssetChecksDefinition
from assettui.model.automation.schedules import ScheduleDefinition
from assettui.model.automation.sensors import SensorDefinition
from assettui.model.definitions import Definitions
from assettui.model.jobs import JobDefinition, UnresolvedAssetJobDefinition


class SupersessionWarning(FutureWarning):
    """An API that still works but has been superseded (Dagster's ``SupersessionWarning``)."""


class RepositoryDefinition(Definitions):
    """The definitions a ``@repository`` function returns, as ``Definitions``."""

    def __init__(self, name: str, items: Iterable[Any], description: str | None = None):
        assets: list[Any] = []
        jobs: list[Any] = []
        schedules: list[ScheduleDefinition] = []
        sensors: list[SensorDefinition] = []
        checks: list[Any] = []
        for item in items:
            if isinstance(item, (JobDefinition, UnresolvedAssetJobDefinition)):
                jobs.append(item)
            elif isinstance(item, ScheduleDefinition):
                schedules.append(item)
            elif isinstance(item, SensorDefinition):
                sensors.append(item)
            elif isinstance(item, AssetChecksDefinition):
                checks.append(item)
            elif hasattr(item, "graph_def") and not hasattr(item, "specs"):
                raise DagsterInvalidDefinitionError(
                    f"Repository {name!r} got graph {item!r}: turn it into a job with "
                    f"{getattr(item, 'name', 'graph')}.to_job()."
                )
            else:
                assets.append(item)
        super().__init__(
            assets=assets, jobs=jobs, schedules=schedules, sensors=sensors, asset_checks=checks
        )
        self.name = name
        self.description = description

    def get_all_jobs(self) -> list[JobDefinition]:
        return [*self.resolve_all_job_defs(), self.resolve_implicit_global_asset_job_def()]

    def get_job(self, name: str) -> JobDefinition:
        return self.resolve_job_def(name)

    def has_job(self, name: str) -> bool:
        return name in self.job_names

    @property
    def schedule_defs(self) -> list[ScheduleDefinition]:
        return list(self.schedules)

    @property
    def sensor_defs(self) -> list[SensorDefinition]:
        return list(self.sensors)

    def __repr__(self) -> str:
        return f"<RepositoryDefinition {self.name}>"


def _items(name: str, returned: Any) -> list[Any]:
    if isinstance(returned, Mapping):
        items: list[Any] = []
        for kind, group in returned.items():
            values = group.values() if isinstance(group, Mapping) else group
            if not isinstance(values, Iterable):
                raise DagsterInvalidDefinitionError(
                    f"Repository {name!r} returned {kind!r}: {group!r}; give a list or a dict."
                )
            items.extend(values)
        return items
    if isinstance(returned, Iterable) and not isinstance(returned, (str, bytes)):
        return list(returned)
    raise DagsterInvalidDefinitionError(
        f"Repository {name!r} returned {returned!r}: return a list of definitions (or use "
        "Definitions(...), which supersedes @repository)."
    )


def repository(
    fn: Callable[[], Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    **_unsupported: Any,
) -> Any:
    """Dagster's ``@repository``: still loads, with a warning that ``Definitions`` supersedes it."""

    def wrap(f: Callable[[], Any]) -> RepositoryDefinition:
        repo_name = name or f.__name__
        warnings.warn(
            f"@repository ({repo_name!r}) is superseded by Definitions: assettui loads it as "
            "Definitions(assets=..., jobs=..., schedules=..., sensors=...).",
            SupersessionWarning,
            stacklevel=3,
        )
        return RepositoryDefinition(repo_name, _items(repo_name, f()), description)

    return wrap(fn) if fn is not None else wrap
