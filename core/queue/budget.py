"""The budget cap, and the checks that keep a response's usage from lying to it.

What the cap bounds, precisely: the project's recorded spend on one teacher over its whole life (the sum
of its jobs' `cost_usd`, see `store.jobs`) plus the worst case of every request in flight.  A request is
sent only when its worst case (the prompt at the dearest input price plus `max_tokens` of output) still
fits.  A request whose outcome is unknown (timed out on our side, a connection dropped after sending, an
answer whose usage cannot be trusted) stays charged at that worst case, and a killed run's in-flight
requests stay charged too (their reservation was written on the job before sending), so no sequence of
timeouts, kills and resumes can spend past the cap.  An optional per-run cap bounds one run's share.
"""

from __future__ import annotations

import asyncio
from typing import Callable, Optional

from core.queue.events import QueueStats
from core.teacher.base import Usage

EPSILON = 1e-12
MAX_TOKENS_PER_PROMPT_CHAR = 4  # a byte-level tokenizer spends at most ~4 tokens on one character
PROMPT_TOKEN_SLACK = 4096  # room for the API's own framing tokens


def usage_problem(usage: Usage, max_tokens: int, prompt_chars: int) -> Optional[str]:
    """Why `usage` cannot be right for a request (a sentence), or None when it is plausible."""
    values = usage.to_dict()
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return f"the API reported an impossible {name} token count ({value!r})"
    if usage.output > max_tokens:
        return f"the API reported {usage.output:,} output tokens for a request capped at max_tokens {max_tokens:,}"
    bound = MAX_TOKENS_PER_PROMPT_CHAR * prompt_chars + PROMPT_TOKEN_SLACK
    if usage.prompt_tokens > bound:
        return (f"the API reported {usage.prompt_tokens:,} prompt tokens for a prompt of {prompt_chars:,} "
                f"characters")
    return None


class Budget:
    """Reservations and charges against the lifetime cap (and the per-run cap when set).

    Args:
        cap_usd: the cap on the teacher's lifetime spend in this project (`queue.budget_usd`).
        spent_before_usd: the spend recorded on the teacher's jobs when the run starts.
        run_cap_usd: an optional cap on this run's own spend.
        stats: the run's `QueueStats`; its `spent_usd` / `reserved_usd` are kept equal to this run's.
    """

    def __init__(self, cap_usd: float, spent_before_usd: float = 0.0, run_cap_usd: Optional[float] = None,
                 stats: Optional[QueueStats] = None) -> None:
        self.cap_usd = float(cap_usd)
        self.spent_before_usd = max(0.0, float(spent_before_usd))
        self.run_cap_usd = run_cap_usd
        self.run_spent_usd = 0.0
        self.reserved_usd = 0.0
        self.stats = stats
        self._changed: Optional[asyncio.Condition] = None
        self._waiting = 0  # reservations waiting for money in flight to come back

    @property
    def committed_usd(self) -> float:
        """Lifetime spend so far plus what is reserved for requests in flight."""
        return self.spent_before_usd + self.run_spent_usd + self.reserved_usd

    def fits(self, amount: float) -> bool:
        if self.committed_usd + amount > self.cap_usd + EPSILON:
            return False
        if self.run_cap_usd is not None and self.run_spent_usd + self.reserved_usd + amount > self.run_cap_usd + EPSILON:
            return False
        return True

    def take(self, amount: float) -> bool:
        """Reserve `amount` now if it fits."""
        if not self.fits(amount):
            return False
        self.reserved_usd += amount
        self._sync()
        return True

    def release(self, amount: float) -> None:
        """A reservation no longer needed (the request was answered, refused by the server, or not sent)."""
        self.reserved_usd = max(0.0, self.reserved_usd - amount)
        self._sync()
        self._wake()

    def charge(self, amount: float) -> None:
        """Money spent (a real cost, or a worst case kept for a request whose outcome is unknown)."""
        self.run_spent_usd += max(0.0, amount)
        self._sync()

    def stop_message(self, amount: float) -> str:
        """Which cap the next reservation of `amount` would cross, and how to raise it."""
        if self.committed_usd + amount <= self.cap_usd + EPSILON and self.run_cap_usd is not None:
            return (f"this run's budget of ${self.run_cap_usd:.2f} would be crossed by the next job "
                    f"(${self.run_spent_usd:.4f} spent in this run); raise it with --run-budget.")
        spent = self.spent_before_usd + self.run_spent_usd
        return (f"the budget of ${self.cap_usd:.2f} for this teacher would be crossed by the next job "
                f"(${spent:.4f} recorded for it in this project); raise it with --budget or queue.budget_usd.")

    async def reserve(self, amount: float, stopping: Callable[[], bool]) -> bool:
        """Reserve `amount`, waiting while requests in flight may still free some of theirs."""
        if self._changed is None:
            self._changed = asyncio.Condition()
        async with self._changed:
            while True:
                if stopping():
                    return False
                if self.take(amount):
                    return True
                if self.reserved_usd <= EPSILON:
                    return False
                self._waiting += 1
                try:
                    await self._changed.wait()
                finally:
                    self._waiting -= 1

    def wake(self) -> None:
        """Let waiting reservations look again (the run is stopping)."""
        self._wake()

    def _wake(self) -> None:
        condition = self._changed
        if condition is None or not self._waiting:
            return

        async def notify() -> None:
            async with condition:
                condition.notify_all()

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(notify())
        task.add_done_callback(_retrieve)

    def _sync(self) -> None:
        if self.stats is not None:
            self.stats.spent_usd = self.run_spent_usd
            self.stats.reserved_usd = self.reserved_usd


def _retrieve(task: "asyncio.Task[None]") -> None:
    """Read a finished helper task's outcome so that asyncio never reports it as never retrieved."""
    if not task.cancelled():
        task.exception()
