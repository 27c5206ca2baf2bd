"""One error hierarchy for assettui.

Every error the library raises derives from :class:`AssettuiError` (also importable under
Dagster's name, ``DagsterError``). Each domain has one subclass; the Dagster names users
catch in their tests are aliases or subclasses of these, so ``except dg.DagsterError`` and
``pytest.raises(dg.DagsterInvalidDefinitionError)`` keep working after a port.

Messages name the offending asset, key, partition or file and say what to do.
"""

from __future__ import annotations


class AssettuiError(Exception):
    """Base class of every error assettui raises on purpose."""


class DefinitionError(AssettuiError):
    """A definition (asset, check, job, schedule, sensor, Definitions) is invalid."""


class SelectionError(AssettuiError):
    """An asset selection does not parse or names assets that do not exist."""


class PartitionError(AssettuiError):
    """A partitions definition or a partition key is invalid."""


class ConfigError(AssettuiError):
    """Run config or resource config does not fit its schema."""


class ProjectLoadError(AssettuiError):
    """A user's project could not be found or imported."""


class StorageError(AssettuiError):
    """The instance database cannot be opened, migrated or written."""


class ExecutionError(AssettuiError):
    """A step of a run failed (the user's exception is the ``__cause__``)."""

    def __init__(self, message: str, *, user_exception: BaseException | None = None):
        super().__init__(message)
        self.user_exception = user_exception


class ScheduleError(AssettuiError):
    """A schedule or sensor definition or evaluation is invalid."""


class RunNotFoundError(StorageError):
    """No run with the given id exists in the instance."""


class InvalidRunTransitionError(StorageError):
    """A run status change that the run lifecycle does not allow."""


# Dagster's names, so ported code and tests keep working.
DagsterError = AssettuiError
DagsterInvalidDefinitionError = DefinitionError
DagsterInvalidSubsetError = SelectionError
DagsterInvalidConfigError = ConfigError
DagsterExecutionStepExecutionError = ExecutionError
DagsterRunNotFoundError = RunNotFoundError


class DagsterInvariantViolationError(AssettuiError):
    """An API was used in a way it does not support (Dagster's name)."""


class DagsterInvalidInvocationError(AssettuiError):
    """An asset or op was invoked directly with the wrong arguments (Dagster's name)."""


class DagsterUnknownPartitionError(PartitionError):
    """A partition key that the partitions definition does not contain (Dagster's name)."""


class DagsterInvalidPropertyError(AssettuiError):
    """A context property that has no value in this context (Dagster's name)."""


class DagsterTypeCheckDidNotPass(ExecutionError):
    """An output failed its type check (Dagster's name)."""


class DagsterUserCodeExecutionError(ExecutionError):
    """User code raised while a run executed it (Dagster's name)."""


class Failure(Exception):
    """Raise inside an asset to fail its step with a description and metadata (Dagster's name).

    Args:
        description: what went wrong.
        metadata: metadata recorded with the failure.
        allow_retries: whether the step's retry policy may retry it.
    """

    def __init__(
        self,
        description: str | None = None,
        metadata: dict | None = None,
        allow_retries: bool | None = None,
    ):
        super().__init__(description)
        self.description = description
        self.metadata = dict(metadata or {})
        self.allow_retries = True if allow_retries is None else allow_retries


class RetryRequested(Exception):
    """Raise inside an asset to retry its step (Dagster's name).

    Args:
        max_retries: how many retries to allow in all.
        seconds_to_wait: delay before the retry.
    """

    def __init__(self, max_retries: int = 1, seconds_to_wait: float | None = None):
        super().__init__(f"Retry requested (max_retries={max_retries})")
        self.max_retries = max_retries
        self.seconds_to_wait = seconds_to_wait
