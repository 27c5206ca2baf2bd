"""Reading a dbt manifest: its nodes, and dbt's selection syntax for the common cases.

Selections: space-separated union of ``name``, ``+name`` / ``name+`` (ancestors /
descendants), ``tag:x``, ``path:models/marts``, ``fqn:*`` / ``fqn:a.b``, ``resource_type:x``,
``package:x``, ``config.materialized:x``, and ``*`` wildcards in names; ``a,b`` intersects.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from assettui.errors import DefinitionError

ASSET_RESOURCE_TYPES = ("model", "seed", "snapshot")


def load_manifest(manifest: Any) -> dict[str, Any]:
    """The manifest as a dict (``manifest`` is a path or a dict already).

    Raises:
        DefinitionError: a missing or unreadable file, saying how to make it.
    """
    if isinstance(manifest, Mapping):
        return dict(manifest)
    path = Path(manifest)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise DefinitionError(
            f"No dbt manifest at {path}: run `dbt parse` in the project, or call "
            "DbtProject(...).prepare_if_dev() before @dbt_assets."
        ) from None
    except (OSError, ValueError) as exc:
        raise DefinitionError(f"The dbt manifest {path} cannot be read: {exc}") from None


def asset_nodes(manifest: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Models, seeds and snapshots by unique id."""
    return {
        uid: node
        for uid, node in manifest.get("nodes", {}).items()
        if node.get("resource_type") in ASSET_RESOURCE_TYPES
    }


def _children(manifest: Mapping[str, Any]) -> dict[str, set[str]]:
    children: dict[str, set[str]] = {}
    for uid, node in manifest.get("nodes", {}).items():
        for parent in node.get("depends_on", {}).get("nodes", ()):
            children.setdefault(parent, set()).add(uid)
    return children


def _matches(node: Mapping[str, Any], criterion: str) -> bool:
    method, _, value = criterion.partition(":") if ":" in criterion else ("name", "", criterion)
    if method == "name" or not value:
        value = value or criterion
        return fnmatch.fnmatchcase(node.get("name", ""), value)
    if method == "tag":
        return any(fnmatch.fnmatchcase(t, value) for t in node.get("tags", ()))
    if method == "path":
        path = node.get("original_file_path", "")
        return (
            path == value
            or path.startswith(value.rstrip("/") + "/")
            or fnmatch.fnmatchcase(path, value)
        )
    if method == "fqn":
        fqn = ".".join(node.get("fqn", ()))
        return value == "*" or fnmatch.fnmatchcase(fqn, value) or fqn.startswith(value + ".")
    if method == "resource_type":
        return node.get("resource_type") == value
    if method == "package":
        return node.get("package_name") == value
    if method.startswith("config."):
        return str(node.get("config", {}).get(method[len("config.") :])) == value
    raise DefinitionError(
        f"dbt selection method {method!r} (in {criterion!r}) is not supported here; use names, "
        "tag:, path:, fqn:, resource_type:, package: or config.<key>:."
    )


def _walk(start: Iterable[str], edges: Mapping[str, Iterable[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(start)
    while stack:
        uid = stack.pop()
        for nxt in edges.get(uid, ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def select_unique_ids(
    manifest: Mapping[str, Any], select: str, exclude: str | None = None
) -> set[str]:
    """The unique ids of the models, seeds and snapshots ``select`` picks, minus ``exclude``."""
    nodes = asset_nodes(manifest)
    parents = {
        uid: n.get("depends_on", {}).get("nodes", ())
        for uid, n in manifest.get("nodes", {}).items()
    }
    children = _children(manifest)

    def resolve(expression: str) -> set[str]:
        chosen: set[str] = set()
        for term in expression.split():
            intersection: set[str] | None = None
            for part in term.split(","):
                up, down = part.startswith("+"), part.endswith("+")
                criterion = part.strip("+")
                found = {uid for uid, node in nodes.items() if _matches(node, criterion)}
                if up:
                    found |= _walk(found, parents)
                if down:
                    found |= _walk(found, children)
                intersection = found if intersection is None else intersection & found
            chosen |= intersection or set()
        return {uid for uid in chosen if uid in nodes}

    selected = resolve(select or "fqn:*")
    if exclude:
        selected -= resolve(exclude)
    return selected
