"""Stand-in for ``dagster._core.errors``: Dagster's error classes."""

from assettui.errors import (
    DagsterError,
    DagsterExecutionStepExecutionError,
    DagsterInvalidConfigError,
    DagsterInvalidDefinitionError,
    DagsterInvalidInvocationError,
    DagsterInvalidPropertyError,
    DagsterInvalidSubsetError,
    DagsterInvariantViolationError,
    DagsterRunNotFoundError,
    DagsterTypeCheckDidNotPass,
    DagsterUnknownPartitionError,
    DagsterUserCodeExecutionError,
)

__all__ = [
    "DagsterError",
    "DagsterExecutionStepExecutionError",
    "DagsterInvalidConfigError",
    "DagsterInvalidDefinitionError",
    "DagsterInvalidInvocationError",
    "DagsterInvalidPropertyError",
    "DagsterInvalidSubsetError",
    "DagsterInvariantViolationError",
    "DagsterRunNotFoundError",
    "DagsterTypeCheckDidNotPass",
    "DagsterUnknownPartitionError",
    "DagsterUserCodeExecutionError",
]
