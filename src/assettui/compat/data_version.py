"""Stand-in for ``dagster._core.definitions.data_version``."""

from assettui.model.results import DataVersion

__all__ = ["DataVersion"]
