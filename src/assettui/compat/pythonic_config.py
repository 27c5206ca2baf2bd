"""Stand-in for ``dagster._config.pythonic_config``: the resource and config base classes."""

from assettui.execution.io_managers.base import (
    ConfigurableIOManager,
    ConfigurableIOManagerFactory,
    ConfigurableLegacyIOManagerAdapter,
)
from assettui.model.config import Config, PermissiveConfig
from assettui.model.resources import (
    ConfigurableLegacyResourceAdapter,
    ConfigurableResource,
    ConfigurableResourceFactory,
    ResourceDependency,
)

__all__ = [
    "Config",
    "ConfigurableIOManager",
    "ConfigurableIOManagerFactory",
    "ConfigurableLegacyIOManagerAdapter",
    "ConfigurableLegacyResourceAdapter",
    "ConfigurableResource",
    "ConfigurableResourceFactory",
    "PermissiveConfig",
    "ResourceDependency",
]
