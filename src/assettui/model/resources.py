"""Resources: ``ConfigurableResource``, ``ResourceParam``, ``ResourceDefinition``, ``@resource``.

``ConfigurableResource`` fields may hold ``EnvVar`` values (see ``model/config.py``): they stay
unresolved in definitions and are read when a run sets its resources up; resolved values are
masked wherever a resource is printed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError

from assettui.errors import ConfigError
from assettui.model.config import MASK, EnvVar, IntEnvVar, take_env_vars

T = TypeVar("T")


class ConfigurableResource(BaseModel):
    """Base class of resources configured by pydantic fields.

    Override :meth:`setup_for_execution` / :meth:`teardown_after_execution` to open and close
    connections around a run, or :meth:`yield_for_execution` for a context manager form.
    Fields may hold :class:`EnvVar` values, resolved when a run starts and never shown.
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    _secret_fields: frozenset[str] = PrivateAttr(default=frozenset())
    _env_vars: dict[str, EnvVar] = PrivateAttr(default_factory=dict)
    _at_launch: bool = PrivateAttr(default=False)

    def __init__(self, **data: Any):
        env_vars = take_env_vars(data)
        super().__init__(**data)
        self._env_vars = env_vars

    def setup_for_execution(self, context: Any) -> None:
        """Called once before a run's steps use the resource."""

    def teardown_after_execution(self, context: Any) -> None:
        """Called once after the run's steps finished with the resource."""

    @contextmanager
    def yield_for_execution(self, context: Any) -> Iterator[Any]:
        """Set up, yield the resource to the run, tear down."""
        self.setup_for_execution(context)
        try:
            yield self
        finally:
            self.teardown_after_execution(context)

    def with_resolved_env(self, resource_key: str) -> ConfigurableResource:
        """A copy whose ``EnvVar`` fields hold their values (masked when printed)."""
        updates: dict[str, Any] = {}
        secret: set[str] = set()
        for name in type(self).model_fields:
            value = self._env_vars.get(name, getattr(self, name))
            if isinstance(value, EnvVar):
                resolved: Any = value.resolve(f"resource {resource_key!r} (field {name!r})")
                if isinstance(value, IntEnvVar):
                    resolved = int(resolved)
                updates[name] = resolved
                secret.add(name)
            elif isinstance(value, ConfigurableResource):
                updates[name] = value.with_resolved_env(f"{resource_key}.{name}")
        if not updates:
            return self
        copy = self.model_copy(update=updates)
        copy._secret_fields = frozenset(secret)
        copy._env_vars = {}
        return copy

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield name, (MASK if name in self._secret_fields else value)

    @classmethod
    def configure_at_launch(cls, **kwargs: Any) -> Any:
        """A resource whose fields come from the run config (``resources: {key: {config:
        {...}}}``) when a run starts; ``kwargs`` are defaults."""
        unset = cls.model_construct(**kwargs)
        unset._at_launch = True
        return unset

    @property
    def is_configured_at_launch(self) -> bool:
        return self._at_launch

    def at_launch(self, config: Mapping[str, Any] | None, where: str) -> ConfigurableResource:
        """The resource built from its launch config (over the defaults it was given).

        Raises:
            ConfigError: a field missing or of the wrong type, named with its path.
        """
        given = {k: v for k, v in self.__dict__.items() if k in type(self).model_fields}
        try:
            return type(self)(**{**given, **(config or {})})
        except ValidationError as exc:
            problems = "\n".join(
                f"  - {'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
                for e in exc.errors()
            )
            raise ConfigError(
                f"{where} is configured at launch, and its run config does not fit "
                f"{type(self).__name__}:\n{problems}\nGive its fields in the run config under "
                "resources: {key: {config: {...}}}."
            ) from None


class ResourceDependency:
    """Annotates a ``ConfigurableResource`` field that holds another resource of any type
    (Dagster's ``ResourceDependency[T]``)."""

    def __class_getitem__(cls, item: Any) -> Any:
        return Annotated[item, _ResourceDependencyMarker()]


class _ResourceDependencyMarker:
    pass


class ConfigurableResourceFactory(ConfigurableResource, Generic[T]):
    """A configured object whose :meth:`create_resource` builds the resource a run gets."""

    def create_resource(self, context: Any) -> T:
        raise NotImplementedError(f"{type(self).__name__} must define create_resource(context).")


class ConfigurableLegacyResourceAdapter(ConfigurableResource):
    """A ``@resource`` function configured with pydantic fields: ``wrapped_resource`` gets
    the fields as its ``resource_config``."""

    @property
    def wrapped_resource(self) -> ResourceDefinition:
        raise NotImplementedError(f"{type(self).__name__} must define wrapped_resource.")


Resource = ConfigurableResource  # Dagster's early name for ConfigurableResource


# Dagster's ``ResourceParam[T]``: annotate a parameter as a plain (non-pydantic) resource.
class _ResourceParamMarker:
    pass


ResourceParam = Annotated[T, _ResourceParamMarker()]


class ResourceDefinition(Generic[T]):
    """A resource made from a plain value or a function (Dagster's older API).

    The function gets an init context whose ``resource_config`` is the run config's
    ``resources: {key: {config: ...}}`` checked against ``config_schema`` (defaults filled
    in), or what :meth:`configured` fixed.
    """

    def __init__(
        self,
        resource_fn: Any = None,
        config_schema: Any = None,
        description: str = "",
        required_resource_keys: Any = None,
    ):
        self.resource_fn = resource_fn
        self.config_schema = config_schema
        self.description = description
        self.required_resource_keys = frozenset(required_resource_keys or ())
        self.fixed_config: Any = None
        self.is_configured = False

    def configured(self, config: Any, **_unused: Any) -> ResourceDefinition:
        """The same resource with its config given now (a dict, or a function of the run
        config returning one)."""
        copy = type(self).__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy.fixed_config = config
        copy.is_configured = True
        return copy

    @staticmethod
    def hardcoded_resource(value: Any, description: str | None = None) -> ResourceDefinition:
        return ResourceDefinition(lambda _ctx: value, description=description or "")

    @staticmethod
    def none_resource(description: str | None = None) -> ResourceDefinition:
        return ResourceDefinition(lambda _ctx: None, description=description or "")

    @staticmethod
    def mock_resource(description: str | None = None) -> ResourceDefinition:
        from unittest.mock import MagicMock

        return ResourceDefinition(lambda _ctx: MagicMock(), description=description or "")


def resource(
    fn: Any = None,
    *,
    config_schema: Any = None,
    description: str | None = None,
    required_resource_keys: Any = None,
    **_unused: Any,
) -> Any:
    """Decorator form of :class:`ResourceDefinition`: the function builds the resource (a
    generator or context manager function also tears it down after the run)."""

    def wrap(f: Any) -> ResourceDefinition:
        return ResourceDefinition(
            f,
            config_schema=config_schema,
            description=description or "",
            required_resource_keys=required_resource_keys,
        )

    return wrap(fn) if fn is not None else wrap


class Resources:
    """``context.resources``: each resource by attribute (``context.resources.my_db``).

    The one resources namespace of run, schedule and sensor contexts; a missing name raises
    an error listing the resources there are and what to do.
    """

    def __init__(self, values: Mapping[str, Any] | None):
        self._values = dict(values or {})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # copy/pickle probing special names
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            known = ", ".join(sorted(self._values)) or "none"
            raise AttributeError(
                f"No resource {name!r} here (resources: {known}). Add it to "
                "Definitions(resources=...), or name it in required_resource_keys."
            ) from None

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __getstate__(self) -> dict[str, Any]:
        return {"_values": self._values}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._values = state["_values"]

    def keys(self) -> list[str]:
        return list(self._values)

    @property
    def original_resource_dict(self) -> dict[str, Any]:
        return dict(self._values)

    def original(self) -> dict[str, Any]:
        return dict(self._values)

    def _asdict(self) -> dict[str, Any]:
        return dict(self._values)
