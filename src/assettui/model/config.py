"""Run config: ``Config``, ``EnvVar``, ``RunConfig``, and validating config values.

These are pydantic models, as in Dagster. ``EnvVar`` values stay unresolved (just the
variable's name) in definitions; they are read from the environment only when a run sets
its resources up (see ``model/resources.py``), and resolved values are masked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError

from assettui.errors import ConfigError
from assettui.model.secrets import MASK, register_secret

T = TypeVar("T")


class EnvVar(str):
    """A config value read from an environment variable when a run starts.

    ``EnvVar("WAREHOUSE_DSN")`` stands for the variable's value. An extension over Dagster:
    ``default=`` is used when the variable is unset.
    """

    _default: str | None

    def __new__(cls, env_var_name: str, default: str | None = None) -> EnvVar:
        obj = super().__new__(cls, env_var_name)
        obj._default = default
        return obj

    @property
    def env_var_name(self) -> str:
        return str.__str__(self)

    @classmethod
    def int(cls, name: str) -> IntEnvVar:
        return IntEnvVar(name)

    def get_value(self, default: str | None = None) -> str | None:
        """The variable's current value, or ``default``."""
        fallback = default if default is not None else self._default
        value = os.environ.get(self.env_var_name)
        if value is None:
            return fallback
        register_secret(value)  # from now on masked wherever this process writes text
        return value

    def resolve(self, where: str) -> str:
        """The value, or a :class:`ConfigError` naming the variable and ``where`` it is used."""
        value = self.get_value()
        if value is None:
            raise ConfigError(
                f"Environment variable {self.env_var_name!r} is not set, but {where} reads it "
                f"via EnvVar. Export it (export {self.env_var_name}=...) or give the EnvVar a "
                "default."
            )
        return value

    def __repr__(self) -> str:
        return f"EnvVar({self.env_var_name!r})"


class IntEnvVar(EnvVar):
    """An :class:`EnvVar` whose value is an integer."""

    def resolve(self, where: str) -> str:
        value = super().resolve(where)
        try:
            int(value)
        except ValueError:
            raise ConfigError(
                f"Environment variable {self.env_var_name!r} read by {where} must be an integer."
            ) from None
        return value


def take_env_vars(data: dict[str, Any]) -> dict[str, EnvVar]:
    """The fields of ``data`` that read the environment, for a model's ``__init__``.

    pydantic turns an ``EnvVar`` (a str subclass) into a plain str, and an int field cannot
    hold a variable's name: the model remembers these fields, and an ``IntEnvVar`` field is
    validated with a placeholder (0, set in ``data``) until a run resolves it.
    """
    env_vars = {k: v for k, v in data.items() if isinstance(v, EnvVar)}
    for name, var in env_vars.items():
        if isinstance(var, IntEnvVar):
            data[name] = 0
    return env_vars


class Config(BaseModel):
    """Base class of run config schemas: a pydantic model of the fields an asset takes.

    An asset with a parameter annotated with a ``Config`` subclass receives its config from
    the run config (``{"ops": {"my_asset": {"config": {...}}}}`` or ``RunConfig``). A field
    may be an :class:`EnvVar` (or ``{"env": "NAME"}`` in a config dict or YAML): the run
    reads the variable when it starts, stores only its name, and masks the value in reprs.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    _env_vars: dict[str, EnvVar] = PrivateAttr(default_factory=dict)
    _secret_fields: frozenset[str] = PrivateAttr(default=frozenset())

    def __init__(self, **data: Any):
        env_vars = take_env_vars(data)
        super().__init__(**data)
        self._env_vars = env_vars

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield name, (MASK if name in self._secret_fields else value)


class PermissiveConfig(Config):
    """A ``Config`` that accepts fields it does not declare."""

    model_config = ConfigDict(extra="allow", frozen=True)


class RunConfig:
    """Run config built from ``Config`` objects: ``RunConfig({"my_asset": MyConfig(x=1)})``.

    Args:
        ops: config per asset/op name, as ``Config`` objects or plain dicts.
        resources: config per resource key.
        loggers: accepted for compatibility, not used.
        execution: executor config (``{"config": {"max_concurrent": 4}}``).
    """

    def __init__(
        self,
        ops: Mapping[str, Any] | None = None,
        resources: Mapping[str, Any] | None = None,
        loggers: Mapping[str, Any] | None = None,
        execution: Mapping[str, Any] | None = None,
    ):
        self.ops = dict(ops or {})
        self.resources = dict(resources or {})
        self.loggers = dict(loggers or {})
        self.execution = dict(execution or {})

    def to_config_dict(self) -> dict[str, Any]:
        """The dict form: ``{"ops": {name: {"config": {...}}}, ...}``."""

        def as_config(value: Any) -> Any:
            if isinstance(value, BaseModel):
                return {"config": config_value_dict(value)}
            return value

        out: dict[str, Any] = {}
        if self.ops:
            out["ops"] = {name: as_config(v) for name, v in self.ops.items()}
        if self.resources:
            out["resources"] = {name: as_config(v) for name, v in self.resources.items()}
        if self.execution:
            out["execution"] = self.execution
        return out


def run_config_dict(run_config: RunConfig | Mapping[str, Any] | None) -> dict[str, Any]:
    """Any accepted run config as its dict form."""
    if run_config is None:
        return {}
    if isinstance(run_config, RunConfig):
        return run_config.to_config_dict()
    if not isinstance(run_config, Mapping):
        raise ConfigError(
            f"run_config must be a RunConfig or a dict like {{'ops': {{...}}}}; got {run_config!r}."
        )
    return dict(run_config)


def op_config_value(run_config: Mapping[str, Any], op_name: str) -> Any:
    """The raw config given to ``op_name`` in a run config dict (or ``None``)."""
    ops = run_config.get("ops") or {}
    entry = ops.get(op_name)
    if entry is None:
        return None
    if isinstance(entry, BaseModel):
        return entry
    if isinstance(entry, Mapping) and "config" in entry:
        return entry["config"]
    return entry


def config_value_dict(value: BaseModel) -> dict[str, Any]:
    """A config object as a plain dict, its ``EnvVar`` fields as ``{"env": NAME}``.

    This is the form stored with a run: the variable's name, never its value.
    """
    out = value.model_dump()
    env_vars: dict[str, EnvVar] = getattr(value, "_env_vars", {})
    for name in type(value).model_fields:
        nested = getattr(value, name, None)
        if name in env_vars:
            out[name] = {"env": env_vars[name].env_var_name}
        elif isinstance(nested, Config):
            out[name] = config_value_dict(nested)
    return out


def _env_reference(value: Any) -> EnvVar | None:
    if isinstance(value, EnvVar):
        return value
    if isinstance(value, Mapping) and list(value) == ["env"] and isinstance(value["env"], str):
        return EnvVar(value["env"])
    return None


def _resolve_env(config_cls: type[BaseModel], raw: Any, where: str) -> tuple[Any, set[str]]:
    """``raw`` with each ``EnvVar`` / ``{"env": NAME}`` field replaced by the variable's value."""
    if not isinstance(raw, Mapping):
        return raw, set()
    resolved = dict(raw)
    secret: set[str] = set()
    for name, field_info in config_cls.model_fields.items():
        if name not in resolved:
            continue
        var = _env_reference(resolved[name])
        annotation = field_info.annotation
        if var is not None:
            resolved[name] = var.resolve(f"config field {name!r} of {where}")
            secret.add(name)
        elif isinstance(annotation, type) and issubclass(annotation, Config):
            resolved[name], _ = _resolve_env(annotation, resolved[name], where)
    return resolved, secret


def _validate(
    config_cls: type[Config], raw: Any
) -> tuple[Config | None, list[tuple[tuple[str, ...], str]]]:
    """The built config, or ``None`` and each problem as (field path, what is wrong).

    A problem's input value is left out on purpose: it may be a secret read from the env.
    """
    try:
        return config_cls.model_validate(raw or {}), []
    except ValidationError as exc:
        return None, [(tuple(str(p) for p in err["loc"]), err["msg"]) for err in exc.errors()]


def config_problems(
    config_cls: type[Config], raw: Any, where: str
) -> list[tuple[tuple[str, ...], str]]:
    """Each field of ``raw`` that does not fit ``config_cls``, checked as :func:`build_config`
    checks it when the run starts (``EnvVar`` fields read from the environment).

    Returns:
        (field path, what is wrong) per problem; empty when ``raw`` fits.

    Raises:
        ConfigError: an ``EnvVar`` field names a variable that is not set.
    """
    if isinstance(raw, BaseModel):
        raw = config_value_dict(raw)
    resolved, _secret = _resolve_env(config_cls, raw, where)
    return _validate(config_cls, resolved)[1]


def build_config(config_cls: type[Config], raw: Any, where: str) -> Config:
    """Validate ``raw`` against ``config_cls``; a :class:`ConfigError` names each bad field.

    ``EnvVar`` fields are read from the environment here, when the run starts.
    """
    if isinstance(raw, config_cls) and not raw._env_vars:
        return raw
    if isinstance(raw, BaseModel):
        raw = config_value_dict(raw)
    raw, secret = _resolve_env(config_cls, raw, where)
    built, problems = _validate(config_cls, raw)
    if built is None:
        raise ConfigError(
            f"Config for {where} does not fit {config_cls.__name__}:\n"
            + "\n".join(f"  - {'.'.join(loc) or '(root)'}: {msg}" for loc, msg in problems)
            + f"\nFix these fields of {config_cls.__name__} in the run config "
            "({'ops': {name: {'config': {...}}}} or RunConfig)."
        ) from None
    built._secret_fields = frozenset(secret)
    return built
