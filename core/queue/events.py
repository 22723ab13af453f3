"""What the generation queue tells its watchers: typed events, live statistics, the preflight estimate.

Events are small frozen dataclasses posted for every state change.  The studio turns them into Textual
messages that coalesce (a burst of a hundred `JobFinished` becomes one repaint, see
`tui/screens/queue.py`); the command line redraws its progress line from `QueueStats`, the running summary
the queue keeps up to date.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union


@dataclass(frozen=True)
class JobStarted:
    job_id: int
    attempt: int


@dataclass(frozen=True)
class JobFinished:
    job_id: int
    example_id: int
    cost_usd: float
    usage: dict[str, int]


@dataclass(frozen=True)
class JobFailed:
    job_id: int
    reason: str
    retrying: bool = False  # True: a transient error, the job will be tried again after `delay_s`
    delay_s: float = 0.0


@dataclass(frozen=True)
class CostUpdated:
    spent_usd: float
    reserved_usd: float
    budget_usd: float


@dataclass(frozen=True)
class QueuePaused:
    paused: bool


@dataclass(frozen=True)
class BatchSubmitted:
    batch_id: str
    jobs: int


@dataclass(frozen=True)
class BatchPolled:
    batch_id: str
    processing_status: str
    counts: dict[str, int]


@dataclass(frozen=True)
class RetryWaiting:
    """Every worker holds back for `delay_s` seconds (a server's retry-after, capped at 60 s)."""

    delay_s: float
    reason: str


@dataclass(frozen=True)
class QueueStopped:
    reason: str  # done | budget | fatal | cancelled | stopped | error | store
    message: str


QueueEvent = Union[JobStarted, JobFinished, JobFailed, CostUpdated, QueuePaused, BatchSubmitted, BatchPolled,
                   RetryWaiting, QueueStopped]


@dataclass
class ErrorNote:
    at: float
    job_id: int
    reason: str


@dataclass
class QueueStats:
    """A running picture of the queue for screens and progress bars."""

    counts: Counter[str] = field(default_factory=Counter)  # jobs of this teacher by status
    total_jobs: int = 0  # jobs this run set out to do
    done: int = 0
    failed: int = 0
    retries: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    spent_usd: float = 0.0
    reserved_usd: float = 0.0
    budget_usd: float = 0.0
    estimated_total_usd: float = 0.0
    started_at: float = 0.0
    finished_at: float = 0.0
    waiting_until: float = 0.0  # monotonic time until which a retry-after holds every worker back
    wait_reason: str = ""
    paused: bool = False
    running: bool = False
    mode: str = "live"
    stop_reason: str = ""
    stop_message: str = ""
    recent_errors: deque[ErrorNote] = field(default_factory=lambda: deque(maxlen=20))
    _finish_times: deque[float] = field(default_factory=lambda: deque(maxlen=256))

    def record_finish(self, at: Optional[float] = None) -> None:
        self._finish_times.append(at if at is not None else time.monotonic())

    def throughput(self, window_s: float = 30.0) -> float:
        """Jobs finished per second over the last `window_s` seconds (or since the start).

        Once the run has ended this is the run's final figure (jobs finished over its duration), not a
        number that keeps falling as the clock moves on.
        """
        if self.finished_at and self.started_at:
            return self.done / max(self.finished_at - self.started_at, 1e-6)
        if not self._finish_times:
            return 0.0
        now = time.monotonic()
        recent = [t for t in self._finish_times if now - t <= window_s]
        if not recent:
            return 0.0
        span = max(now - max(recent[0], self.started_at or recent[0]), 1e-6)
        if self.started_at and now - self.started_at < window_s:
            span = max(now - self.started_at, 1e-6)
        return len(recent) / span

    def waiting_s(self) -> float:
        """Seconds left of a retry-after wait (0 when none)."""
        if not self.running:
            return 0.0
        return max(0.0, self.waiting_until - time.monotonic())

    @property
    def remaining(self) -> int:
        return max(0, self.total_jobs - self.done - self.failed)

    def eta_s(self) -> Optional[float]:
        if self.remaining == 0 or not self.running:
            return 0.0 if self.remaining == 0 else None
        rate = self.throughput()
        return self.remaining / rate if rate > 0 else None

    def cache_hit_rate(self) -> float:
        """Share of prompt tokens read from the cache."""
        prompt = self.input_tokens + self.cache_read_tokens + self.cache_write_tokens
        return self.cache_read_tokens / prompt if prompt else 0.0

    def add_usage(self, usage: dict[str, int], cost: float) -> None:
        self.input_tokens += usage.get("input", 0)
        self.output_tokens += usage.get("output", 0)
        self.cache_read_tokens += usage.get("cache_read", 0)
        self.cache_write_tokens += usage.get("cache_write", 0)
        self.spent_usd += cost

    def note_error(self, job_id: int, reason: str) -> None:
        self.recent_errors.append(ErrorNote(time.time(), job_id, reason))

    def move(self, old: str, new: str, n: int = 1) -> None:
        self.counts[old] -= n
        self.counts[new] += n

    def to_json(self) -> dict[str, Any]:
        return {
            "counts": {k: v for k, v in self.counts.items() if v},
            "total_jobs": self.total_jobs, "done": self.done, "failed": self.failed, "retries": self.retries,
            "tokens": {"input": self.input_tokens, "output": self.output_tokens,
                       "cache_read": self.cache_read_tokens, "cache_write": self.cache_write_tokens},
            "spent_usd": round(self.spent_usd, 6), "budget_usd": self.budget_usd,
            "estimated_total_usd": round(self.estimated_total_usd, 6),
            "throughput_jobs_per_s": round(self.throughput(), 3), "eta_s": self.eta_s(),
            "cache_hit_rate": round(self.cache_hit_rate(), 4), "mode": self.mode,
            "stop_reason": self.stop_reason, "stop_message": self.stop_message,
            "reserved_usd": round(self.reserved_usd, 6),
            "recent_errors": [{"job_id": e.job_id, "reason": e.reason} for e in self.recent_errors],
        }


@dataclass(frozen=True)
class RunSnapshot:
    """An immutable picture of a run, built on the queue's own thread: what a screen renders, never
    `QueueStats` itself (which the queue keeps changing)."""

    counts: dict[str, int]
    total_jobs: int
    done: int
    failed: int
    retries: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    spent_usd: float
    reserved_usd: float
    budget_usd: float
    estimated_total_usd: float
    throughput: float
    eta_s: Optional[float]
    cache_hit_rate: float
    waiting_s: float
    wait_reason: str
    paused: bool
    running: bool
    mode: str
    stop_reason: str
    stop_message: str
    recent_errors: tuple[tuple[int, str], ...]

    @property
    def prompt_tokens(self) -> int:
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens


def snapshot(stats: QueueStats) -> RunSnapshot:
    """The stats as they are now, frozen."""
    return RunSnapshot(
        counts={k: v for k, v in stats.counts.items() if v}, total_jobs=stats.total_jobs, done=stats.done,
        failed=stats.failed, retries=stats.retries, input_tokens=stats.input_tokens,
        output_tokens=stats.output_tokens, cache_read_tokens=stats.cache_read_tokens,
        cache_write_tokens=stats.cache_write_tokens, spent_usd=stats.spent_usd, reserved_usd=stats.reserved_usd,
        budget_usd=stats.budget_usd, estimated_total_usd=stats.estimated_total_usd,
        throughput=stats.throughput(), eta_s=stats.eta_s(), cache_hit_rate=stats.cache_hit_rate(),
        waiting_s=stats.waiting_s(), wait_reason=stats.wait_reason, paused=stats.paused, running=stats.running,
        mode=stats.mode, stop_reason=stats.stop_reason, stop_message=stats.stop_message,
        recent_errors=tuple((note.job_id, note.reason) for note in list(stats.recent_errors)[-10:]))


# Events that change what a watcher must show at once (the others may wait for the next snapshot).
_URGENT = (QueuePaused, QueueStopped, RetryWaiting, BatchSubmitted, BatchPolled)


class SnapshotSink:
    """An `on_event` sink that turns bursts of events into at most one `RunSnapshot` per `interval_s`.

    Called on the queue's loop.  A state change (pause, stop, a retry wait, a batch) is delivered at once;
    other events within `interval_s` of the last delivery are folded into one trailing snapshot, so a
    watcher gets the final figures even when a burst ends in silence.

    Args:
        stats: the queue's `QueueStats`.
        deliver: called with each snapshot (for the studio: post a Textual message, which is thread-safe).
        interval_s: the shortest time between two snapshots.
    """

    def __init__(self, stats: QueueStats, deliver: Callable[[RunSnapshot], Any], interval_s: float = 0.1) -> None:
        self.stats = stats
        self.deliver = deliver
        self.interval_s = interval_s
        self.delivered = 0
        self._last = 0.0
        self._trailing: Optional[asyncio.TimerHandle] = None

    def __call__(self, event: Any) -> None:
        moment = time.monotonic()
        if isinstance(event, _URGENT) or moment - self._last >= self.interval_s:
            self.flush()
        elif self._trailing is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self.flush()
                return
            self._trailing = loop.call_later(self.interval_s - (moment - self._last), self.flush)

    def flush(self) -> None:
        if self._trailing is not None:
            self._trailing.cancel()
            self._trailing = None
        self._last = time.monotonic()
        self.delivered += 1
        self.deliver(snapshot(self.stats))


@dataclass
class Estimate:
    """The preflight: what a run will probably cost and can cost at most."""

    jobs: int
    prompt_tokens: int
    output_tokens: int  # expected
    max_output_tokens: int  # jobs x max_tokens
    exact: bool  # prompt tokens counted by the API's count_tokens (else characters / 3.5)
    cost_usd: float  # expected, with the caching assumptions below
    worst_case_usd: float  # no cache hits, every answer max_tokens long
    mode: str = "live"
    assumptions: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"jobs": self.jobs, "prompt_tokens": self.prompt_tokens, "output_tokens": self.output_tokens,
                "max_output_tokens": self.max_output_tokens, "tokens_exact": self.exact,
                "cost_usd": round(self.cost_usd, 4), "worst_case_usd": round(self.worst_case_usd, 4),
                "mode": self.mode, "assumptions": list(self.assumptions)}

    def describe(self) -> str:
        how = "counted" if self.exact else "estimated as characters / 3.5"
        lines = [f"{self.jobs} jobs ({self.mode}): ~{self.prompt_tokens:,} prompt tokens ({how}), "
                 f"~{self.output_tokens:,} output tokens expected (at most {self.max_output_tokens:,}).",
                 f"Expected cost ${self.cost_usd:.2f}; at most ${self.worst_case_usd:.2f}."]
        lines += [f"  - {a}" for a in self.assumptions]
        return "\n".join(lines)


@dataclass
class QueueSummary:
    done: int
    failed: int
    cancelled: int
    pending: int
    stats: QueueStats
    elapsed_s: float

    def to_json(self) -> dict[str, Any]:
        data = self.stats.to_json()
        data.update({"done": self.done, "failed": self.failed, "cancelled": self.cancelled,
                     "pending": self.pending, "elapsed_s": round(self.elapsed_s, 3)})
        return data

    def line(self) -> str:
        s = self.stats
        tokens = s.input_tokens + s.cache_read_tokens + s.cache_write_tokens + s.output_tokens
        text = (f"{self.done} done, {self.failed} failed, {self.pending} pending"
                + (f", {self.cancelled} cancelled" if self.cancelled else "")
                + f"; {tokens:,} tokens, ${s.spent_usd:.4f}, cache hit rate {s.cache_hit_rate():.0%}"
                + f", {self.elapsed_s:.1f}s")
        if s.stop_reason not in ("", "done"):
            text += f". Stopped ({s.stop_reason}): {s.stop_message}"
        return text
