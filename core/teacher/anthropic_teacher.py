"""Claude as the teacher, through `anthropic.AsyncAnthropic`.

The static parts of every prompt (shared system prompt, the template's AVOID list, the instructions before
the passage) are sent as separate content blocks marked `cache_control: ephemeral`, so the second and later
requests of a template read them from the prompt cache at a tenth of the input price.  The tool the answer
must fill in comes first in the cached prefix (the API orders tools, then system, then messages), so it is
cached with them.  The answer is structured by forced tool use (`tool_choice` naming the one tool): the
idiomatic way to get JSON that fits a schema, read from the `tool_use` block's `input`.  The SDK's own retries
are off (`max_retries=0`): the queue retries, so that it can honour `retry-after` across all its workers,
count attempts durably, and stop on errors no retry can fix.
"""

from __future__ import annotations

import email.utils
import math
import os
import time
from typing import Any, Optional

import anthropic

from core.teacher.apikey import HOW_TO, redact, resolve_api_key
from core.teacher.base import (MAX_RETRY_AFTER_S, TeacherAuthError, TeacherBadRequest, TeacherConnectionError,
                               TeacherError, TeacherNotConfigured, TeacherOutputError, TeacherOverloaded,
                               TeacherPermissionError, TeacherRateLimited, TeacherRequest, TeacherResult,
                               TeacherServerError, TeacherTimeout, TokenEstimate, Usage, clean_text)
from core.teacher.pricing import cost_usd, estimate_tokens, scaled

EPHEMERAL = {"type": "ephemeral"}
MAX_CACHE_BREAKPOINTS = 4


def _capped(seconds: float) -> Optional[float]:
    if math.isnan(seconds):
        return None
    return min(MAX_RETRY_AFTER_S, max(0.0, seconds))


def parse_retry_after(headers: Any) -> Optional[float]:
    """Seconds to wait from `retry-after-ms` or `retry-after` (seconds or an HTTP date), if the server said.

    Capped at `MAX_RETRY_AFTER_S`: `inf`, `1e12` or a date in the year 9999 would otherwise hold the queue
    forever.  Unreadable values count as not said (the queue's own backoff applies).
    """
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return _capped(float(millis) / 1000.0)
        except (ValueError, OverflowError):
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return _capped(float(value))
    except (ValueError, OverflowError):
        try:
            parsed = email.utils.parsedate_tz(value)
            if parsed is None:
                return None
            return _capped(email.utils.mktime_tz(parsed) - time.time())
        except (ValueError, OverflowError, TypeError, IndexError):
            return None


def build_message_params(request: TeacherRequest, model: str, max_tokens: int, temperature: float) -> dict[str, Any]:
    """The Messages API parameters for a request (also the `params` of a batch entry)."""
    breakpoints = 0

    def block(text: str, cache: bool) -> dict[str, Any]:
        nonlocal breakpoints
        item: dict[str, Any] = {"type": "text", "text": text}
        if cache and breakpoints < MAX_CACHE_BREAKPOINTS:
            item["cache_control"] = dict(EPHEMERAL)
            breakpoints += 1
        return item

    prompt = request.prompt
    system = [block(part, True) for part in prompt.system_parts if part]
    user_parts = [p for p in prompt.user_parts if p]
    content = [block(part, True) for part in user_parts[:-1]] + [block(user_parts[-1], False)]
    params: dict[str, Any] = {
        "model": model,
        "max_tokens": int(request.max_tokens or max_tokens),
        "messages": [{"role": "user", "content": content}],
    }
    if system:
        params["system"] = system
    if request.tool is not None:
        params["tools"] = [request.tool]
        params["tool_choice"] = {"type": "tool", "name": request.tool["name"]}
    if temperature != 1.0:
        # This SDK no longer lists `temperature` (newer models fix it); send it only when the user changed
        # the default, as an extra body field, so that models which accept it still get it.
        params["temperature"] = temperature
    return params


def translate_error(exc: BaseException, model: str, key: Optional[str] = None) -> TeacherError:
    """An SDK exception as one of the typed teacher errors (the key redacted from any text)."""
    detail = redact(str(getattr(exc, "api_message", None) or getattr(exc, "message", "") or exc), key)
    detail = detail.splitlines()[0][:200] if detail else ""
    if isinstance(exc, anthropic.APITimeoutError):
        return TeacherTimeout("the request to the Anthropic API timed out; it will be retried "
                              "(raise teacher.timeout_s if this keeps happening).", maybe_paid=True)
    if isinstance(exc, anthropic.APIConnectionError):
        # Refused before anything was sent costs nothing; a connection dropped later may have been billed.
        never_sent = type(exc.__cause__).__name__ == "ConnectError"  # the SDK's HTTP client, by name
        return TeacherConnectionError("could not reach the Anthropic API (connection failed); "
                                      "check the network or teacher.base_url.", maybe_paid=not never_sent)
    if isinstance(exc, anthropic.APIResponseValidationError):
        return TeacherOutputError(f"the API returned a malformed response ({detail}).")
    if isinstance(exc, anthropic.APIStatusError):
        status = exc.status_code
        retry_after = parse_retry_after(getattr(exc.response, "headers", None))
        if status == 401:
            return TeacherAuthError("401 from the Anthropic API: the API key is missing or wrong: set "
                                    "ANTHROPIC_API_KEY or teacher.api_key_file (a file with mode 0600) in "
                                    "interiority.toml.", 401)
        if status == 403:
            return TeacherPermissionError(f"The API key is not allowed to use {model} (403: {detail}); "
                                          f"check the key's workspace and permissions, or choose another "
                                          f"teacher.model.", 403)
        if status == 404:
            return TeacherBadRequest(f"The Anthropic API does not know the model {model!r} (404); "
                                     f"set teacher.model in interiority.toml to a model id you can use.", 404)
        if status == 429:
            return TeacherRateLimited(f"rate limited by the Anthropic API (429){': ' + detail if detail else ''}.",
                                      429, retry_after)
        if status == 529:
            return TeacherOverloaded("the Anthropic API is overloaded (529).", 529, retry_after)
        if status == 413:
            return TeacherOutputError("the request is too large for the API (413); use a shorter passage.",
                                      paid=False)
        if status >= 500:
            return TeacherServerError(f"the Anthropic API failed with {status}.", status, retry_after)
        if status == 408:
            return TeacherTimeout("the Anthropic API timed out the request (408).", 408, retry_after)
        if status == 400 or 400 < status < 500:
            return TeacherBadRequest(f"The Anthropic API rejected the request ({status}: {detail}); "
                                     f"check teacher.model, teacher.max_tokens and teacher.temperature in "
                                     f"interiority.toml.", status)
    if isinstance(exc, anthropic.AnthropicError):
        return TeacherOutputError(f"the API call failed: {detail}.")
    return TeacherOutputError(f"the API response could not be read ({type(exc).__name__}: {detail}).")


USAGE_FIELDS = (("input", "input_tokens"), ("output", "output_tokens"),
                ("cache_read", "cache_read_input_tokens"), ("cache_write", "cache_creation_input_tokens"))
MAX_USAGE_TOKENS = 10_000_000  # far above any context window: a bigger count is a broken response


def usage_from(raw: Any) -> Usage:
    """A response's token counts, each a non-negative integer, or `TeacherOutputError` naming the bad one.

    The job is then charged its worst case by the queue: the server answered, so it may have been billed.
    """
    counts: dict[str, int] = {}
    for name, api_name in USAGE_FIELDS:
        value = getattr(raw, api_name, None) if raw is not None else None
        if value is None:
            if api_name in ("input_tokens", "output_tokens"):
                raise TeacherOutputError(f"the API response has no usage.{api_name}; the answer was not stored.")
            value = 0
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_USAGE_TOKENS:
            shown = repr(value)[:40]
            raise TeacherOutputError(f"the API reported an impossible usage.{api_name} ({shown}); "
                                     f"the answer was not stored.")
        counts[name] = value
    return Usage(**counts)


def result_from_message(message: Any, row: dict[str, float], model: str) -> TeacherResult:
    """Text, usage and cost of a Messages API response (live or from a batch), validated.

    Anything a well-formed response cannot hold (no content, a non-list content, non-integer or negative
    usage) is a `TeacherOutputError`, so the job fails with the reason instead of crashing the queue.
    """
    content = getattr(message, "content", None)
    if content is None:
        raise TeacherOutputError("the API returned a message without content.")
    if not isinstance(content, (list, tuple)):
        raise TeacherOutputError("the API returned a message whose content is not a list of blocks.")
    parts = [getattr(block, "text", "") for block in content if getattr(block, "type", "") == "text"]
    if any(not isinstance(part, str) for part in parts if part is not None):
        raise TeacherOutputError("the API returned a text block whose text is not a string.")
    text = clean_text("".join(part for part in parts if part))
    calls = [block for block in content if getattr(block, "type", "") == "tool_use"]
    usage = usage_from(getattr(message, "usage", None))
    stop_reason = getattr(message, "stop_reason", "")
    tool_name = clean_text(str(getattr(calls[0], "name", "") or ""))[:200] if calls else ""
    tool_input = clean_value(getattr(calls[0], "input", None)) if calls else None
    return TeacherResult(text=text, usage=usage, cost_usd=cost_usd(usage, row),
                         model=clean_text(str(getattr(message, "model", "") or model))[:200],
                         stop_reason=clean_text(str(stop_reason or ""))[:100], tool_name=tool_name,
                         tool_input=tool_input)


def clean_value(value: Any, depth: int = 0) -> Any:
    """A tool input with every string storable as UTF-8 (lone surrogates replaced), as `clean_text` does.

    Past a nesting no valid answer has, the rest is dropped (None), so a hostile answer cannot recurse deep.
    """
    if depth > 20:
        return None
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_value(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {clean_text(str(key)): clean_value(item, depth + 1) for key, item in value.items()}
    return value


class AnthropicTeacher:
    """The Anthropic Messages API as a teacher."""

    def __init__(self, settings: Any, api_key: Optional[str] = None, *, project_root: Any = None,
                 client: Optional[anthropic.AsyncAnthropic] = None) -> None:
        teacher = settings.teacher
        self.model: str = teacher.model
        self._max_tokens: int = int(teacher.max_tokens)
        self.temperature: float = float(teacher.temperature)
        self.batch_discount: float = float(teacher.batch_discount)
        self._price = dict(settings.price_for(self.model))
        self._count_tokens_ok = True
        key = api_key if api_key is not None else resolve_api_key(settings, project_root)
        if not key and client is None:
            raise TeacherNotConfigured(f"No Anthropic API key: {HOW_TO}.")
        self._key = key
        base_url = teacher.base_url or os.environ.get("ANTHROPIC_BASE_URL") or None
        self.base_url = base_url or "https://api.anthropic.com"
        self.client = client or anthropic.AsyncAnthropic(
            api_key=key, base_url=base_url, max_retries=0, timeout=float(teacher.timeout_s))

    @property
    def name(self) -> str:
        return f"anthropic:{self.model}"

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    @property
    def is_free(self) -> bool:
        return False

    def price_row(self, batch: bool = False) -> dict[str, float]:
        return scaled(self._price, self.batch_discount) if batch else dict(self._price)

    def params(self, request: TeacherRequest) -> dict[str, Any]:
        return build_message_params(request, self.model, self._max_tokens, self.temperature)

    def headers(self, request: TeacherRequest) -> dict[str, str]:
        return {"Idempotency-Key": request.key} if request.key else {}

    def error(self, exc: BaseException) -> TeacherError:
        return translate_error(exc, self.model, self._key)

    async def generate(self, request: TeacherRequest) -> TeacherResult:
        try:
            params = self.params(request)
            extra_body = {"temperature": params.pop("temperature")} if "temperature" in params else None
            message = await self.client.messages.create(**params, extra_headers=self.headers(request) or None,
                                                        extra_body=extra_body)
        except Exception as exc:  # every SDK failure becomes a typed teacher error
            raise self.error(exc) from None
        return result_from_message(message, self._price, self.model)

    async def count_tokens(self, request: TeacherRequest) -> TokenEstimate:
        """Exact prompt tokens from `count_tokens`; characters / 3.5 when that endpoint is unavailable."""
        if self._count_tokens_ok:
            params = self.params(request)
            params.pop("max_tokens", None)
            params.pop("temperature", None)
            try:
                counted = await self.client.messages.count_tokens(**params)
                return TokenEstimate(int(counted.input_tokens), True)
            except anthropic.AuthenticationError as exc:
                raise self.error(exc) from None
            except Exception:
                self._count_tokens_ok = False  # don't pay a failing round trip per job
        return TokenEstimate(estimate_tokens(request.prompt.chars), False)

    async def aclose(self) -> None:
        await self.client.close()
