"""``with_resources``: resources bound to assets rather than given to ``Definitions``.

Older Dagster projects write ``Definitions(assets=with_resources([a, b], {"db": db}))`` or
``@asset(resource_defs={"db": db})``. A bound asset is a copy carrying a ``resource_defs``
mapping; :func:`bound_resources` collects those mappings so ``Definitions`` (and
``materialize``) can add them to their resources.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from assettui.errors import DefinitionError

RESOURCE_DEFS_ATTR = "resource_defs"


def resources_of(item: Any) -> Mapping[str, Any]:
    """The resources bound to ``item`` (empty if none)."""
    value = getattr(item, RESOURCE_DEFS_ATTR, None)
    return value if isinstance(value, Mapping) else {}


def _name(item: Any) -> str:
    key = getattr(item, "key", None)
    if key is not None and hasattr(key, "to_user_string"):
        return str(key.to_user_string())
    return str(getattr(item, "name", None) or getattr(item, "node_name", None) or item)


def _copy_with(item: Any, resources: Mapping[str, Any]) -> Any:
    is_instance = dataclasses.is_dataclass(item) and not isinstance(item, type)
    clone = dataclasses.replace(item) if is_instance else copy.copy(item)  # type: ignore[type-var]
    object.__setattr__(clone, RESOURCE_DEFS_ATTR, dict(resources))
    return clone


def with_resources(
    definitions: Iterable[Any],
    resource_defs: Mapping[str, Any],
    resource_config_by_key: Mapping[str, Any] | None = None,
) -> list[Any]:
    """Copies of ``definitions`` (assets, source assets, checks) with ``resource_defs`` bound.

    Resources already bound to an asset win over ``resource_defs``, as in Dagster.

    Args:
        definitions: the assets to bind.
        resource_defs: resources by key.
        resource_config_by_key: not supported; configure the resource objects directly.

    Returns:
        The bound copies, in order.

    Raises:
        DefinitionError: if ``resource_config_by_key`` is given.
    """
    if resource_config_by_key:
        raise DefinitionError(
            "with_resources(resource_config_by_key=...) is not supported by assettui; pass "
            "configured resources instead, e.g. {'db': MyResource(path='...')}."
        )
    return [_copy_with(item, {**resource_defs, **resources_of(item)}) for item in definitions]


def bound_resources(items: Iterable[Any]) -> dict[str, Any]:
    """Every resource bound to ``items``, by key.

    Raises:
        DefinitionError: if two items bind one key to different objects.
    """
    found: dict[str, Any] = {}
    owner: dict[str, str] = {}
    for item in items:
        for key, value in resources_of(item).items():
            if key in found and found[key] is not value:
                raise DefinitionError(
                    f"Resource {key!r} is bound differently to {owner[key]!r} and "
                    f"{_name(item)!r}; bind one object, or give it to Definitions(resources=...)."
                )
            found[key] = value
            owner[key] = _name(item)
    return found


def merge_bound_resources(
    resources: Mapping[str, Any], items: Iterable[Any], where: str = "Definitions"
) -> dict[str, Any]:
    """``resources`` plus the resources bound to ``items``.

    Raises:
        DefinitionError: a key bound to an asset and given in ``resources`` differently.
    """
    merged = dict(resources)
    for key, value in bound_resources(items).items():
        if key in merged and merged[key] is not value:
            raise DefinitionError(
                f"Resource {key!r} is given to {where} and bound to an asset differently; keep one."
            )
        merged[key] = value
    return merged
