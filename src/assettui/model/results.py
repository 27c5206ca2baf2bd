"""What asset and check functions return: ``Output``, ``MaterializeResult``, check results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from assettui.model.asset_key import AssetKey
from assettui.model.metadata.values import MetadataValue, normalize_metadata


class DataVersion(str):
    """An opaque version string of an asset's data (Dagster's ``DataVersion``)."""

    @property
    def value(self) -> str:
        return str(self)


class Output:
    """A value returned from an asset (or one output of a multi-asset), with metadata.

    Args:
        value: the value handed to the IO manager.
        output_name: which output of a multi-asset this is (default ``"result"``).
        metadata: metadata recorded on the materialization.
        data_version: an optional data version.
        tags: tags recorded on the materialization.
    """

    def __init__(
        self,
        value: Any = None,
        output_name: str = "result",
        metadata: Mapping[str, Any] | None = None,
        data_version: DataVersion | None = None,
        tags: Mapping[str, str] | None = None,
    ):
        self.value = value
        self.output_name = output_name
        self.metadata: dict[str, MetadataValue] = normalize_metadata(metadata)
        self.data_version = data_version
        self.tags = dict(tags or {})

    def __repr__(self) -> str:
        return f"Output(value={self.value!r}, output_name={self.output_name!r})"

    def __class_getitem__(cls, item: Any) -> type[Output]:
        return cls  # ``-> Output[int]`` annotations, as in Dagster


class AssetCheckSeverity(Enum):
    """How bad a failed check is: ``WARN`` is reported, ``ERROR`` is a failure."""

    WARN = "WARN"
    ERROR = "ERROR"


@dataclass(frozen=True, slots=True, order=True)
class AssetCheckKey:
    """The key of an asset check: the asset it checks and the check's name."""

    asset_key: AssetKey
    name: str

    def to_user_string(self) -> str:
        return f"{self.asset_key.to_user_string()}:{self.name}"


class AssetCheckResult:
    """The outcome of one asset check.

    Args:
        passed: whether the check passed.
        asset_key: the checked asset (optional when a check has one asset).
        check_name: the check's name (optional when an asset has one check).
        metadata: metadata recorded with the evaluation.
        severity: ``ERROR`` (default) or ``WARN``.
        description: a human-readable note.
    """

    def __init__(
        self,
        *,
        passed: bool,
        asset_key: Any = None,
        check_name: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        severity: AssetCheckSeverity = AssetCheckSeverity.ERROR,
        description: str | None = None,
    ):
        self.passed = bool(passed)
        self.asset_key = AssetKey.from_coercible(asset_key) if asset_key is not None else None
        self.check_name = check_name
        self.metadata = normalize_metadata(metadata)
        self.severity = severity
        self.description = description

    def __repr__(self) -> str:
        return (
            f"AssetCheckResult(passed={self.passed}, asset_key={self.asset_key!r}, "
            f"check_name={self.check_name!r}, severity={self.severity.value})"
        )


class MaterializeResult:
    """What an asset returns when its IO is handled by the asset itself.

    Args:
        asset_key: which asset this is (needed only in multi-assets).
        metadata: metadata recorded on the materialization.
        check_results: results of checks declared on the asset.
        data_version: an optional data version.
        tags: tags recorded on the materialization.
        value: an optional value handed to the IO manager.
    """

    def __init__(
        self,
        *,
        asset_key: Any = None,
        metadata: Mapping[str, Any] | None = None,
        check_results: Sequence[AssetCheckResult] | None = None,
        data_version: DataVersion | None = None,
        tags: Mapping[str, str] | None = None,
        value: Any = None,
    ):
        self.asset_key = AssetKey.from_coercible(asset_key) if asset_key is not None else None
        self.metadata = normalize_metadata(metadata)
        self.check_results = list(check_results or [])
        self.data_version = data_version
        self.tags = dict(tags or {})
        self.value = value


@dataclass(frozen=True)
class AssetMaterialization:
    """A record that an asset was materialized (what results and the instance return)."""

    asset_key: AssetKey
    metadata: Mapping[str, MetadataValue] = field(default_factory=dict)
    partition: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    description: str | None = None

    def __post_init__(self) -> None:
        # Dagster accepts a string or a list for the key, and plain values as metadata
        object.__setattr__(self, "asset_key", AssetKey.from_coercible(self.asset_key))
        object.__setattr__(self, "metadata", normalize_metadata(self.metadata))

    @staticmethod
    def file(path: str, description: str | None = None) -> AssetMaterialization:
        return AssetMaterialization(
            AssetKey(path), {"path": MetadataValue.path(path)}, description=description
        )


@dataclass(frozen=True)
class AssetObservation:
    """A record that an asset was observed without being materialized."""

    asset_key: AssetKey
    metadata: Mapping[str, MetadataValue] = field(default_factory=dict)
    partition: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    description: str | None = None

    def __post_init__(self) -> None:
        # Dagster accepts a string or a list for the key, and plain values as metadata
        object.__setattr__(self, "asset_key", AssetKey.from_coercible(self.asset_key))
        object.__setattr__(self, "metadata", normalize_metadata(self.metadata))


@dataclass(frozen=True)
class AssetCheckEvaluation:
    """A recorded check outcome (what ``get_asset_check_evaluations`` returns)."""

    asset_key: AssetKey
    check_name: str
    passed: bool
    metadata: Mapping[str, MetadataValue] = field(default_factory=dict)
    severity: AssetCheckSeverity = AssetCheckSeverity.ERROR
    description: str | None = None
    blocking: bool = False

    @property
    def asset_check_key(self) -> AssetCheckKey:
        return AssetCheckKey(self.asset_key, self.check_name)


@dataclass(frozen=True)
class ExpectationResult:
    """Dagster's (legacy) result of a data quality check yielded from an op."""

    success: bool
    label: str | None = None
    description: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
