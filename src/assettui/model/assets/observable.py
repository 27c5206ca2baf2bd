"""``@observable_source_asset`` and ``ObserveResult``: external assets with an observe function.

An observable source asset is a ``SourceAsset`` (so ``Definitions`` lists it as an external
asset, loaded by its IO manager for downstream assets) that also has a function reporting
the asset's current state: a :class:`DataVersion` or an :class:`ObserveResult`. Observing
it records an ``AssetObservation`` (with the data version as the ``dagster/data_version``
tag); :func:`assettui.execution.observe.observe` runs the functions and stores the events.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from assettui.errors import DefinitionError
from assettui.model.asset_key import AssetKey, key_prefix_parts
from assettui.model.assets.spec import SourceAsset
from assettui.model.metadata.values import normalize_metadata
from assettui.model.results import AssetCheckResult, AssetObservation, DataVersion

DATA_VERSION_TAG = "dagster/data_version"


class ObserveResult:
    """What an observe function returns: metadata and a data version of the observed asset.

    Args:
        asset_key: which asset (optional for a single asset).
        metadata: metadata recorded on the observation.
        check_results: accepted for compatibility (checks of observations are not recorded).
        data_version: the asset's current data version.
        tags: tags recorded on the observation.
    """

    def __init__(
        self,
        asset_key: Any = None,
        metadata: Mapping[str, Any] | None = None,
        check_results: Sequence[AssetCheckResult] | None = None,
        data_version: DataVersion | str | None = None,
        tags: Mapping[str, str] | None = None,
    ):
        self.asset_key = AssetKey.from_coercible(asset_key) if asset_key is not None else None
        self.metadata = normalize_metadata(metadata)
        self.check_results = list(check_results or [])
        self.data_version = DataVersion(data_version) if data_version is not None else None
        self.tags = dict(tags or {})

    def __repr__(self) -> str:
        return f"ObserveResult(asset_key={self.asset_key!r}, data_version={self.data_version!r})"


class ObservableSourceAsset(SourceAsset):
    """A ``SourceAsset`` with an observe function (what ``@observable_source_asset`` returns).

    Attributes:
        observe_fn: the function; it takes an optional context and resources by name.
        auto_observe_interval_minutes: how often Dagster's daemon observes it (kept, shown).
        automation_condition: when to observe it automatically (kept, shown).
        required_resource_keys: resources the function needs.
    """

    def __init__(
        self,
        key: Any,
        observe_fn: Callable[..., Any],
        *,
        auto_observe_interval_minutes: float | None = None,
        automation_condition: Any = None,
        required_resource_keys: Iterable[str] | None = None,
        op_tags: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ):
        super().__init__(key, **kwargs)
        self.observe_fn = observe_fn
        self.auto_observe_interval_minutes = auto_observe_interval_minutes
        self.automation_condition = automation_condition
        self.required_resource_keys = frozenset(required_resource_keys or ())
        self.op_tags = dict(op_tags or {})

    @property
    def is_observable(self) -> bool:
        return True

    @property
    def op_name(self) -> str:
        return self.key.to_python_identifier()

    def __repr__(self) -> str:
        return f"ObservableSourceAsset({self.key.to_user_string()!r})"


def observable_source_asset(
    observe_fn: Callable[..., Any] | None = None,
    *,
    key: Any = None,
    name: str | None = None,
    key_prefix: str | Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    io_manager_key: str | None = None,
    io_manager_def: Any = None,
    description: str | None = None,
    group_name: str | None = None,
    required_resource_keys: Iterable[str] | None = None,
    resource_defs: Mapping[str, Any] | None = None,
    partitions_def: Any = None,
    auto_observe_interval_minutes: float | None = None,
    automation_condition: Any = None,
    op_tags: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
    **_unsupported: Any,
) -> Any:
    """Declare an external asset whose function reports its current data version.

    The function returns a :class:`DataVersion` or an :class:`ObserveResult`; it may take a
    ``context`` and resources by parameter name. The docstring is the description.

    Args:
        key: the full key (instead of ``name``/``key_prefix``).
        name: the asset's name (default: the function's name).
        key_prefix: parts put in front of the name.
        metadata: metadata shown with the asset.
        io_manager_key: the IO manager that loads it for downstream assets.
        description: overrides the docstring.
        group_name: its group.
        required_resource_keys: resources the function reads from ``context.resources``.
        partitions_def: its partitions.
        auto_observe_interval_minutes: how often to observe it.
        automation_condition: when to observe it.
        tags: tags of the asset.

    Returns:
        An :class:`ObservableSourceAsset`.

    Raises:
        DefinitionError: ``key`` together with ``name``/``key_prefix``.
    """

    def wrap(fn: Callable[..., Any]) -> ObservableSourceAsset:
        if key is not None and (name or key_prefix):
            raise DefinitionError(
                f"@observable_source_asset {fn.__name__!r}: give key= or name=/key_prefix=, "
                "not both."
            )
        asset_key = (
            AssetKey.from_coercible(key)
            if key is not None
            else AssetKey([*key_prefix_parts(key_prefix), name or fn.__name__])
        )
        return ObservableSourceAsset(
            asset_key,
            fn,
            auto_observe_interval_minutes=auto_observe_interval_minutes,
            automation_condition=automation_condition,
            required_resource_keys=required_resource_keys,
            op_tags=op_tags,
            metadata=metadata,
            io_manager_key=io_manager_key,
            description=description or inspect.getdoc(fn) or None,
            partitions_def=partitions_def,
            group_name=group_name,
            tags=tags,
        )

    return wrap(observe_fn) if observe_fn is not None else wrap


def observation_of(
    asset: ObservableSourceAsset, returned: Any, partition: str | None = None
) -> AssetObservation:
    """The observation recorded for what ``asset``'s function returned.

    Raises:
        DefinitionError: a value that is neither a DataVersion nor an ObserveResult, or an
            ObserveResult for another asset.
    """
    name = asset.key.to_user_string()
    if isinstance(returned, ObserveResult):
        if returned.asset_key is not None and returned.asset_key != asset.key:
            raise DefinitionError(
                f"The observe function of {name!r} returned an ObserveResult for "
                f"{returned.asset_key.to_user_string()!r}."
            )
        tags = dict(returned.tags)
        if returned.data_version is not None:
            tags[DATA_VERSION_TAG] = str(returned.data_version)
        return AssetObservation(asset.key, returned.metadata, partition, tags)
    if isinstance(returned, DataVersion):
        return AssetObservation(asset.key, {}, partition, {DATA_VERSION_TAG: str(returned)})
    raise DefinitionError(
        f"The observe function of {name!r} returned {type(returned).__name__}; return a "
        "DataVersion or an ObserveResult."
    )
