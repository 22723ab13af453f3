"""Message Batches: many requests at the batch discount, answered within 24 hours, results in any order.

The queue stores the batch id on every job it submitted before it polls, so a restarted app polls the same
batch again instead of submitting (and paying for) the jobs twice.  Each job's `custom_id` is its idempotency
key, which is how out-of-order results find their jobs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from core.teacher.anthropic_teacher import AnthropicTeacher, result_from_message
from core.teacher.apikey import redact
from core.teacher.base import TeacherRequest, TeacherResult

MAX_BATCH_REQUESTS = 10_000  # the API allows 100,000; smaller batches finish and can be reviewed sooner
RETRYABLE_ERROR_TYPES = {"overloaded_error", "api_error", "rate_limit_error", "timeout_error"}


@dataclass
class BatchStatus:
    batch_id: str
    processing_status: str  # in_progress | canceling | ended
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ended(self) -> bool:
        return self.processing_status == "ended"


@dataclass
class BatchOutcome:
    """One entry of a batch's results."""

    custom_id: str
    kind: str  # succeeded | errored | expired | canceled
    result: Optional[TeacherResult] = None
    error: str = ""
    retryable: bool = False  # errored for a transient reason, or expired: worth submitting again


class BatchClient:
    """Create, poll, read and cancel Message Batches for an `AnthropicTeacher`."""

    def __init__(self, teacher: AnthropicTeacher) -> None:
        self.teacher = teacher
        self.batches = teacher.client.messages.batches

    async def submit(self, requests: list[TeacherRequest]) -> str:
        """Create one batch; every request needs a unique `key` (its custom_id)."""
        if not requests:
            raise ValueError("a batch needs at least one request")
        entries: Any = [{"custom_id": r.key, "params": self.teacher.params(r)} for r in requests]
        try:
            batch = await self.batches.create(requests=entries)
        except Exception as exc:
            raise self.teacher.error(exc) from None
        return str(batch.id)

    async def status(self, batch_id: str) -> BatchStatus:
        try:
            batch = await self.batches.retrieve(batch_id)
        except Exception as exc:
            raise self.teacher.error(exc) from None
        counts = getattr(batch, "request_counts", None)
        numbers = {name: int(getattr(counts, name, 0) or 0)
                   for name in ("processing", "succeeded", "errored", "canceled", "expired")}
        return BatchStatus(batch_id=batch_id, processing_status=str(batch.processing_status), counts=numbers)

    async def results(self, batch_id: str) -> list[BatchOutcome]:
        """Every entry's outcome (in the order the API gives them, which is not the order submitted)."""
        price = self.teacher.price_row(batch=True)
        outcomes: list[BatchOutcome] = []
        try:
            decoder = await self.batches.results(batch_id)
            async for line in decoder:
                outcomes.append(self._outcome(line, price))
        except Exception as exc:
            raise self.teacher.error(exc) from None
        return outcomes

    def _outcome(self, line: Any, price: dict[str, float]) -> BatchOutcome:
        custom_id = str(line.custom_id)
        result = line.result
        kind = str(getattr(result, "type", ""))
        if kind == "succeeded":
            return BatchOutcome(custom_id, kind, result=result_from_message(result.message, price, self.teacher.model))
        if kind == "errored":
            inner = getattr(getattr(result, "error", None), "error", None)
            error_type = str(getattr(inner, "type", "") or "error")
            message = redact(str(getattr(inner, "message", "") or ""), self.teacher._key)
            return BatchOutcome(custom_id, kind, error=f"the batch entry failed ({error_type}: {message[:200]}).",
                                retryable=error_type in RETRYABLE_ERROR_TYPES)
        if kind == "expired":
            return BatchOutcome(custom_id, kind, error="the batch expired (24 hours) before this entry ran.",
                                retryable=True)
        if kind == "canceled":
            return BatchOutcome(custom_id, kind, error="the batch was cancelled before this entry ran.")
        return BatchOutcome(custom_id, kind or "unknown", error=f"unknown batch result type {kind!r}.")

    async def cancel(self, batch_id: str) -> None:
        try:
            await self.batches.cancel(batch_id)
        except Exception as exc:
            raise self.teacher.error(exc) from None
