"""The run config a job's launch starts from: every op's config, defaults filled in."""

from __future__ import annotations

from typing import Any

from assettui.model.config_schema import config_template
from assettui.model.ops.graph import GraphDefinition


def op_job_config_template(graph: GraphDefinition) -> dict[str, Any]:
    """``{"ops": {...}}`` with an entry per op (nested under graph nodes) that takes config:
    its ``config_schema``'s defaults and placeholders, or its ``Config`` class's defaults."""
    ops: dict[str, Any] = {}
    for name, node in graph.nodes.items():
        definition = node.definition
        if isinstance(definition, GraphDefinition):
            inner = op_job_config_template(definition)
            if inner:
                ops[name] = inner
            continue
        if definition.config_schema is not None:
            ops[name] = {"config": config_template(definition.config_schema)}
        elif definition.config_param is not None:
            _param, config_type = definition.config_param
            fields = {
                field: info.default
                for field, info in config_type.model_fields.items()
                if not info.is_required()
            }
            ops[name] = {"config": fields}
    return {"ops": ops} if ops else {}
