"""Paragraphs, parts and chapters from a book's blocks of text.

Readers (plain text, Gutenberg, EPUB) turn a book into `Block`s: runs of lines
separated by blank lines (or block elements in EPUB).  This module joins each block's
hard-wrapped lines into one normalized paragraph and finds the structure:

1. *Strong headings* by pattern: parts ("PART I", "BOOK ONE: 1805", "FIRST EPILOGUE",
   "— I —") and chapters ("CHAPTER I", "Chapter 1", a roman numeral alone, "[ 1 ]").
2. A table of contents is not structure: the blocks from a "Contents" heading up to
   the first heading that repeats the contents' first entry are skipped, and so is
   anything before the contents (the title page).  A heading followed directly by a
   heading of the same or a higher level (no prose between) is a contents entry too.
3. A bare numeral counts only in sequence (1 after a part heading, else previous + 1),
   so "I." written in the sand in Ulysses is not a chapter.
4. Without strong headings: source-marked headings (EPUB h1-h3) or all-caps lines set
   off by blank lines ("OVERTURE", "COMBRAY"); without those, section breaks (three or
   more blank lines, "* * *", EPUB <hr>) give "Section N" chapters (Mrs Dalloway).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from books.model import BookText, Chapter

_WORD_NUMBERS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                 "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
                 "twenty"]
_ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
             "eleventh", "twelfth"]
_ROMAN = r"[IVXLCDM]+"
_NUM = rf"(?:{_ROMAN}|\d{{1,3}}|(?i:{'|'.join(_WORD_NUMBERS)}))"
_REST = r"(?:\s*[.:—–-].*)?"
_GROUP = re.compile(rf"^(?P<kw>PART|Part|BOOK|Book|VOLUME|Volume)\s+(?:(?P<num>{_NUM})|(?i:the\s+(?:{'|'.join(_ORDINALS)})))"
                    rf"{_REST}$")
_EPILOGUE = re.compile(rf"^(?:(?i:{'|'.join(_ORDINALS)})\s+)?(?:EPILOGUE|Epilogue|PROLOGUE|Prologue){_REST}$")
_DASHED_PART = re.compile(rf"^[—–-]\s*(?P<num>{_ROMAN})\s*[—–-]$")
_CHAPTER = re.compile(rf"^(?:CHAPTER|Chapter)\s+(?P<num>{_NUM}){_REST}$")
_BARE = re.compile(rf"^(?:(?P<num>{_ROMAN}|\d{{1,3}})\.?|\[\s*(?P<bracket>\d{{1,3}})\s*\])$")
# Cheap first test: can this block start a strong heading at all?  Most blocks are prose.
_STRONG_START = re.compile(
    rf"\s*(?:CHAPTER|Chapter|PART|Part|BOOK|Book|VOLUME|Volume|EPILOGUE|Epilogue|PROLOGUE|Prologue|[—–\[-]"
    rf"|[IVXLCDM\d]+\.?\s*$|(?i:{'|'.join(_ORDINALS)})\s)")
_ASTERISM = re.compile(r"^[\s*·•~#§⁂-]+$")
_CONTENTS = {"contents", "table of contents", "content"}
_NOT_HEADINGS = {"the end", "contents", "table of contents", "finis", "footnotes", "notes", "index"}

PART, BOOK, CHAPTER = 0, 1, 2
_EPILOGUE_LEVEL = -1  # resolved to the outermost group level in use
MAX_HEADING_CHARS = 80


@dataclass
class Block:
    """A run of source lines that forms one paragraph of the normalized text."""

    raw: str  # the source lines joined by "\n", hard wraps and indentation as they were
    blank_before: int = 1  # blank lines before it in the source; a large number at the start
    heading: bool = False  # the source marks it as a heading (EPUB h1-h3)
    break_before: bool = False  # a section break precedes it (EPUB <hr>)

    @property
    def lines(self) -> list[str]:
        return self.raw.split("\n")


@dataclass
class _Heading:
    block: int
    level: int  # PART, BOOK or CHAPTER
    title: str
    number: Optional[int] = None  # for sequence checks of bare numerals
    bare: bool = False
    real: bool = True


def roman_to_int(text: str) -> Optional[int]:
    """Value of a well-formed roman numeral, else None ("IIII" and "IC" are not numerals)."""
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    total = 0
    for i, char in enumerate(text):
        value = values.get(char)
        if value is None:
            return None
        following = values.get(text[i + 1]) if i + 1 < len(text) else 0
        total += -value if following and following > value else value
    if total <= 0 or _int_to_roman(total) != text:
        return None
    return total


def _int_to_roman(number: int) -> str:
    out = []
    for value, numeral in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                           (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while number >= value:
            out.append(numeral)
            number -= value
    return "".join(out)


def _number(text: Optional[str]) -> Optional[int]:
    if not text:
        return None
    if text.isdigit():
        return int(text)
    lowered = text.lower()
    if lowered in _WORD_NUMBERS:
        return _WORD_NUMBERS.index(lowered) + 1
    return roman_to_int(text)


_BLANK_RUN = re.compile(r"\n(?:[^\S\n]*\n)+")


def text_blocks(body: str) -> list[Block]:
    """Split LF text into blocks at blank lines, remembering how many blank lines preceded each."""
    # One C-level split instead of a Python loop over 65,000 lines (War and Peace).
    pieces = _BLANK_RUN.split("\n" + body + "\n")
    separators = [m.group().count("\n") - 1 for m in _BLANK_RUN.finditer("\n" + body + "\n")]
    blocks: list[Block] = []
    blanks = 1_000  # the first block follows "infinitely many" blank lines
    for i, piece in enumerate(pieces):
        if piece.strip():
            blocks.append(Block(piece.strip("\n"), blanks))
        if i < len(separators):
            blanks = separators[i] if piece.strip() else blanks + separators[i]
    return blocks


def _normalize(raw: str) -> str:
    return " ".join(raw.split())


_SENTINEL = "\x00"


def _normalize_all(raws: list[str]) -> list[str]:
    """`_normalize` of every block, in three C-level passes over the whole book instead of one per block."""
    if any(_SENTINEL in raw for raw in raws):
        return [_normalize(raw) for raw in raws]
    # The sentinel stands alone between spaces, so it survives split() as its own word.
    joined = " ".join(f" {_SENTINEL} ".join(raws).split())
    texts = joined.split(f" {_SENTINEL} ")
    if len(texts) != len(raws):  # an empty block at an edge: take the slow exact path
        return [_normalize(raw) for raw in raws]
    return texts


def _strong_heading(block: Block, index: int) -> Optional[_Heading]:
    if len(block.raw) > 3 * (MAX_HEADING_CHARS + 1) or not _STRONG_START.match(block.raw):
        return None
    lines = block.lines
    if len(lines) > 3 or any(len(line) > MAX_HEADING_CHARS for line in lines):
        return None
    first = " ".join(lines[0].split())
    title = _normalize(block.raw)
    match = _CHAPTER.match(first)
    if match and _number(match.group("num")) is not None:
        return _Heading(index, CHAPTER, title, _number(match.group("num")))
    match = _GROUP.match(first)
    if match and (match.group("num") is None or _number(match.group("num")) is not None):
        level = PART if match.group("kw").lower() in ("part", "volume") else BOOK
        return _Heading(index, level, title)
    if _EPILOGUE.match(first):
        return _Heading(index, _EPILOGUE_LEVEL, title)
    match = _DASHED_PART.match(first)
    if match and roman_to_int(match.group("num")):
        return _Heading(index, PART, title)
    if len(lines) == 1:
        match = _BARE.match(first)
        if match:
            value = _number(match.group("num") or match.group("bracket"))
            if value is not None:
                return _Heading(index, CHAPTER, title, value, bare=True)
    return None


def _weak_heading(block: Block, index: int, text: str) -> Optional[_Heading]:
    if text.casefold() in _NOT_HEADINGS or len(text) > 60:
        return None
    if block.heading:
        return _Heading(index, CHAPTER, text)
    if (len(block.lines) == 1 and block.blank_before >= 2 and not any(c.islower() for c in text)
            and sum(c.isalpha() for c in text) >= 3 and text[-1] not in ".,;!?\"'”’"):
        return _Heading(index, CHAPTER, text)
    return None


def _contents_span(blocks: list[Block], texts: list[str]) -> tuple[int, int]:
    """`[start, end)` block range of a table of contents, or (0, 0) when there is none.

    The contents end where the book repeats their first entry as a heading: that is
    where the text proper begins.
    """
    limit = max(len(blocks) // 4, 1)
    for i in range(min(limit, len(blocks))):
        if texts[i].casefold() not in _CONTENTS:
            continue
        if i + 1 >= len(blocks):
            return (0, 0)
        entry_line = " ".join(blocks[i + 1].lines[0].split()).casefold()
        entry_text = texts[i + 1].casefold()
        for j in range(i + 2, len(blocks)):
            first_line = " ".join(blocks[j].lines[0].split()).casefold()
            whole = texts[j].casefold()
            if first_line == entry_line or whole == entry_line or whole == entry_text:
                return (i, j)
        # No repeat found: the contents are the short-lined blocks after the heading.
        j = i + 1
        while j < len(blocks) and all(len(line.strip()) <= 60 for line in blocks[j].lines):
            j += 1
        return (i, j)
    return (0, 0)


def _mark_real(headings: list[_Heading], block_count: int) -> None:
    """A heading is real when prose follows it, or a deeper real heading does (no empty entries)."""
    by_block = {h.block: h for h in headings}
    for heading in reversed(headings):
        following = by_block.get(heading.block + 1)
        if heading.block + 1 >= block_count:
            heading.real = False
        elif following is None:
            heading.real = True
        else:
            heading.real = following.level > heading.level and following.real


def _sequence_filter(headings: list[_Heading]) -> list[_Heading]:
    """Keep a bare numeral only when it continues the numbering (or starts it after a part)."""
    kept: list[_Heading] = []
    last_number: Optional[int] = None
    chapters_since_part = 0
    for heading in headings:
        if heading.level != CHAPTER:
            chapters_since_part = 0
            kept.append(heading)
            continue
        if heading.bare:
            starts = heading.number == 1 and chapters_since_part == 0
            continues = last_number is not None and heading.number == last_number + 1
            if not (starts or continues):
                continue
        kept.append(heading)
        chapters_since_part += 1
        last_number = heading.number
    return kept


def _resolve_epilogues(headings: list[_Heading]) -> None:
    outermost: Optional[int] = None
    for heading in headings:
        if heading.level == _EPILOGUE_LEVEL:
            heading.level = outermost if outermost is not None else PART
        if heading.level in (PART, BOOK):
            outermost = heading.level if outermost is None else min(outermost, heading.level)


def _find_headings(blocks: list[Block], texts: list[str]) -> tuple[list[_Heading], bool]:
    """The real headings and whether they are strong (pattern) ones."""
    contents_start, contents_end = _contents_span(blocks, texts)
    first_body = contents_end  # before it: the title page and the contents
    strong = [h for i, block in enumerate(blocks) if i >= first_body
              for h in [_strong_heading(block, i)] if h is not None]
    _resolve_epilogues(strong)
    strong = _sequence_filter(strong)
    _mark_real(strong, len(blocks))
    strong = [h for h in strong if h.real]
    if any(h.level == CHAPTER for h in strong) or sum(1 for h in strong if h.level != CHAPTER) >= 2:
        return strong, True
    weak = [h for i, block in enumerate(blocks) if i >= first_body
            for h in [_weak_heading(block, i, texts[i])] if h is not None]
    _mark_real(weak, len(blocks))
    weak = [h for h in weak if h.real]
    if len(weak) >= 2:
        return weak, False
    return [], False


def _section_chapters(blocks: list[Block], texts: list[str]) -> list[Chapter]:
    starts = [0]
    for i, block in enumerate(blocks):
        if i == 0:
            continue
        if _ASTERISM.match(texts[i]) and i + 1 < len(blocks):
            starts.append(i + 1)
        elif ((block.break_before or block.blank_before >= 3) and not _ASTERISM.match(texts[i - 1])
              and texts[i].casefold() not in _NOT_HEADINGS):  # "THE END" closes a section, opens none
            starts.append(i)
    starts = sorted(set(starts))
    if len(starts) < 2:
        return []
    return [Chapter(title=f"Section {n}", paragraph=p) for n, p in enumerate(starts, 1)]


def build_book_text(blocks: list[Block]) -> BookText:
    """Normalize blocks into paragraphs and find the parts and chapters."""
    texts = _normalize_all([block.raw for block in blocks])
    if not all(texts):
        kept = [(block, text) for block, text in zip(blocks, texts) if text]
        blocks = [block for block, _ in kept]
        texts = [text for _, text in kept]
    paragraphs: list[tuple[int, int]] = []
    offset = 0
    for text in texts:
        paragraphs.append((offset, offset + len(text)))
        offset += len(text) + 2
    full_text = "\n\n".join(texts)

    headings, strong = _find_headings(blocks, texts)
    chapters: list[Chapter] = []
    parts: list[str] = []
    if not headings:
        chapters = _section_chapters(blocks, texts)
    elif strong and not any(h.level == CHAPTER for h in headings):
        # Parts but no chapters: the parts are the chapters.
        chapters = [Chapter(title=h.title, paragraph=h.block) for h in headings]
    else:
        stack: list[tuple[int, str]] = []
        heading_blocks = {h.block for h in headings}
        for heading in headings:
            if heading.level == CHAPTER:
                label = " / ".join(title for _, title in stack)
                chapters.append(Chapter(title=heading.title, paragraph=heading.block, part=label))
                if label and label not in parts:
                    parts.append(label)
                continue
            while stack and stack[-1][0] >= heading.level:
                stack.pop()
            stack.append((heading.level, heading.title))
            label = " / ".join(title for _, title in stack)
            # A part with prose of its own right after its heading counts even without chapters.
            if heading.block + 1 not in heading_blocks and label not in parts:
                parts.append(label)
    return BookText(text=full_text, paragraphs=paragraphs, chapters=chapters, parts=parts)
