"""Retry and backfill policies (Dagster's ``RetryPolicy``, ``Backoff``, ``Jitter``, ``BackfillPolicy``)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum

from assettui.errors import DefinitionError


class Backoff(Enum):
    """How the delay between retries grows."""

    LINEAR = "LINEAR"
    EXPONENTIAL = "EXPONENTIAL"


class Jitter(Enum):
    """Randomness added to the delay between retries."""

    FULL = "FULL"
    PLUS_MINUS = "PLUS_MINUS"


@dataclass(frozen=True)
class RetryPolicy:
    """Retry a failed step up to ``max_retries`` times.

    Args:
        max_retries: how many times to retry after the first failure.
        delay: seconds to wait before a retry (``None``: retry at once).
        backoff: grow the delay linearly or exponentially with the attempt number.
        jitter: randomize the delay (``FULL``: 0..delay; ``PLUS_MINUS``: delay +/- delay).
    """

    max_retries: int = 1
    delay: float | None = None
    backoff: Backoff | None = None
    jitter: Jitter | None = None

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise DefinitionError(f"RetryPolicy max_retries must be >= 0, got {self.max_retries}.")
        if self.delay is not None and self.delay < 0:
            raise DefinitionError(f"RetryPolicy delay must be >= 0, got {self.delay}.")
        if (self.backoff or self.jitter) and self.delay is None:
            raise DefinitionError("RetryPolicy backoff and jitter need a delay.")

    def delay_for_attempt(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (1 for the first retry)."""
        if not self.delay:
            return 0.0
        delay = float(self.delay)
        if self.backoff is Backoff.LINEAR:
            delay = delay * attempt
        elif self.backoff is Backoff.EXPONENTIAL:
            delay = delay * (2 ** (attempt - 1))
        rng = rng or random.Random()
        if self.jitter is Jitter.FULL:
            delay = rng.random() * delay
        elif self.jitter is Jitter.PLUS_MINUS:
            delay = max(0.0, delay + (rng.random() * 2 - 1) * delay)
        return delay


@dataclass(frozen=True)
class BackfillPolicy:
    """How a backfill groups the partitions of an asset into runs.

    Use :meth:`single_run` (one run over the whole range) or :meth:`multi_run`.
    """

    max_partitions_per_run: int | None = 1

    @staticmethod
    def single_run() -> BackfillPolicy:
        """One run covers every partition of the backfill."""
        return BackfillPolicy(max_partitions_per_run=None)

    @staticmethod
    def multi_run(max_partitions_per_run: int = 1) -> BackfillPolicy:
        """Runs of at most ``max_partitions_per_run`` partitions each."""
        if max_partitions_per_run < 1:
            raise DefinitionError("BackfillPolicy.multi_run needs max_partitions_per_run >= 1.")
        return BackfillPolicy(max_partitions_per_run=max_partitions_per_run)

    @property
    def policy_type(self) -> str:
        return "SINGLE_RUN" if self.max_partitions_per_run is None else "MULTI_RUN"
