"""What a build is made of: one `DatasetItem` per accepted example or general-data row.

WHY a flat item: mixing, dedup, splitting, exporting and the card all need the same
few facts (the student conversation with the reviewer's turns, the teacher's original
answer, and the provenance: passage, book, source group, template, teacher, request
hash, shape, tags).  Collecting them once from the store means the rest of the build
never touches the database and can run in a worker thread.

`messages` is only ever the *student* conversation (plus the build's persona line, if
one was set): the teacher's request is provenance and stays on the card, never in a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

GENERAL_GROUP = "general"
ROLES = ("system", "user", "assistant")  # the roles every export format can hold


@dataclass
class DatasetItem:
    """One training conversation and where it came from.

    `key` is the example id for book examples and a negative number (minus the line
    number) for general-data rows, so the two never collide in the dedup index.
    """

    key: int
    messages: list[dict[str, str]]  # persona system line?, then the student turns as exported (edited)
    source: str = "example"  # "example" or "general"
    group: str = ""  # source group of the mix (GENERAL_GROUP for general data)
    original: str = ""  # the teacher's original final answer (the DPO pair's rejected side)
    edited: bool = False
    passage_id: Optional[int] = None
    book_id: Optional[int] = None
    template_id: str = ""
    template_version: str = ""
    teacher: str = ""
    tags: list[str] = field(default_factory=list)
    created: float = 0.0
    shape: str = ""  # the template's student shape (single, conversation, continuity)
    request_hash: str = ""  # sha256 of the teacher's request: provenance, on the card only

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
    def user_turns(self) -> list[str]:
        return [m["content"] for m in self.messages if m.get("role") == "user"]

    @property
    def answer_turns(self) -> list[str]:
        return [m["content"] for m in self.messages if m.get("role") == "assistant"]

    @property
    def is_example(self) -> bool:
        return self.source == "example"

    def dedup_rank(self) -> tuple[int, float, int]:
        """Sort key for "which copy of a duplicate to keep": edited first, then the earlier one."""
        return (0 if self.edited else 1, self.created, abs(self.key))

    def summary(self) -> dict[str, Any]:
        return {"key": self.key, "source": self.source, "group": self.group, "passage_id": self.passage_id,
                "book_id": self.book_id, "template_id": self.template_id}


def student_messages(turns: list[dict[str, str]], persona: str = "") -> Optional[list[dict[str, str]]]:
    """The exported conversation: the persona line (when set) as a system turn, then the student turns.

    Returns None when the turns cannot train anything: no user turn, no non-empty final answer, or a turn whose
    role is not system, user or assistant (the build counts it as unusable).
    """
    cleaned = [{"role": str(t.get("role", "")), "content": str(t.get("content", ""))} for t in turns]
    if not cleaned or cleaned[-1]["role"] != "assistant" or not cleaned[-1]["content"].strip():
        return None
    if any(t["role"] not in ROLES for t in cleaned):  # a hand-edited "narrator" turn crashed the ShareGPT export
        return None
    if not any(t["role"] == "user" for t in cleaned):
        return None
    head = [{"role": "system", "content": persona}] if persona.strip() else []
    return head + cleaned
