"""A one-line runs search, as typed in the runs list: ``status:failure asset:orders nightly``.

Terms:

- ``status:S[,S...]`` — Dagster's status names, any case (``failure``, ``started``, ...);
- ``job:NAME``, ``asset:KEY`` (``a/b`` for a multi-part key), ``partition:KEY``;
- ``tag:KEY=VALUE`` (or ``tag:KEY`` for any value);
- ``by:ui|cli|schedule|sensor|backfill|re-execution|python`` — who launched it;
- any other word: found in the run id, its job or assets, partition, tags or launcher.

The storage answers what it can (statuses, job, asset, tags, partition), so older matching
runs are found too; the rest is checked on the runs it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assettui.errors import AssettuiError
from assettui.model.asset_key import AssetKey
from assettui.model.partitions.definitions import PARTITION_NAME_TAG
from assettui.model.records.launched_by import LAUNCHERS, launched_by, launched_by_text
from assettui.model.records.runs import DagsterRun, DagsterRunStatus, RunsFilter


class RunQueryError(AssettuiError):
    """A runs search that cannot be understood (unknown term, status or launcher)."""


@dataclass(frozen=True)
class RunQuery:
    """A parsed runs search: a storage filter plus what is checked run by run."""

    runs_filter: RunsFilter = field(default_factory=RunsFilter)
    launchers: frozenset[str] = frozenset()
    any_value_tags: frozenset[str] = frozenset()
    words: tuple[str, ...] = ()
    text: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.text.strip()

    def matches(self, run: DagsterRun) -> bool:
        """Whether ``run`` (already filtered by :attr:`runs_filter`) matches the rest."""
        if self.launchers and launched_by(run)[0] not in self.launchers:
            return False
        if any(tag not in run.tags for tag in self.any_value_tags):
            return False
        if not self.words:
            return True
        haystack = " ".join(
            [
                run.run_id,
                run.job_name,
                *(k.to_user_string() for k in run.asset_selection or ()),
                *(f"{k}={v}" for k, v in run.tags.items()),
                launched_by_text(run),
                run.status.value,
            ]
        ).lower()
        return all(word in haystack for word in self.words)


def parse_run_query(text: str) -> RunQuery:
    """Parse a runs search (see the module docstring).

    Raises:
        RunQueryError: naming the term that is not understood and what is.
    """
    statuses: list[DagsterRunStatus] = []
    tags: dict[str, str] = {}
    any_value: set[str] = set()
    launchers: set[str] = set()
    words: list[str] = []
    job_name: str | None = None
    asset_key: AssetKey | None = None
    for term in text.split():
        name, sep, value = term.partition(":")
        name = name.lower()
        if not sep or not value:
            words.append(term.lower())
        elif name == "status":
            statuses += [_status(v) for v in value.split(",") if v]
        elif name == "job":
            job_name = value
        elif name == "asset":
            asset_key = AssetKey.from_user_string(value)
        elif name == "partition":
            tags[PARTITION_NAME_TAG] = value
        elif name == "tag":
            key, eq, tag_value = value.partition("=")
            if eq:
                tags[key] = tag_value
            else:
                any_value.add(key)
        elif name == "by":
            if value.lower() not in LAUNCHERS:
                raise RunQueryError(f"by:{value}? Use one of: {', '.join(LAUNCHERS)}.")
            launchers.add(value.lower())
        else:
            raise RunQueryError(
                f"Unknown search term {name}:. Use status:, job:, asset:, partition:, tag:, "
                "by:, or plain words."
            )
    runs_filter = RunsFilter(
        statuses=statuses or None, job_name=job_name, tags=tags or None, asset_key=asset_key
    )
    return RunQuery(runs_filter, frozenset(launchers), frozenset(any_value), tuple(words), text)


def _status(value: str) -> DagsterRunStatus:
    try:
        return DagsterRunStatus[value.upper()]
    except KeyError:
        names = ", ".join(s.value.lower() for s in DagsterRunStatus)
        raise RunQueryError(f"status:{value}? Use one of: {names}.") from None
