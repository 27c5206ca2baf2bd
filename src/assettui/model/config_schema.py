"""Dagster's older config schemas: ``config_schema={"n": int}``, ``Field``, ``Shape``, ...

An op (or a ``@resource``) with a ``config_schema`` gets its config checked and defaults
filled in before it runs: :func:`process_config` returns the value the op sees as
``context.op_config``, or raises a ``DagsterInvalidConfigError`` naming each bad field.
"""

from __future__ import annotations

import enum as _enum
import os
from collections.abc import Mapping, Sequence
from typing import Any

from assettui.errors import ConfigError
from assettui.model.secrets import register_secret

_NO_DEFAULT = object()


class Field:
    """A config field: its type, whether it is required, and its default."""

    def __init__(
        self,
        config: Any = Any,
        default_value: Any = _NO_DEFAULT,
        is_required: bool | None = None,
        description: str | None = None,
    ):
        self.config_type = config
        self.default_value = default_value
        self.description = description
        has_default = default_value is not _NO_DEFAULT
        self.is_required = (
            (not has_default and not _optional(config)) if is_required is None else is_required
        )

    @property
    def has_default_value(self) -> bool:
        return self.default_value is not _NO_DEFAULT


class Shape:
    """A dict with these fields (what a plain ``{"a": int}`` schema means)."""

    def __init__(self, fields: Mapping[str, Any], description: str | None = None):
        self.fields = dict(fields)
        self.description = description


class Permissive(Shape):
    """A dict with these fields and any others."""

    def __init__(self, fields: Mapping[str, Any] | None = None, description: str | None = None):
        super().__init__(fields or {}, description)


class Selector(Shape):
    """A dict with exactly one of these fields."""


class Map:
    """A dict of any keys of ``key_type`` to values of ``inner_type``."""

    def __init__(self, key_type: Any, inner_type: Any, key_label_name: str | None = None):
        self.key_type = key_type
        self.inner_type = inner_type


class Array:
    """A list of ``inner_type`` values."""

    def __init__(self, inner_type: Any):
        self.inner_type = inner_type


class Noneable:
    """``inner_type`` or ``None``."""

    def __init__(self, inner_type: Any):
        self.inner_type = inner_type


class ScalarUnion:
    """A scalar of ``scalar_type`` or a value of ``non_scalar_schema``."""

    def __init__(self, scalar_type: Any, non_scalar_schema: Any):
        self.scalar_type = scalar_type
        self.non_scalar_schema = non_scalar_schema


class EnumValue:
    def __init__(self, config_value: str, python_value: Any = None, description: str | None = None):
        self.config_value = config_value
        self.python_value = config_value if python_value is None else python_value
        self.description = description


class Enum:
    """One of a fixed set of string values."""

    def __init__(self, name: str, enum_values: Sequence[EnumValue]):
        self.name = name
        self.enum_values = list(enum_values)

    @classmethod
    def from_python_enum(cls, enum: type[_enum.Enum]) -> Enum:
        return cls(enum.__name__, [EnumValue(m.name, m) for m in enum])


class _Source:
    """A value given directly or as ``{"env": "NAME"}`` (``StringSource``, ...)."""

    def __init__(self, name: str, scalar: type):
        self.name = name
        self.scalar = scalar


StringSource = _Source("StringSource", str)
IntSource = _Source("IntSource", int)
BoolSource = _Source("BoolSource", bool)


def _optional(config: Any) -> bool:
    if isinstance(config, Noneable):
        return True
    shape = _as_shape(config)
    if shape is not None and not isinstance(shape, Selector):
        return all(not _field(f).is_required for f in shape.fields.values())
    return False


def _field(value: Any) -> Field:
    return value if isinstance(value, Field) else Field(value)


def _as_shape(config: Any) -> Shape | None:
    if isinstance(config, Shape):
        return config
    if isinstance(config, dict):
        return Shape(config)
    return None


def process_config(schema: Any, value: Any, where: str) -> Any:
    """``value`` checked against ``schema``, with defaults filled in.

    Raises:
        ConfigError: listing every problem, each with its path (``where.field``).
    """
    problems: list[str] = []
    result = _process(schema, value, where, problems)
    if problems:
        raise ConfigError(f"Invalid config for {where}:\n  " + "\n  ".join(problems))
    return result


def _process(schema: Any, value: Any, path: str, problems: list[str]) -> Any:
    if isinstance(schema, Field):
        if value is None and schema.has_default_value:
            return schema.default_value
        return _process(schema.config_type, value, path, problems)
    if schema is Any or schema is None:
        return value
    if isinstance(schema, Noneable):
        return None if value is None else _process(schema.inner_type, value, path, problems)
    shape = _as_shape(schema)
    if shape is not None:
        return _shape(shape, value, path, problems)
    if isinstance(schema, (list, Array)):
        inner = schema.inner_type if isinstance(schema, Array) else schema[0]
        if not isinstance(value, list):
            problems.append(f"{path}: expected a list, got {value!r}.")
            return value
        return [_process(inner, v, f"{path}[{i}]", problems) for i, v in enumerate(value)]
    if isinstance(schema, Map):
        if not isinstance(value, Mapping):
            problems.append(f"{path}: expected a dict, got {value!r}.")
            return value
        return {
            k: _process(schema.inner_type, v, f"{path}.{k}", problems) for k, v in value.items()
        }
    if isinstance(schema, Enum):
        for member in schema.enum_values:
            if value == member.config_value:
                return member.python_value
        allowed = ", ".join(m.config_value for m in schema.enum_values)
        problems.append(f"{path}: {value!r} is not one of {allowed}.")
        return value
    if isinstance(schema, _Source):
        if isinstance(value, Mapping) and set(value) == {"env"}:
            name = value["env"]
            if name not in os.environ:
                problems.append(f"{path}: environment variable {name!r} is not set.")
                return None
            raw = os.environ[name]
            register_secret(raw)
            return _scalar(schema.scalar, raw, path, problems, from_env=True)
        return _scalar(schema.scalar, value, path, problems)
    if isinstance(schema, ScalarUnion):
        if isinstance(value, (str, int, float, bool)):
            return _process(schema.scalar_type, value, path, problems)
        return _process(schema.non_scalar_schema, value, path, problems)
    if schema in (int, float, str, bool):
        return _scalar(schema, value, path, problems)
    return value


def _shape(shape: Shape, value: Any, path: str, problems: list[str]) -> Any:
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        problems.append(f"{path}: expected a dict, got {value!r}.")
        return value
    fields = {k: _field(v) for k, v in shape.fields.items()}
    unknown = sorted(set(value) - set(fields))
    if unknown and not isinstance(shape, Permissive):
        problems.append(
            f"{path}: unknown field(s) {', '.join(unknown)} (fields: {', '.join(fields) or 'none'})."
        )
    if isinstance(shape, Selector):
        if len(value) != 1:
            problems.append(f"{path}: give exactly one of {', '.join(fields)}.")
            return dict(value)
        ((key, inner),) = value.items()
        if key not in fields:
            return dict(value)
        return {key: _process(fields[key], inner, f"{path}.{key}", problems)}
    out = dict(value) if isinstance(shape, Permissive) else {}
    for name, field in fields.items():
        if name in value:
            out[name] = _process(field, value[name], f"{path}.{name}", problems)
        elif field.has_default_value:
            out[name] = field.default_value
        elif field.is_required:
            problems.append(f"{path}.{name}: missing required field.")
        elif _as_shape(field.config_type) is not None:
            out[name] = _process(field.config_type, {}, f"{path}.{name}", problems)
    return out


def _scalar(kind: type, value: Any, path: str, problems: list[str], from_env: bool = False) -> Any:
    if from_env and kind is not str:
        try:
            if kind is bool:
                return value.strip().lower() in ("1", "true", "yes")
            return kind(value)
        except ValueError:
            problems.append(f"{path}: {value!r} from the environment is not a {kind.__name__}.")
            return value
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not ok:
        problems.append(f"{path}: expected {kind.__name__}, got {value!r}.")
    return value


def config_template(schema: Any) -> Any:
    """A value of ``schema`` to start editing from: defaults where there are, else a
    placeholder of the right type (``0``, ``""``, ``[]``, ...)."""
    if isinstance(schema, Field):
        if schema.has_default_value:
            return schema.default_value
        return config_template(schema.config_type)
    if isinstance(schema, Noneable):
        return None
    shape = _as_shape(schema)
    if shape is not None:
        if isinstance(shape, Selector):
            first = next(iter(shape.fields), None)
            return {} if first is None else {first: config_template(shape.fields[first])}
        return {name: config_template(field) for name, field in shape.fields.items()}
    if isinstance(schema, (list, Array)):
        return []
    if isinstance(schema, Map):
        return {}
    if isinstance(schema, Enum):
        return schema.enum_values[0].config_value if schema.enum_values else ""
    if isinstance(schema, _Source):
        return schema.scalar()
    if isinstance(schema, ScalarUnion):
        return config_template(schema.scalar_type)
    if schema in (int, float, str, bool):
        return schema()
    return None
