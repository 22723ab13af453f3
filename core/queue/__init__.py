"""The generation queue: jobs, live and batch runs, the budget, events, and building a run from a project.

`GenerationQueue` (service) runs a teacher's pending jobs through `LiveRun` or `BatchRun`, which share
only `RunContext`; `jobs` enqueues, counts, retries and recovers jobs; `events` is what watchers receive;
`wiring` builds a queue from a project for the command line and the studio alike.
"""

from core.queue.budget import Budget, usage_problem
from core.queue.context import JobSetupError, QueueConfig, RunContext
from core.queue.events import (BatchPolled, BatchSubmitted, CostUpdated, Estimate, JobFailed, JobFinished,
                               JobStarted, QueueEvent, QueuePaused, QueueStats, QueueStopped, QueueSummary,
                               RetryWaiting)
from core.queue.jobs import (EnqueueResult, Recovery, enqueue, job_counts, job_key, recover, retry_failed,
                             select_passages)
from core.queue.service import GenerationQueue
from core.queue.wiring import build_queue, enqueue_passages

__all__ = ["BatchPolled", "BatchSubmitted", "Budget", "CostUpdated", "EnqueueResult", "Estimate", "GenerationQueue",
           "JobFailed", "JobFinished", "JobSetupError", "JobStarted", "QueueConfig", "QueueEvent", "QueuePaused",
           "QueueStats", "QueueStopped", "QueueSummary", "Recovery", "RetryWaiting", "RunContext", "build_queue",
           "enqueue", "enqueue_passages", "job_counts", "job_key", "recover", "retry_failed", "select_passages",
           "usage_problem"]
