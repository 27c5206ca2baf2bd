"""Load-time validation of ``Definitions``: every problem, named with where it is."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from assettui.errors import AssettuiError, DefinitionError
from assettui.model.asset_graph import close_matches, cycle_message, missing_upstream_message
from assettui.model.asset_key import AssetKey
from assettui.model.assets.coerce import coerce_assets

if TYPE_CHECKING:
    from assettui.model.definitions import Definitions

DEFAULT_RESOURCE_KEYS = frozenset({"io_manager"})


def where(definition: Any) -> str:
    """``file.py:12`` for a definition that has a source location, else its node name."""
    file = getattr(definition, "source_file", None)
    line = getattr(definition, "source_line", None)
    if file:
        try:
            file = os.path.relpath(file)
        except ValueError:
            pass
        return f"{file}:{line}"
    return f"{getattr(definition, 'node_name', definition)!r}"


def find_problems(defs: Definitions) -> list[str]:
    """Every problem in ``defs``, each a sentence naming the asset/file and what to do."""
    problems: list[str] = []
    assets_defs = coerce_assets(defs.assets)

    seen: dict[AssetKey, Any] = {}
    for adef in assets_defs:
        for key in sorted(adef.keys):
            if key in seen:
                first = seen[key]
                problems.append(
                    f"Duplicate asset key {key.to_user_string()!r}: defined by "
                    f"{first.node_name!r} at {where(first)} and by {adef.node_name!r} at "
                    f"{where(adef)}. Give one of them another name or key."
                )
            else:
                seen[key] = adef

    graph = defs.resolve_asset_graph()
    known = graph.all_asset_keys
    for adef in assets_defs:
        inputs_by_key = {k: p for p, k in adef.keys_by_input_name.items()}
        for spec in adef.specs:
            for dep in spec.deps:
                if dep.key in known:
                    continue
                problems.append(
                    missing_upstream_message(
                        spec.key,
                        dep.key,
                        known,
                        location=where(adef),
                        parameter=inputs_by_key.get(dep.key),
                        resource_keys=defs.resources,
                    )
                )

    for checks_def in defs.asset_checks:
        for cspec in checks_def.check_specs:
            if cspec.asset_key not in known:
                hint = close_matches(cspec.asset_key, known)
                suggestion = f" Did you mean {', '.join(repr(h) for h in hint)}?" if hint else ""
                problems.append(
                    f"Check {cspec.name!r} ({where(checks_def)}) is on asset "
                    f"{cspec.asset_key.to_user_string()!r}, which is not defined.{suggestion}"
                )

    cycle = graph.find_cycle()
    if cycle:
        problems.append(cycle_message(cycle))

    provided = set(defs.resources) | DEFAULT_RESOURCE_KEYS
    owners: list[Any] = [*assets_defs, *defs.asset_checks]
    for owner in owners:
        missing = sorted(set(getattr(owner, "required_resource_keys", ())) - provided)
        for key in missing:
            problems.append(
                f"{owner.node_name!r} ({where(owner)}) needs resource {key!r}, but "
                f"Definitions(resources=...) does not provide it. Add {key!r} to resources."
            )

    if not cycle and not problems:
        for name in defs.job_names:
            try:
                defs.resolve_job_def(name)
            except AssettuiError as exc:
                problems.append(f"Job {name!r}: {exc}")
    return problems


def validate_definitions(defs: Definitions) -> None:
    """Raise one :class:`DefinitionError` listing every problem found, if any."""
    problems = find_problems(defs)
    if not problems:
        return
    if len(problems) == 1:
        raise DefinitionError(problems[0])
    listing = "\n".join(f"  - {p}" for p in problems)
    raise DefinitionError(f"{len(problems)} problems in the definitions:\n{listing}")
