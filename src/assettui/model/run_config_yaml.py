"""Run config as YAML: defaults to start from, and reading it with field-by-field errors.

The one reader of run config YAML: the launch dialog (:mod:`assettui.tui.screens.launch_dialog`)
shows the text this module writes and the errors it finds, and ``assettui materialize
--config FILE`` reads its file with the same checks. The YAML is Dagster's run config shape::

    ops:
      my_asset:
        config:
          limit: 10
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic_core import to_jsonable_python

from assettui.errors import ConfigError
from assettui.model.asset_graph import AssetGraph
from assettui.model.asset_key import AssetKey
from assettui.model.config import Config, config_problems, op_config_value

RUN_CONFIG_SECTIONS = ("ops", "resources", "execution", "loggers")


@dataclass(frozen=True)
class ConfigTarget:
    """One function of a launch that takes a ``Config``: its node (op) name and schema."""

    node_name: str
    config_type: type[Config]


def config_targets(graph: AssetGraph, keys: Iterable[AssetKey]) -> list[ConfigTarget]:
    """The functions among ``keys``' definitions that take a ``Config``, in ``keys`` order."""
    found: dict[str, ConfigTarget] = {}
    for key in keys:
        adef = graph.get(key).assets_def
        params = adef.params
        if params is not None and params.config_type is not None and params.config_param:
            found.setdefault(adef.node_name, ConfigTarget(adef.node_name, params.config_type))
    return list(found.values())


def default_run_config_yaml(targets: Sequence[ConfigTarget]) -> str:
    """Run config YAML with every field at its default.

    A required field without default is left empty with a ``# required`` comment (so
    launching without filling it in names the field); a field's description becomes a
    comment.
    """
    lines = ["ops:"]
    for target in targets:
        lines += [f"  {target.node_name}:", "    config:"]
        body = _fields_yaml(target.config_type, indent=6)
        lines += body or ["      {}"]
    return "\n".join(lines) + "\n"


def _fields_yaml(config_type: type[Config], indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    for name, info in config_type.model_fields.items():
        comment = f"  # {info.description}" if info.description else ""
        if info.is_required():
            annotation = info.annotation
            if inspect.isclass(annotation) and issubclass(annotation, Config):
                lines.append(f"{pad}{name}:{comment}")
                lines += _fields_yaml(annotation, indent + 2)
                continue
            what = f"required: {_type_name(annotation)}"
            note = f"{what} · {info.description}" if info.description else what
            lines.append(f"{pad}{name}:  # {note}")
            continue
        value = to_jsonable_python(info.get_default(call_default_factory=True))
        dumped = yaml.safe_dump(
            {name: value}, sort_keys=False, default_flow_style=False, allow_unicode=True
        ).splitlines()
        lines.append(f"{pad}{dumped[0]}{comment}")
        lines += [pad + line for line in dumped[1:]]
    return lines


def _type_name(annotation: Any) -> str:
    if inspect.isclass(annotation) and not getattr(annotation, "__args__", None):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def read_run_config_yaml(text: str) -> dict[str, Any]:
    """Parse run config YAML and check its sections (not the ops' fields: for an op job the
    engine checks those against each op's ``config_schema``).

    Raises:
        ConfigError: a YAML syntax error (with its line and column), or a wrong shape.
    """
    try:
        parsed = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        raise ConfigError(_yaml_problem(exc)) from None
    if parsed is None:
        parsed = {}
    if not isinstance(parsed, Mapping):
        raise ConfigError(
            f"The run config must be a mapping with an 'ops:' key; got {type(parsed).__name__}."
        )
    unknown = [str(k) for k in parsed if k not in RUN_CONFIG_SECTIONS]
    if unknown:
        raise ConfigError(
            f"Unknown run config section(s) {', '.join(map(repr, unknown))}; "
            f"use {', '.join(RUN_CONFIG_SECTIONS)}."
        )
    return dict(parsed)


def parse_run_config(text: str, targets: Sequence[ConfigTarget]) -> dict[str, Any]:
    """Parse run config YAML and check each target's config against its schema.

    Args:
        text: the YAML.
        targets: the functions of the launch that take a ``Config``.

    Returns:
        The run config dict, ready for ``RunLauncher.launch(run_config=...)``.

    Raises:
        ConfigError: a YAML syntax error (with its line and column), a wrong shape, or the
            fields that do not fit a schema (one line per field).
    """
    parsed = read_run_config_yaml(text)
    ops = parsed.get("ops") or {}
    if not isinstance(ops, Mapping):
        raise ConfigError("'ops:' must map asset names to their config.")
    names = {t.node_name for t in targets}
    strangers = [str(k) for k in ops if k not in names]
    if strangers:
        raise ConfigError(
            f"ops: no asset of this launch named {', '.join(map(repr, strangers))} takes config; "
            f"config goes under {', '.join(map(repr, sorted(names))) or 'no asset'}."
        )
    problems: list[str] = []
    for target in targets:
        entry = ops.get(target.node_name)
        if entry is not None and not (isinstance(entry, Mapping) and set(entry) <= {"config"}):
            problems.append(f"ops.{target.node_name}: put the fields under 'config:'.")
            continue
        problems += field_problems(target, op_config_value(parsed, target.node_name))
    if problems:
        raise ConfigError("\n".join(problems))
    return dict(parsed)


def field_problems(target: ConfigTarget, raw: Any) -> list[str]:
    """``ops.<name>.config.<field>: <what is wrong>`` for each field that does not fit.

    The engine's own check (:func:`assettui.model.config.config_problems`, as when the run
    starts, ``EnvVar`` fields included), with each problem named by its path in the YAML.
    """
    where = f"ops.{target.node_name}.config"
    try:
        problems = config_problems(target.config_type, raw, f"asset {target.node_name!r}")
    except ConfigError as exc:  # an EnvVar whose variable is not set
        return [f"{where}: {exc}"]
    return [f"{'.'.join([where, *loc])}: {msg}" for loc, msg in problems]


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is None:
        return f"The YAML does not parse: {problem}."
    return f"YAML error at line {mark.line + 1}, column {mark.column + 1}: {problem}."
