"""The reader's small text rules: a percent typed by the user, a passage's end grown or shrunk by a word.

Pure functions on strings, apart from the screen so that they are tested without a terminal.
"""

from __future__ import annotations

from typing import Optional


def parse_percent(text: str) -> Optional[float]:
    """'37', '37%' or '37.5' -> 37.5; None when it is not a number from 0 to 100."""
    try:
        value = float(text.strip().rstrip("%").strip())
    except ValueError:
        return None
    return value if 0.0 <= value <= 100.0 else None


def trim_end(text: str, start: int, end: int) -> int:
    """The end of a passage shrunk by its last word (never to nothing): trailing spaces go too."""
    index = end
    while index > start and text[index - 1].isspace():
        index -= 1
    while index > start and not text[index - 1].isspace():
        index -= 1
    while index > start and text[index - 1].isspace():
        index -= 1
    return index if index > start else end


def extend_end(text: str, end: int) -> int:
    """The end of a passage grown by the next word (with the spaces before it)."""
    index = end
    while index < len(text) and text[index].isspace():
        index += 1
    while index < len(text) and not text[index].isspace():
        index += 1
    return index
