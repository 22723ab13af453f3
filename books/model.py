"""The normalized text of a book and its structure: what the reader and passages code against.

`text` is the whole book as paragraphs separated by exactly one blank line ("\\n\\n");
`paragraphs[i]` is the `[start, end)` character span of paragraph `i` in `text`, so a
passage is a stable `(book_id, start, end)` span and a reading position is
`(paragraph, char)`.  Chapters point at the paragraph of their heading.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

INDEX_VERSION = 1


@dataclass
class Chapter:
    title: str
    paragraph: int  # index of its heading (first) paragraph
    part: str = ""  # the part/book it belongs to, "" if none


@dataclass
class BookText:
    text: str  # normalized text
    paragraphs: list[tuple[int, int]]  # [start, end) char offsets of each paragraph in text, reading order
    chapters: list[Chapter]
    parts: list[str]
    _starts: list[int] = field(default_factory=list, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._starts = [start for start, _ in self.paragraphs]

    def paragraph_at(self, offset: int) -> int:
        """The paragraph containing `offset`, or the nearest one before it (0 for an empty book)."""
        index = bisect.bisect_right(self._starts, offset) - 1
        return max(index, 0)

    def paragraph_text(self, index: int) -> str:
        start, end = self.paragraphs[index]
        return self.text[start:end]

    def chapter_at(self, paragraph: int) -> int:
        """Index of the chapter holding `paragraph`, or -1 before the first chapter."""
        starts = [c.paragraph for c in self.chapters]
        return bisect.bisect_right(starts, paragraph) - 1

    def chapter_ranges(self) -> list[tuple[int, int]]:
        """`[first, end)` paragraph range of each chapter (a chapter runs to the next one's heading)."""
        ranges = []
        for i, chapter in enumerate(self.chapters):
            end = self.chapters[i + 1].paragraph if i + 1 < len(self.chapters) else len(self.paragraphs)
            ranges.append((chapter.paragraph, end))
        return ranges

    def index_doc(self) -> dict[str, Any]:
        """The paragraph/chapter index as a JSON-ready document (kept beside the text file)."""
        flat: list[int] = []
        for start, end in self.paragraphs:
            flat.append(start)
            flat.append(end)
        return {
            "version": INDEX_VERSION,
            "chars": len(self.text),
            "paragraphs": flat,  # flat [s0, e0, s1, e1, ...]: a third of the JSON of nested pairs
            "chapters": [[c.title, c.paragraph, c.part] for c in self.chapters],
            "parts": list(self.parts),
        }

    @classmethod
    def from_index(cls, text: str, doc: Any) -> "BookText":
        """The book from its text and `index_doc()`; `ValueError` when the index does not fit the text.

        The index is a file in the project that anything may have changed: a span outside the
        text or a chapter pointing past the last paragraph would crash the reader later.
        """
        if not isinstance(doc, dict):
            raise ValueError("the index is not a JSON object")
        flat = doc.get("paragraphs")
        if not isinstance(flat, list) or len(flat) % 2 or not all(type(n) is int for n in flat):
            raise ValueError("the paragraph index is not a list of start and end offsets")
        paragraphs = list(zip(flat[0::2], flat[1::2]))
        previous_end = 0
        for start, end in paragraphs:
            if not previous_end <= start <= end <= len(text):
                raise ValueError(f"paragraph span [{start}, {end}) does not fit a text of {len(text)} characters")
            previous_end = end
        chapters = []
        listed = doc.get("chapters", [])
        if not isinstance(listed, list):
            raise ValueError("the chapters are not a list of [title, paragraph, part] entries")
        for entry in listed:
            if (not isinstance(entry, list) or len(entry) != 3 or not isinstance(entry[0], str)
                    or type(entry[1]) is not int or not isinstance(entry[2], str)
                    or not 0 <= entry[1] < max(len(paragraphs), 1)):
                raise ValueError(f"chapter entry {entry!r} is not [title, paragraph, part]")
            chapters.append(Chapter(title=entry[0], paragraph=entry[1], part=entry[2]))
        parts = doc.get("parts", [])
        if not isinstance(parts, list) or not all(isinstance(part, str) for part in parts):
            raise ValueError("the parts are not a list of titles")
        return cls(text=text, paragraphs=paragraphs, chapters=chapters, parts=list(parts))
