"""The service's records as plain Python values.

`Job`, `JobResult` and `BackendInfo` carry the fields the old client's
dataclasses had, in the same order, so code that builds or reads them
keeps working; the fields the service added since (priority, tags, queue
position, attempts) come after, with defaults.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class JobState(enum.IntEnum):
    """A job's state; the values are the wire's (`arvak.v1.JobState`)."""

    UNSPECIFIED = 0
    QUEUED = 1
    RUNNING = 2
    COMPLETED = 3
    FAILED = 4
    CANCELED = 5
    #: Ran fine; the result was purged by the server's retention.
    RESULT_EXPIRED = 6

    @property
    def is_terminal(self) -> bool:
        """Whether the job has ended and will not change again."""
        return self in _TERMINAL

    @classmethod
    def of(cls, value: int) -> JobState:
        """The state for a wire value; a value this client does not know
        (a newer server) reads as UNSPECIFIED rather than failing."""
        try:
            return cls(value)
        except ValueError:
            return cls.UNSPECIFIED


_TERMINAL = frozenset({JobState.COMPLETED, JobState.FAILED, JobState.CANCELED, JobState.RESULT_EXPIRED})


class JobPriority(enum.IntEnum):
    """Where a job stands in its backend's queue (`arvak.v1.JobPriority`)."""

    UNSPECIFIED = 0
    LOW = 1
    NORMAL = 2
    HIGH = 3


def shares(counts: dict[str, int]) -> dict[str, float]:
    """Each outcome's share of the counts ({} when nothing was counted)."""
    total = sum(counts.values())
    if total == 0:
        return {}
    return {outcome: n / total for outcome, n in counts.items()}


@dataclass
class Job:
    """A job as the service reports it."""

    job_id: str
    state: JobState
    submitted_at: datetime
    backend_id: str
    shots: int
    started_at: datetime | None = None
    completed_at: datetime | None = None
    error_message: str | None = None
    priority: JobPriority = JobPriority.NORMAL
    tags: dict[str, str] = field(default_factory=dict)
    #: 1-based place in its backend's queue; 0 when not queued.
    queue_position: int = 0
    #: How many times a worker has started the job.
    attempts: int = 0

    @property
    def is_terminal(self) -> bool:
        return self.state.is_terminal


@dataclass
class JobResult:
    """A completed job's measurement counts.

    Keys are bitstrings over the classical bits, bit 0 rightmost (the
    OpenQASM and Qiskit order).
    """

    job_id: str
    counts: dict[str, int]
    shots: int
    execution_time_ms: int | None = None
    metadata: dict[str, Any] | None = None

    @property
    def probabilities(self) -> dict[str, float]:
        """Each outcome's share of the shots counted."""
        return shares(self.counts)

    def most_frequent(self) -> tuple[str, float] | None:
        """The most frequent outcome and its probability (the first in
        bitstring order among ties); None when nothing was counted."""
        if not self.counts:
            return None
        total = sum(self.counts.values())
        outcome = min(self.counts, key=lambda k: (-self.counts[k], k))
        return outcome, (self.counts[outcome] / total if total else 0.0)


@dataclass
class BackendInfo:
    """A backend as the service describes it."""

    backend_id: str
    name: str
    is_available: bool
    max_qubits: int
    max_shots: int
    description: str
    supported_gates: list[str]
    #: The coupling map and what else the backend publishes, or None.
    topology: dict[str, Any] | None = None


@dataclass
class JobPage:
    """One page of `list_jobs`: the jobs, newest first, and the token of
    the next page (None on the last)."""

    jobs: list[Job]
    next_page_token: str | None
