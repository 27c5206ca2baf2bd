"""Pipes: external processes reporting into a run (``assettui.pipes``, also ``dagster_pipes``'
orchestration names)."""

from assettui.integrations.pipes.client import (
    DagsterPipesExecutionError,
    PipesClientCompletedInvocation,
    PipesSubprocessClient,
)

__all__ = ["DagsterPipesExecutionError", "PipesClientCompletedInvocation", "PipesSubprocessClient"]
