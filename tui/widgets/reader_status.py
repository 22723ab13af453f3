"""The reader's status line: where in the book the view is, and what the finder sees ahead.

Why it fits itself to its width: the line is one row under a 76-column pane at 120x40, and a
book's title, Part and chapter ("The Brothers Karamazov · PART I / Book III. The Sensualists ·
Chapter VII. The Controversy") fill it before the percent and the finder's "N suggestions ahead
(f next, S list)" are reached -- those were cut off, and with them the one place that names the
finder's keys.  So the place gives way (the title first, then the chapter is cut with an
ellipsis) and the percent and the finder's part stay whole; it is refitted at every render, so a
resize needs no new text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from textual.widgets import Static

if TYPE_CHECKING:
    from books.model import BookText

SEPARATOR = "  \u00b7  "
ELLIPSIS = "\u2026"


def status_parts(title: str, text: "BookText", position: tuple[int, int],
                 extra: str = "") -> tuple[list[str], list[str]]:
    """(where, always): title, part and chapter of `position` (`(paragraph, char)` at the top); percent and `extra`."""
    paragraph, char = position
    offset = (text.paragraphs[paragraph][0] + char) if paragraph < len(text.paragraphs) else len(text.text)
    percent = 100.0 * offset / max(1, len(text.text))
    chapter_index = text.chapter_at(paragraph)
    chapter = text.chapters[chapter_index] if chapter_index >= 0 else None
    # The Book/Part as well as the chapter: "CHAPTER IV" alone does not say which of War and Peace's.
    where = [title, chapter.part if chapter else "", chapter.title if chapter else ""]
    return [part for part in where if part], [part for part in (f"{percent:.0f}%", extra) if part]


def fit_status(where: list[str], always: list[str], width: Optional[int] = None) -> str:
    """The line in `width` columns (all of it when None): the place gives way before `always` does.

    First the title goes (the reader knows which book is open), then the Part and chapter are cut
    with an ellipsis; the percent and the finder's part are cut only when they alone overflow.
    """
    line = SEPARATOR.join(where + always)
    if width is None or len(line) <= width:
        return line
    tail = SEPARATOR.join(always)
    if len(tail) > width:
        return tail[:max(0, width - 1)] + ELLIPSIS
    head = SEPARATOR.join(where[1:] or where)
    room = width - len(tail) - len(SEPARATOR)
    if len(head) <= room:
        return head + SEPARATOR + tail
    if room < 2:
        return tail
    return head[:room - 1].rstrip(" \u00b7") + ELLIPSIS + SEPARATOR + tail


def status_line(title: str, text: "BookText", position: tuple[int, int], extra: str = "") -> str:
    """Title, part, chapter and percent of `position` (`(paragraph, char)` at the top), then `extra`."""
    return fit_status(*status_parts(title, text, position, extra))


class ReaderStatus(Static):
    """The status line; `show` sets it, and each render fits it to the width it has then."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", markup=False, **kwargs)
        self._parts: Optional[tuple[list[str], list[str]]] = None
        self._line = ""

    def show(self, title: str, text: "BookText", position: tuple[int, int], extra: str = "") -> None:
        self._parts = status_parts(title, text, position, extra)
        self._line = fit_status(*self._parts)
        self.update(self._line)

    def render(self) -> Any:
        width = self.content_size.width
        if self._parts is None or str(self.content) != self._line or width <= 0:
            return super().render()  # cleared (`update("")`) or not laid out yet
        return fit_status(*self._parts, width=width)
