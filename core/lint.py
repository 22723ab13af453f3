"""`interiority lint FILE.jsonl`: the review's quality flags over any chat / completions / text / alpaca /
ShareGPT JSONL file, so people can check datasets they did not make here.

Each line is read on its own: a line that is not JSON, or not one of the known shapes, is reported with its
line number and the rest of the file is still checked (see `lint_file` for the bounds on memory and time).  The text checked is what the model would learn
to say: the assistant turns, the completion, the output; and, for chat and ShareGPT rows, the student flags of
the conversation (`exercise-leak` in a user turn, `no-callback` in a multi-turn one).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterator, Optional, Union

from core.dataset.jsonl import MAX_LINE_BYTES, JsonlFileError, open_regular, read_jsonl
from core.errors import UserError
from core.quality.flagger import FlagInput, QualityFlagger

ASSISTANT_ROLES = ("assistant", "gpt", "model", "chatgpt", "bot")
USER_ROLES = ("user", "human")


class LintFileError(UserError):
    """The file to lint cannot be read at all."""


@dataclass
class LintReport:
    path: str
    lines: int = 0  # number of the last non-blank line
    checked: int = 0
    formats: Counter[str] = field(default_factory=Counter)
    bad_lines: list[dict[str, Any]] = field(default_factory=list)  # {"line", "error"}
    flagged: list[dict[str, Any]] = field(default_factory=list)  # {"line", "flags"}
    clusters: list[list[int]] = field(default_factory=list)  # near-duplicate line numbers

    @property
    def counts(self) -> dict[str, int]:
        counter: Counter[str] = Counter()
        for row in self.flagged:
            counter.update({f["code"] for f in row["flags"]})
        return dict(counter.most_common())

    @property
    def clean(self) -> bool:
        return not self.bad_lines and not self.flagged

    def to_json(self) -> dict[str, Any]:
        return {"file": self.path, "lines": self.lines, "checked": self.checked, "formats": dict(self.formats),
                "bad_lines": self.bad_lines, "flagged": self.flagged, "counts": self.counts,
                "near_duplicate_clusters": self.clusters}


def _turns(messages: Any, role_key: str, text_key: str) -> tuple[str, list[dict[str, str]]]:
    if not isinstance(messages, list) or not messages:
        raise ValueError("the conversation is empty or not a list")
    normalized: list[dict[str, str]] = []
    answers: list[str] = []
    for position, message in enumerate(messages, start=1):
        if not isinstance(message, dict):
            raise ValueError(f"turn {position} is not an object")
        role = str(message.get(role_key, "")).lower()
        content = message.get(text_key)
        if not isinstance(content, str):
            raise ValueError(f"turn {position} has no text in {text_key!r}")
        role = "assistant" if role in ASSISTANT_ROLES else "user" if role in USER_ROLES else role
        normalized.append({"role": role, "content": content})
        if role == "assistant":
            answers.append(content)
    if not answers:
        raise ValueError("the conversation has no assistant turn")
    return "\n\n".join(answers), normalized


def record_text(record: Any) -> tuple[str, str, list[dict[str, str]]]:
    """(format, text to check, chat turns) of one JSONL record; ValueError names what is wrong."""
    if not isinstance(record, dict):
        raise ValueError("the line is JSON but not an object")
    if "messages" in record:
        text, turns = _turns(record["messages"], "role", "content")
        return "chat", text, turns
    if "conversations" in record:
        text, turns = _turns(record["conversations"], "from", "value")
        return "sharegpt", text, turns
    if "completion" in record:
        if not isinstance(record.get("completion"), str):
            raise ValueError("'completion' is not a string")
        return "completions", record["completion"], []
    if "output" in record and "instruction" in record:
        if not isinstance(record.get("output"), str):
            raise ValueError("'output' is not a string")
        return "alpaca", record["output"], []
    if "text" in record:
        if not isinstance(record.get("text"), str):
            raise ValueError("'text' is not a string")
        return "text", record["text"], []
    keys = ", ".join(sorted(map(str, record))[:6]) or "none"
    raise ValueError(f"unknown shape (keys: {keys}); expected messages, conversations, prompt/completion, "
                     "instruction/output or text")


_ROLE_ONLY = {role: {"role": role} for role in ("user", "assistant", "system")}
_ROLE_TUPLES: dict[tuple[str, ...], tuple[dict[str, str], ...]] = {}


def _roles(turns: list[dict[str, str]]) -> tuple[dict[str, str], ...]:
    """The turns as role-only dicts, one shared tuple per sequence of roles: the format check counts
    turns, it does not read them, and 200,000 copies of the conversations would not fit the memory bound."""
    names = tuple(t["role"] for t in turns)
    shared = _ROLE_TUPLES.get(names)
    if shared is None:
        shared = tuple(_ROLE_ONLY.get(name) or {"role": name} for name in names)
        if len(_ROLE_TUPLES) < 1000:
            _ROLE_TUPLES[names] = shared
    return shared


def lint_file(path: Union[str, Path], settings: Any, templates: Optional[list[Any]] = None,
              template_id: str = "", max_line_bytes: int = MAX_LINE_BYTES) -> LintReport:
    """Flag every line of a JSONL file.  `template_id` applies that template's format check to every line.

    Bounded memory and linear time on any file: lines are read by `core.dataset.jsonl` (a line over
    `max_line_bytes`, bytes that are not UTF-8, JSON too deep or with a 4,300-digit number are that line's
    error); lines with the same text (and turns) are flagged once and reported as exact duplicates of the
    first, so 8,000 identical lines cost one flag computation, not 8,000^2 comparisons.
    """
    path = Path(path)
    try:
        handle = open_regular(path, "file")
    except JsonlFileError as exc:
        raise LintFileError(f"{exc} (lint reads JSONL files)") from None
    report = LintReport(str(path))
    repeated: dict[int, list[int]] = {}  # first line of a text that recurs -> all its lines
    flagger = QualityFlagger(settings, templates or [])
    with handle:
        # Streamed: the flagger keeps what it needs of each line (its normalized text), not the line.
        flags = flagger.build(_unique_lines(handle, max_line_bytes, template_id, report, repeated))
    flagged: list[dict[str, Any]] = []
    for first in sorted(flags):
        own = flags[first]
        group = repeated.get(first)
        if group is None:
            if own:
                flagged.append({"line": first, "flags": own})
            continue
        shown = ", ".join(str(n) for n in group[1:6]) + (f" and {len(group) - 6} more" if len(group) > 6 else "")
        flagged.append({"line": first, "flags": own + [_exact_flag(f"repeated word for word on line(s) {shown}",
                                                                   group[1:6])]})
        copy_flags = [f for f in own if f.get("code") != "near-duplicate"]
        for number in group[1:]:
            flagged.append({"line": number, "flags": copy_flags + [
                _exact_flag(f"exact duplicate of line {first}", [first])]})
    report.flagged = sorted(flagged, key=lambda row: row["line"])
    clusters = []
    for cluster in flagger.clusters():
        members = [n for key in cluster for n in repeated.get(key, [key])]
        clusters.append(sorted(members))
    clustered = {key for cluster in flagger.clusters() for key in cluster}
    clusters += [group for first, group in repeated.items() if first not in clustered]
    report.clusters = sorted(clusters, key=lambda c: c[0])
    return report


def _unique_lines(handle: BinaryIO, max_line_bytes: int, template_id: str, report: LintReport,
                  repeated: dict[int, list[int]]) -> Iterator[FlagInput]:
    """The flag input of each readable line whose (text, turns) was not seen before; bad lines go to the
    report and copies to `repeated` (a 64-bit hash per distinct text is all that is kept)."""
    first_of: dict[int, int] = {}
    for line in read_jsonl(handle, max_line_bytes):
        report.lines = line.number
        if line.error:
            report.bad_lines.append({"line": line.number, "error": line.error})
            continue
        try:
            kind, text, turns = record_text(line.value)
        except ValueError as exc:
            report.bad_lines.append({"line": line.number, "error": str(exc)})
            continue
        report.formats[kind] += 1
        report.checked += 1
        roles = _roles(turns)
        key = ",".join(r["role"] for r in roles) + "\x00" + text
        digest = int.from_bytes(hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest())
        first = first_of.setdefault(digest, line.number)
        if first == line.number:
            # The student flags too: a user turn that leaks the exercise, a continuity conversation (two or
            # more user turns) whose answers never return to an earlier turn.  The turns live only until
            # the flagger has made this line's entry, so memory stays bounded.
            users = sum(1 for turn in turns if turn["role"] == "user")
            yield FlagInput(line.number, text, template_id, roles, student=tuple(turns),
                            shape="continuity" if users >= 2 else "single")
        else:
            repeated.setdefault(first, [first]).append(line.number)


def _exact_flag(detail: str, others: list[int]) -> dict[str, Any]:
    return {"code": "near-duplicate", "detail": detail, "others": list(others), "scores": [100.0] * len(others)}


def format_report(report: LintReport) -> str:
    lines = [f"{report.path}: {report.checked} of {report.lines} lines checked "
             f"({', '.join(f'{n} {k}' for k, n in report.formats.items()) or 'none readable'})"]
    for bad in report.bad_lines:
        lines.append(f"  line {bad['line']}: unreadable: {bad['error']}")
    for row in report.flagged:
        for flag in row["flags"]:
            lines.append(f"  line {row['line']}: {flag['code']}: {flag['detail']}")
    if report.counts:
        lines.append("flags: " + ", ".join(f"{code} {n}" for code, n in report.counts.items()))
    lines.append("clean" if report.clean else f"{len(report.flagged)} lines flagged, {len(report.bad_lines)} unreadable")
    return "\n".join(lines)
