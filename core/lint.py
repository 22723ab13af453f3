"""`interiority lint FILE.jsonl`: the review's quality flags over any chat / completions / text / alpaca /
ShareGPT JSONL file, so people can check datasets they did not make here.

Each line is read on its own: a line that is not JSON, or not one of the known shapes, is reported with its
line number and the rest of the file is still checked.  The text checked is what the model would learn
to say: the assistant turns, the completion, the output.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from core.errors import UserError
from core.quality.flagger import FlagInput, QualityFlagger

ASSISTANT_ROLES = ("assistant", "gpt", "model", "chatgpt", "bot")
USER_ROLES = ("user", "human")


class LintFileError(UserError):
    """The file to lint cannot be read at all."""


@dataclass
class LintReport:
    path: str
    lines: int = 0
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


def lint_file(path: Union[str, Path], settings: Any, templates: Optional[list[Any]] = None,
              template_id: str = "") -> LintReport:
    """Flag every line of a JSONL file.  `template_id` applies that template's format check to every line."""
    path = Path(path)
    if not path.is_file():
        raise LintFileError(f"No file at {path}; give the path of a .jsonl file.")
    report = LintReport(str(path))
    items: list[FlagInput] = []
    try:
        handle = path.open("r", encoding="utf-8", errors="strict")
    except OSError as exc:
        raise LintFileError(f"Cannot read {path} ({exc.strerror}); check its permissions.") from None
    with handle:
        line_number = 0
        while True:
            try:
                raw = handle.readline()
            except UnicodeDecodeError:
                raise LintFileError(f"{path} is not UTF-8 text (after line {line_number}); save it as UTF-8.") from None
            if not raw:
                break
            line_number += 1
            if not raw.strip():
                continue
            try:
                kind, text, turns = record_text(json.loads(raw))
            except json.JSONDecodeError as exc:
                report.bad_lines.append({"line": line_number, "error": f"not JSON ({exc.msg} at column {exc.colno})"})
                continue
            except ValueError as exc:
                report.bad_lines.append({"line": line_number, "error": str(exc)})
                continue
            report.formats[kind] += 1
            items.append(FlagInput(line_number, text, template_id, tuple(turns)))
    report.lines = line_number
    report.checked = len(items)
    flagger = QualityFlagger(settings, templates or [])
    flags = flagger.build(items)
    report.flagged = [{"line": key, "flags": flags[key]} for key in sorted(flags) if flags[key]]
    report.clusters = flagger.clusters()
    return report


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
