"""Prices in USD per million tokens, and what a request costs or may cost at most.

The cost of a request is known only after it returns (the output length and whether the prompt was read
from the cache).  The budget cap therefore reserves a worst case before sending: the whole prompt at the
dearer of the input and cache-write prices, plus `max_tokens` of output.
"""

from __future__ import annotations

import math

from core.teacher.base import Usage

CHARS_PER_TOKEN = 3.5  # the fallback when a teacher cannot count tokens; errs towards more tokens
MILLION = 1_000_000.0


def estimate_tokens(chars: int) -> int:
    return int(math.ceil(chars / CHARS_PER_TOKEN))


def scaled(row: dict[str, float], factor: float) -> dict[str, float]:
    return {key: value * factor for key, value in row.items()}


def cost_usd(usage: Usage, row: dict[str, float]) -> float:
    return (usage.input * row.get("input", 0.0) + usage.output * row.get("output", 0.0)
            + usage.cache_read * row.get("cache_read", 0.0)
            + usage.cache_write * row.get("cache_write", 0.0)) / MILLION


def worst_case_usd(prompt_tokens: int, max_tokens: int, row: dict[str, float]) -> float:
    dearest_input = max(row.get("input", 0.0), row.get("cache_write", 0.0))
    return (prompt_tokens * dearest_input + max_tokens * row.get("output", 0.0)) / MILLION
