"""Python client of the Arvak gRPC service.

    >>> from arvak_grpc import ArvakClient
    >>> with ArvakClient("localhost:50051") as client:
    ...     job_id = client.submit_qasm(bell, "simulator", shots=1000)
    ...     print(client.wait_for_job(job_id).counts)

A drop-in replacement of `arvak_grpc` 1.6: the same names and signatures,
with TLS and credentials, futures the server pushes, retries that never
make a second job, and errors chosen by status code.
"""

from .async_client import AsyncArvakClient, ConnectionPool
from .batch_manager import BatchJobManager, BatchProgress, BatchResult, BatchStatus, print_progress_bar
from .client import ArvakClient
from .dataframe_integration import (
    DataFrameConverter,
    StatisticalAnalyzer,
    Visualizer,
    batch_to_pandas,
    batch_to_polars,
    to_pandas,
    to_polars,
)
from .exceptions import (
    ArvakAuthenticationError,
    ArvakBackendNotFoundError,
    ArvakConflictError,
    ArvakError,
    ArvakInvalidCircuitError,
    ArvakJobFailedError,
    ArvakJobNotCompletedError,
    ArvakJobNotFoundError,
    ArvakPermissionDeniedError,
    ArvakResourceExhaustedError,
    ArvakTimeoutError,
    ArvakUnavailableError,
    CancelledError,
)
from .job_future import JobFuture, as_completed, wait
from .result_analysis import (
    AggregatedResult,
    ComparisonResult,
    ConvergenceAnalysis,
    ConvergenceAnalyzer,
    ResultAggregator,
    ResultComparator,
    ResultTransformer,
    batch_compare,
    group_by_similarity,
)
from .result_cache import CachedClient, DiskCache, MemoryCache, TwoLevelCache
from .result_export import BatchExporter, ResultExporter, get_parquet_metadata
from .retry_policy import (
    DEFAULT_RETRY,
    NO_RETRY,
    CircuitBreaker,
    CircuitBreakerConfig,
    CircuitBreakerError,
    CircuitState,
    ResilientClient,
    RetryPolicy,
    RetryStrategy,
    with_circuit_breaker,
    with_retry,
)
from .types import BackendInfo, Job, JobPage, JobPriority, JobResult, JobState

__version__ = "2.0.0"

__all__ = [
    "AggregatedResult",
    "ArvakAuthenticationError",
    "ArvakBackendNotFoundError",
    "ArvakClient",
    "ArvakConflictError",
    "ArvakError",
    "ArvakInvalidCircuitError",
    "ArvakJobFailedError",
    "ArvakJobNotCompletedError",
    "ArvakJobNotFoundError",
    "ArvakPermissionDeniedError",
    "ArvakResourceExhaustedError",
    "ArvakTimeoutError",
    "ArvakUnavailableError",
    "AsyncArvakClient",
    "BackendInfo",
    "BatchExporter",
    "BatchJobManager",
    "BatchProgress",
    "BatchResult",
    "BatchStatus",
    "CachedClient",
    "CancelledError",
    "CircuitBreaker",
    "CircuitBreakerConfig",
    "CircuitBreakerError",
    "CircuitState",
    "ComparisonResult",
    "ConnectionPool",
    "ConvergenceAnalysis",
    "ConvergenceAnalyzer",
    "DEFAULT_RETRY",
    "DataFrameConverter",
    "DiskCache",
    "Job",
    "JobFuture",
    "JobPage",
    "JobPriority",
    "JobResult",
    "JobState",
    "MemoryCache",
    "NO_RETRY",
    "ResilientClient",
    "ResultAggregator",
    "ResultComparator",
    "ResultExporter",
    "ResultTransformer",
    "RetryPolicy",
    "RetryStrategy",
    "StatisticalAnalyzer",
    "TwoLevelCache",
    "Visualizer",
    "as_completed",
    "batch_compare",
    "batch_to_pandas",
    "batch_to_polars",
    "get_parquet_metadata",
    "group_by_similarity",
    "print_progress_bar",
    "to_pandas",
    "to_polars",
    "wait",
    "with_circuit_breaker",
    "with_retry",
]
