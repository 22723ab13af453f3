"""What a build is made of: one `DatasetItem` per accepted example or general-data row.

WHY a flat item: mixing, dedup, splitting, exporting and the card all need the same
few facts (the conversation with the reviewer's text, the teacher's original, and the
provenance: passage, book, source group, template, tags).  Collecting them once from
the store means the rest of the build never touches the database and can run in a
worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

GENERAL_GROUP = "general"


@dataclass
class DatasetItem:
    """One training conversation and where it came from.

    `key` is the example id for book examples and a negative number (minus the line
    number) for general-data rows, so the two never collide in the dedup index.
    """

    key: int
    messages: list[dict[str, str]]  # system?/user/assistant, assistant = the final (edited) text
    source: str = "example"  # "example" or "general"
    group: str = ""  # source group of the mix (GENERAL_GROUP for general data)
    original: str = ""  # the teacher's original assistant text
    edited: bool = False
    passage_id: Optional[int] = None
    book_id: Optional[int] = None
    template_id: str = ""
    template_version: str = ""
    teacher: str = ""
    tags: list[str] = field(default_factory=list)
    created: float = 0.0

    @property
    def assistant_text(self) -> str:
        for message in reversed(self.messages):
            if message.get("role") == "assistant":
                return message.get("content", "")
        return ""

    @property
    def prompt_messages(self) -> list[dict[str, str]]:
        """Every message before the final assistant turn."""
        return self.messages[:-1] if self.messages and self.messages[-1].get("role") == "assistant" else list(self.messages)

    @property
    def is_example(self) -> bool:
        return self.source == "example"

    def dedup_rank(self) -> tuple[int, float, int]:
        """Sort key for "which copy of a duplicate to keep": edited first, then the earlier one."""
        return (0 if self.edited else 1, self.created, abs(self.key))

    def summary(self) -> dict[str, Any]:
        return {"key": self.key, "source": self.source, "group": self.group, "passage_id": self.passage_id,
                "book_id": self.book_id, "template_id": self.template_id}


def final_messages(messages: list[dict[str, Any]], final_text: str) -> Optional[list[dict[str, str]]]:
    """The conversation with its last assistant turn replaced by `final_text`.

    Returns None when the conversation has no user turn or no assistant turn (it
    cannot train anything).
    """
    cleaned = [{"role": str(m.get("role", "")), "content": str(m.get("content", ""))} for m in messages]
    if not any(m["role"] == "user" for m in cleaned):
        return None
    for index in range(len(cleaned) - 1, -1, -1):
        if cleaned[index]["role"] == "assistant":
            if not final_text.strip():
                return None
            cleaned[index] = {"role": "assistant", "content": final_text}
            return cleaned[: index + 1]
    return None
