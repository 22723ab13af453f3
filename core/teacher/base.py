"""The teacher protocol, its request/result types, and the typed errors the queue acts on.

The queue never looks at an SDK's exceptions: each teacher translates its failures into one of three
families, and the queue's policy follows from the family alone:

- `TeacherRetryable` (429, 529, 5xx, timeouts, dropped connections): back off and try again;
- `TeacherFatal` (400, 401, 403, a missing model, no key): stop the whole queue, tell the user what to fix;
- `TeacherOutputError` (empty, refused, cut off, malformed): this job failed, the others go on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional, Protocol, runtime_checkable

from core.errors import UserError
from core.templates import Prompt


@dataclass(frozen=True)
class TeacherRequest:
    """One prompt to send; `key` is the job's idempotency key (also the batch `custom_id`).

    `tool` is the tool definition the answer must fill in (`core.student.tool_schema`, or the backfill's
    user-turn tool): the Anthropic teacher forces a call to it; a teacher without tools (the local model)
    is asked for the same object as JSON in its text.
    """

    prompt: Prompt
    key: str = ""
    max_tokens: Optional[int] = None
    tool: Optional[dict[str, Any]] = None


@dataclass
class Usage:
    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"input": self.input, "output": self.output, "cache_read": self.cache_read,
                "cache_write": self.cache_write}

    @property
    def prompt_tokens(self) -> int:
        return self.input + self.cache_read + self.cache_write


@dataclass
class TeacherResult:
    """An answer: its text, and the input of the tool it called (None when it called none)."""

    text: str
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    model: str = ""
    stop_reason: str = ""
    tool_name: str = ""
    tool_input: Any = None


@dataclass(frozen=True)
class TokenEstimate:
    """Prompt tokens for a request; `exact` is False when counted as characters / 3.5."""

    tokens: int
    exact: bool


@runtime_checkable
class Teacher(Protocol):
    """What the queue needs from a teacher."""

    @property
    def name(self) -> str: ...  # recorded on jobs and examples, e.g. "anthropic:claude-sonnet-4-6"

    @property
    def max_tokens(self) -> int: ...

    @property
    def is_free(self) -> bool: ...

    async def generate(self, request: TeacherRequest) -> TeacherResult: ...

    async def count_tokens(self, request: TeacherRequest) -> TokenEstimate: ...

    def price_row(self, batch: bool = False) -> dict[str, float]: ...

    async def aclose(self) -> None: ...


class TeacherError(Exception):
    """Base of teacher failures; the message is a sentence a user can act on and never holds the key."""


class TeacherRetryable(TeacherError):
    """A transient failure: try again after `retry_after` seconds (when the server said) or a backoff."""

    def __init__(self, message: str, status: Optional[int] = None, retry_after: Optional[float] = None,
                 *, maybe_paid: bool = False):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        # True when the server may have answered (and billed) the request: a client-side timeout or a
        # connection dropped after sending.  The queue then charges the request's worst case.
        self.maybe_paid = maybe_paid


class TeacherRateLimited(TeacherRetryable):
    """429: the account's rate limit."""


class TeacherOverloaded(TeacherRetryable):
    """529: the API is overloaded."""


class TeacherServerError(TeacherRetryable):
    """500-599 other than 529."""


class TeacherTimeout(TeacherRetryable):
    """No answer within the timeout."""


class TeacherConnectionError(TeacherRetryable):
    """The connection failed or dropped."""


class TeacherFatal(TeacherError, UserError):
    """The queue cannot go on until the user changes something."""

    def __init__(self, message: str, status: Optional[int] = None):
        super().__init__(message)
        self.status = status


class TeacherAuthError(TeacherFatal):
    """401."""


class TeacherPermissionError(TeacherFatal):
    """403."""


class TeacherBadRequest(TeacherFatal):
    """400 / 404: the request or the model name is wrong for every job alike."""


class TeacherNotConfigured(TeacherFatal):
    """No key, no model folder, or a key file that is not private."""


class TeacherOutputError(TeacherError):
    """This job's answer cannot become an example (empty, refused, cut off, malformed).

    `paid` is True when the server answered, so the request may have been billed even though the answer is
    unusable (the queue charges its worst case when the usage cannot be trusted).
    """

    def __init__(self, message: str, *, paid: bool = True):
        super().__init__(message)
        self.paid = paid


MAX_RETRY_AFTER_S = 60.0  # as the SDK does: a longer (or infinite, or far-future) retry-after is capped


def clean_text(text: str) -> str:
    """The text with lone surrogates replaced by U+FFFD (a valid pair is joined): storable as UTF-8."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


_REFUSAL = re.compile(r"^\s*(I'm sorry|I am sorry|I can(?:no|')t|I won't|I will not|I'm not able|I am not able|"
                      r"I'm unable|I am unable|Sorry, (?:but )?I)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]*_]*(?=\s|$)")


def looks_like_refusal(text: str) -> bool:
    """A short answer that opens like a refusal ("I'm sorry, but I can't..."): never training data."""
    stripped = text.strip()
    return len(stripped.split()) < 40 and bool(_REFUSAL.match(stripped))


def check_output(text: str, stop_reason: str, max_tokens: int) -> str:
    """The usable text of an answer, or `TeacherOutputError` saying why there is none.

    A refusal, an empty answer and an answer cut off before its first full sentence are failed jobs, not
    examples: they would teach the student to refuse or to stop mid-word.  An answer cut off later is
    trimmed back to its last full sentence.
    """
    stripped = (text or "").strip()
    if stop_reason == "refusal":
        raise TeacherOutputError("the teacher refused this request (stop reason: refusal).")
    if not stripped:
        raise TeacherOutputError(f"the teacher returned no text (stop reason: {stop_reason or 'none'}).")
    if len(stripped.split()) < 40 and _REFUSAL.match(stripped):
        raise TeacherOutputError(f"the teacher refused: {stripped[:120]!r}.")
    if stop_reason == "max_tokens":
        ends = list(_SENTENCE_END.finditer(stripped))
        trimmed = stripped[:ends[-1].end()].rstrip() if ends else ""
        if len(trimmed.split()) < 20:
            raise TeacherOutputError(
                f"the answer was cut off at max_tokens ({max_tokens}) before anything usable; "
                f"raise teacher.max_tokens in interiority.toml.")
        return trimmed
    return stripped


def describe_error(exc: BaseException) -> str:
    """A one-line reason for a failed job or a stopped queue."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:600]
