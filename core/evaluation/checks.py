"""Program-checked answers for the general-capability probes.

Why programs, not a judge: the method's warning sign "loss of general capabilities" must be caught
cheaply and without opinion.  Each check is strict enough that a model which rambles, ignores the format
or gets the fact wrong fails, and lenient about the harmless (case, a final full stop, a code fence around
JSON, thousands separators).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal, get_args

CheckKind = Literal["number", "exact", "bullets", "json"]
CHECK_KINDS: tuple[CheckKind, ...] = get_args(CheckKind)

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+\S")
_FENCE = re.compile(r"^\s*```[A-Za-z]*\s*\n(.*?)\n\s*```\s*$", re.S)


@dataclass(frozen=True)
class Check:
    """What a capability probe's answer must satisfy: `kind` and its argument as written in the file."""

    kind: CheckKind
    argument: str

    def passes(self, answer: str) -> bool:
        return CHECKERS[self.kind](answer, self.argument)

    def describe(self) -> str:
        return f"{self.kind} {self.argument}"


def argument_problem(kind: str, argument: str) -> str:
    """Why `argument` cannot serve a check of `kind` (a sentence), or "" when it can."""
    if kind not in CHECK_KINDS:
        return f"unknown check {kind!r}; use one of {', '.join(CHECK_KINDS)}"
    if not argument.strip():
        return f"the check {kind!r} needs an argument (e.g. 'check: {kind} {EXAMPLES[kind]}')"
    if kind == "number" and not re.fullmatch(r"-?\d+(?:\.\d+)?", argument.strip()):
        return f"'check: number' takes a plain number such as 1081, not {argument.strip()!r}"
    if kind == "bullets" and not re.fullmatch(r"[1-9]\d?", argument.strip()):
        return f"'check: bullets' takes a count from 1 to 99, not {argument.strip()!r}"
    if kind == "json":
        keys = [k.strip() for k in argument.split(",")]
        if any(not k for k in keys):
            return "'check: json' takes comma-separated key names such as name,age"
    return ""


EXAMPLES = {"number": "1081", "exact": "Paris", "bullets": "3", "json": "name,age"}


def normalize(text: str) -> str:
    """Lower case, inner spaces collapsed, surrounding quotes and final punctuation dropped."""
    text = " ".join(text.strip().lower().split())
    return text.strip("\"'\u201c\u201d\u2018\u2019*`").rstrip(".!").strip()


def _number(answer: str, expected: str) -> bool:
    """The last number in the answer equals the expected one (a model may show working first)."""
    found = _NUMBER.findall(answer)
    if not found:
        return False
    try:
        return float(found[-1].replace(",", "")) == float(expected)
    except ValueError:
        return False


def _exact(answer: str, expected: str) -> bool:
    """The whole answer, or its first line, equals one of the `|`-separated alternatives."""
    alternatives = {normalize(a) for a in expected.split("|") if a.strip()}
    lines = [line for line in answer.strip().splitlines() if line.strip()]
    return normalize(answer) in alternatives or (bool(lines) and normalize(lines[0]) in alternatives)


def _bullets(answer: str, expected: str) -> bool:
    """Exactly N bullet lines (`-`, `*`, `•` or `1.`), whatever else surrounds them."""
    return sum(1 for line in answer.splitlines() if _BULLET.match(line)) == int(expected)


def _json(answer: str, expected: str) -> bool:
    """The answer is a JSON object (a code fence around it is allowed) with exactly the given keys."""
    text = answer.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return False
    return isinstance(value, dict) and set(value) == {k.strip() for k in expected.split(",")}


CHECKERS = {"number": _number, "exact": _exact, "bullets": _bullets, "json": _json}
