"""Links from assets to their source code: ``with_source_code_references`` records where
each asset's function is defined, ``link_code_references_to_git`` turns those into URLs of
the repository (metadata only, under ``dagster/code_references``, as in Dagster)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from assettui.errors import DagsterInvalidDefinitionError

CODE_REFERENCES_KEY = "dagster/code_references"


@dataclass(frozen=True)
class LocalFileCodeReference:
    """A file (and line) on this machine."""

    file_path: str
    line_number: int | None = None
    label: str | None = None


@dataclass(frozen=True)
class UrlCodeReference:
    """A web page of the source, e.g. a file in a git host."""

    url: str
    label: str | None = None


@dataclass(frozen=True)
class CodeReferencesMetadataValue:
    """The code references of an asset (a metadata value)."""

    code_references: Sequence[LocalFileCodeReference | UrlCodeReference]

    def to_plain(self) -> list[dict[str, Any]]:
        return [
            {"url": r.url, "label": r.label}
            if isinstance(r, UrlCodeReference)
            else {"file_path": r.file_path, "line_number": r.line_number, "label": r.label}
            for r in self.code_references
        ]


@dataclass(frozen=True)
class AnchorBasedFilePathMapping:
    """Maps local files to repository paths: ``local_file_anchor`` (a file or folder here) is
    ``file_anchor_path_in_repository`` in the repository."""

    local_file_anchor: Path
    file_anchor_path_in_repository: str

    def convert_to_source_control_path(self, local_path: Path) -> str:
        relative = os.path.relpath(Path(local_path), Path(self.local_file_anchor))
        joined = os.path.normpath(os.path.join(self.file_anchor_path_in_repository, relative))
        return joined.replace(os.sep, "/")


def _with_references(asset: Any, change: Any) -> Any:
    specs = getattr(asset, "specs", None)
    if specs is None:
        return asset
    new_specs = []
    for spec in specs:
        current = spec.metadata.get(CODE_REFERENCES_KEY) if spec.metadata else None
        updated = change(asset, current)
        if updated is None:
            new_specs.append(spec)
            continue
        new_specs.append(replace(spec, metadata={**spec.metadata, CODE_REFERENCES_KEY: updated}))
    return replace(asset, specs=tuple(new_specs))


def with_source_code_references(assets_defs: Sequence[Any]) -> list[Any]:
    """``assets_defs`` with the file and line of each asset's function as code references."""

    def add(asset: Any, current: Any) -> Any:
        file, line = getattr(asset, "source_file", None), getattr(asset, "source_line", None)
        if not file:
            return None
        existing = (
            list(current.code_references)
            if isinstance(current, CodeReferencesMetadataValue)
            else []
        )
        return CodeReferencesMetadataValue([*existing, LocalFileCodeReference(str(file), line)])

    return [_with_references(a, add) for a in assets_defs]


def link_code_references_to_git(
    assets_defs: Sequence[Any],
    git_url: str,
    git_branch: str,
    file_path_mapping: AnchorBasedFilePathMapping,
    platform: str | None = None,
) -> list[Any]:
    """``assets_defs`` with their local code references replaced by URLs in the repository at
    ``git_url`` on ``git_branch`` (GitHub's or GitLab's URL shape).

    Raises:
        DagsterInvalidDefinitionError: for a host that is neither GitHub nor GitLab and no
            ``platform`` given.
    """
    host = platform or (
        "github" if "github" in git_url else "gitlab" if "gitlab" in git_url else None
    )
    if host not in ("github", "gitlab"):
        raise DagsterInvalidDefinitionError(
            f"link_code_references_to_git cannot tell the platform of {git_url!r}: pass "
            "platform='github' or platform='gitlab'."
        )
    blob = "tree" if host == "github" else "-/tree"  # the URL shapes Dagster makes

    def link(asset: Any, current: Any) -> Any:
        if not isinstance(current, CodeReferencesMetadataValue):
            return None
        refs: list[LocalFileCodeReference | UrlCodeReference] = []
        for ref in current.code_references:
            if isinstance(ref, LocalFileCodeReference):
                path = file_path_mapping.convert_to_source_control_path(Path(ref.file_path))
                line = f"#L{ref.line_number}" if ref.line_number else ""
                refs.append(
                    UrlCodeReference(
                        f"{git_url.rstrip('/')}/{blob}/{git_branch}/{path}{line}", ref.label
                    )
                )
            else:
                refs.append(ref)
        return CodeReferencesMetadataValue(refs)

    return [_with_references(a, link) for a in assets_defs]
