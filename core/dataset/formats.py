"""Export formats: one row converter per format, and the folder each one is written to.

Every format gets `train.jsonl`, `valid.jsonl` and `test.jsonl` in its own folder
under the build (or stage) folder.  An empty split is not written at all, because
mlx-lm's loader indexes the first row of every file it finds.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Optional

from core.dataset.items import DatasetItem
from core.errors import UserError

ALL_FORMATS = ("mlx-chat", "mlx-completions", "mlx-text", "alpaca", "sharegpt", "openai", "dpo")
MLX_FORMATS = ("mlx-chat", "mlx-completions", "mlx-text")
SHAREGPT_ROLES = {"system": "system", "user": "human", "assistant": "gpt"}


class FormatError(UserError):
    """An unknown export format name."""


def parse_formats(formats: "Iterable[str] | str") -> tuple[str, ...]:
    """`all`, a comma list, or an iterable of names -> the names in canonical order."""
    names = [f.strip() for f in (formats.split(",") if isinstance(formats, str) else formats) if f.strip()]
    if not names or "all" in names:
        return ALL_FORMATS
    unknown = [n for n in names if n not in ALL_FORMATS]
    if unknown:
        raise FormatError(f"Unknown export format {', '.join(unknown)}; choose from {', '.join(ALL_FORMATS)} or all.")
    return tuple(f for f in ALL_FORMATS if f in names)


def render_transcript(messages: list[dict[str, str]]) -> str:
    """A plain role-headed transcript, used where a format has one text field for several turns."""
    return "\n\n".join(f"{m['role'].capitalize()}: {m['content']}" for m in messages)


def _prompt_text(item: DatasetItem) -> str:
    """The prompt as one string: the user turn alone when it is the only turn, else a transcript."""
    prompt = item.prompt_messages
    if len(prompt) == 1 and prompt[0]["role"] == "user":
        return prompt[0]["content"]
    if len(prompt) == 2 and prompt[0]["role"] == "system" and prompt[1]["role"] == "user":
        return f"{prompt[0]['content']}\n\n{prompt[1]['content']}"
    return render_transcript(prompt)


def chat_row(item: DatasetItem) -> dict[str, Any]:
    return {"messages": [dict(m) for m in item.messages]}


def completions_row(item: DatasetItem) -> dict[str, Any]:
    return {"prompt": _prompt_text(item), "completion": item.assistant_text}


def text_row(item: DatasetItem) -> dict[str, Any]:
    return {"text": render_transcript(item.messages)}


def alpaca_row(item: DatasetItem) -> dict[str, Any]:
    prompt = item.prompt_messages
    system = "\n\n".join(m["content"] for m in prompt if m["role"] == "system")
    turns = [m for m in prompt if m["role"] != "system"]
    instruction = turns[0]["content"] if len(turns) == 1 else render_transcript(turns)
    row: dict[str, Any] = {"instruction": instruction, "input": "", "output": item.assistant_text}
    if system:
        row["system"] = system
    return row


def sharegpt_row(item: DatasetItem) -> dict[str, Any]:
    return {"conversations": [{"from": SHAREGPT_ROLES[m["role"]], "value": m["content"]} for m in item.messages]}


def openai_row(item: DatasetItem) -> dict[str, Any]:
    return {"messages": [{"role": m["role"], "content": m["content"]} for m in item.messages]}


def dpo_row(item: DatasetItem) -> Optional[dict[str, Any]]:
    """Edited = chosen, the teacher's original = rejected; None for unedited or general items."""
    if not item.is_example or not item.edited or item.original.strip() == item.assistant_text.strip():
        return None
    return {
        "prompt": [dict(m) for m in item.prompt_messages],
        "chosen": [{"role": "assistant", "content": item.assistant_text}],
        "rejected": [{"role": "assistant", "content": item.original}],
    }


CONVERTERS: dict[str, Callable[[DatasetItem], Optional[dict[str, Any]]]] = {
    "mlx-chat": chat_row,
    "mlx-completions": completions_row,
    "mlx-text": text_row,
    "alpaca": alpaca_row,
    "sharegpt": sharegpt_row,
    "openai": openai_row,
    "dpo": dpo_row,
}


_ENCODER = json.JSONEncoder(ensure_ascii=False)  # one encoder: json.dumps builds a new one per call with options


def encode_rows(fmt: str, items: Iterable[DatasetItem]) -> list[str]:
    """The JSONL lines of `items` in format `fmt` (items a format cannot hold are left out)."""
    convert = CONVERTERS[fmt]
    encode = _ENCODER.encode
    lines = []
    for item in items:
        row = convert(item)
        if row is not None:
            lines.append(encode(row) + "\n")
    return lines
