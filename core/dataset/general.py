"""General instruction data from a user's JSONL file, mixed in so a model keeps its general abilities.

The format is detected from the first row (chat `messages`, ShareGPT `conversations`,
alpaca `instruction`/`output`, completions `prompt`/`completion`), then every row must
have that shape.  A bad row stops the build with the file and line number, before
anything is written, so a typo in line 4,812 is found in seconds and loses nothing.
Lines are read by `core.dataset.jsonl` (bounded per line, regular files only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.dataset.items import GENERAL_GROUP, DatasetItem
from core.dataset.jsonl import JsonlFileError, open_regular, read_jsonl
from core.errors import UserError

GENERAL_FORMATS = ("chat", "sharegpt", "alpaca", "completions")
ROLES = ("system", "user", "assistant")
SHAREGPT_ROLES = {"system": "system", "human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant"}


class GeneralDataError(UserError):
    """The general-data file is missing, empty, or has a row that is not one of the formats."""


def detect_format(row: Any) -> str | None:
    if not isinstance(row, dict):
        return None
    if "messages" in row:
        return "chat"
    if "conversations" in row:
        return "sharegpt"
    if "instruction" in row and "output" in row:
        return "alpaca"
    if "prompt" in row and "completion" in row:
        return "completions"
    return None


def _string(row: dict[str, Any], key: str, where: str, required: bool = True) -> str:
    value = row.get(key, "")
    if not isinstance(value, str):
        raise GeneralDataError(f"{where}: \"{key}\" must be a string, got {type(value).__name__}.")
    if required and not value.strip():
        raise GeneralDataError(f"{where}: \"{key}\" is empty.")
    return value


def _chat_messages(raw: Any, where: str, roles: dict[str, str] | None = None) -> list[dict[str, str]]:
    content_key, role_key = ("value", "from") if roles else ("content", "role")
    if not isinstance(raw, list) or not raw:
        raise GeneralDataError(f"{where}: the conversation must be a non-empty list of messages.")
    messages = []
    for number, message in enumerate(raw, 1):
        if not isinstance(message, dict):
            raise GeneralDataError(f"{where}: message {number} is not an object.")
        role = message.get(role_key)
        role = roles.get(role, None) if roles and isinstance(role, str) else role
        if role not in ROLES:
            allowed = ", ".join(sorted(roles) if roles else ROLES)
            raise GeneralDataError(f"{where}: message {number} has role {message.get(role_key)!r}; use one of {allowed}.")
        content = message.get(content_key)
        if not isinstance(content, str):
            raise GeneralDataError(f"{where}: message {number} has no text \"{content_key}\".")
        messages.append({"role": role, "content": content})
    if messages[-1]["role"] != "assistant" or not messages[-1]["content"].strip():
        raise GeneralDataError(f"{where}: the last message must be a non-empty assistant reply.")
    if not any(m["role"] == "user" for m in messages):
        raise GeneralDataError(f"{where}: the conversation has no user message.")
    return messages


def row_messages(row: dict[str, Any], fmt: str, where: str) -> list[dict[str, str]]:
    """The chat messages of one row in format `fmt`."""
    if fmt == "chat":
        return _chat_messages(row["messages"], where)
    if fmt == "sharegpt":
        return _chat_messages(row["conversations"], where, roles=SHAREGPT_ROLES)
    if fmt == "alpaca":
        instruction = _string(row, "instruction", where)
        extra = _string(row, "input", where, required=False)
        output = _string(row, "output", where)
        system = _string(row, "system", where, required=False)
        prompt = f"{instruction}\n\n{extra}" if extra.strip() else instruction
        head = [{"role": "system", "content": system}] if system.strip() else []
        return head + [{"role": "user", "content": prompt}, {"role": "assistant", "content": output}]
    prompt = _string(row, "prompt", where)
    completion = _string(row, "completion", where)
    return [{"role": "user", "content": prompt}, {"role": "assistant", "content": completion}]


def load_general(path: Path) -> tuple[str, list[DatasetItem]]:
    """Read a general-data JSONL file: (detected format, one item per non-blank line).

    Raises GeneralDataError naming the file and line for the first bad row (a line over the length cap,
    bytes that are not UTF-8, JSON too deep or with a 4,300-digit number included); only regular files
    are read, so a FIFO or a device never hangs the build.
    """
    path = Path(path)
    try:
        handle = open_regular(path, "general-data file")
    except JsonlFileError as exc:
        raise GeneralDataError(f"{exc} (the --general option)") from None
    fmt = ""
    items: list[DatasetItem] = []
    with handle:
        for line in read_jsonl(handle):
            where = f"{path} line {line.number}"
            if line.error:
                raise GeneralDataError(f"{where}: {line.error}; fix or delete that line.")
            row = line.value
            found = detect_format(row)
            if not fmt:
                if found is None:
                    raise GeneralDataError(
                        f"{where}: cannot tell the format; each line must be chat {{\"messages\"}}, ShareGPT "
                        f"{{\"conversations\"}}, alpaca {{\"instruction\", \"output\"}} or completions "
                        f"{{\"prompt\", \"completion\"}}.")
                fmt = found
            elif found != fmt:
                got = found or "no known format"
                raise GeneralDataError(f"{where}: expected a {fmt} row like the first row, got {got}; "
                                       f"keep one format per file.")
            messages = row_messages(row, fmt, where)
            items.append(DatasetItem(key=-line.number, messages=messages, source="general", group=GENERAL_GROUP,
                                     original=messages[-1]["content"], created=float(line.number)))
    if not items:
        raise GeneralDataError(f"The general-data file {path} is empty; give a JSONL file with one example per line.")
    return fmt, items
