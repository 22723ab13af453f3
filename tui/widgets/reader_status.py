"""The reader's status line: where in the book the view is, and what the finder sees ahead."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from books.model import BookText


def status_line(title: str, text: "BookText", position: tuple[int, int], extra: str = "") -> str:
    """Title, part, chapter and percent of `position` (`(paragraph, char)` at the top), then `extra`."""
    paragraph, char = position
    offset = (text.paragraphs[paragraph][0] + char) if paragraph < len(text.paragraphs) else len(text.text)
    percent = 100.0 * offset / max(1, len(text.text))
    chapter_index = text.chapter_at(paragraph)
    chapter = text.chapters[chapter_index] if chapter_index >= 0 else None
    # The Book/Part as well as the chapter: "CHAPTER IV" alone does not say which of War and Peace's.
    parts = [title, chapter.part if chapter else "", chapter.title if chapter else "", f"{percent:.0f}%", extra]
    return "  \u00b7  ".join(part for part in parts if part)
