"""Project Gutenberg text files: strip the front matter, the license and the back matter.

Handles the marker forms met in the wild: `*** START OF THE PROJECT GUTENBERG EBOOK X ***`,
the older `*** START OF THIS ...`, the no-space `***START OF ...***`, and
Project Gutenberg Australia files, which have no markers at all (their header is a
block of `Key: value` lines and the file closes with a "Project Gutenberg Australia" line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

_START = re.compile(r"^\s*\*{3}\s*START OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK[^\n]*$",
                    re.IGNORECASE | re.MULTILINE)
_END = re.compile(r"^\s*\*{3}\s*END OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK[^\n]*$",
                  re.IGNORECASE | re.MULTILINE)
# "End of the Project Gutenberg EBook of X" / "End of Project Gutenberg's X" just before the END marker.
_END_LINE = re.compile(r"^\s*End of (?:the )?Project Gutenberg(?:'s|’s)?\b[^\n]*$", re.IGNORECASE | re.MULTILINE)
_HEADER_FIELD = re.compile(r"^\s*(Title|Author|Authors)\s*:\s*(.*)$", re.IGNORECASE)
_NUMBER = re.compile(r"\[\s*E-?Book\s*#\s*(\d+)\s*\]", re.IGNORECASE)
# Lines that open the body with credits rather than the book.
_CREDITS = re.compile(r"^\s*(Produced by|E-?text prepared by|Transcribed (?:from|by)|This e-?book was produced)",
                      re.IGNORECASE)
_PGA = re.compile(r"Project Gutenberg (?:of )?Australia", re.IGNORECASE)


@dataclass
class GutenbergText:
    body: str  # the book without front matter, license and back matter
    kind: str  # "gutenberg" (marker-delimited), "pga" (Project Gutenberg Australia) or "" (not Gutenberg)
    title: str = ""
    author: str = ""
    number: Optional[int] = None


def _header_fields(header: str) -> tuple[str, str]:
    """`Title:` and `Author:` from a header; values may continue on indented lines."""
    title = author = ""
    lines = header.split("\n")
    for i, line in enumerate(lines):
        match = _HEADER_FIELD.match(line)
        if not match:
            continue
        value = match.group(2).strip()
        for follow in lines[i + 1:]:
            if follow.startswith((" ", "\t")) and follow.strip() and ":" not in follow:
                value += " " + follow.strip()
            else:
                break
        key = match.group(1).lower()
        if key == "title" and not title:
            title = value
        elif key.startswith("author") and not author:
            author = value
    return title, author


def _drop_credit_block(body: str) -> str:
    """Remove a leading "Produced by ..." paragraph: it credits the transcribers, not the author."""
    stripped = body.lstrip("\n")
    if _CREDITS.match(stripped):
        cut = stripped.find("\n\n")
        return "" if cut < 0 else stripped[cut:]
    return body


def strip_gutenberg(text: str) -> GutenbergText:
    """Split a (LF-normalized) text into the book and its Gutenberg wrapping, when it has one."""
    # The markers sit near the ends: search there first (a whole-book regex scan costs ~50 ms).
    start = _START.search(text, 0, 200_000) or _START.search(text)
    if start:
        header = text[:start.start()]
        tail_from = max(start.end(), len(text) - 200_000)
        end = _END.search(text, tail_from) or _END.search(text, start.end())
        body = text[start.end():end.start() if end else len(text)]
        tail = len(body) - 3000
        tail_line = None
        for tail_line in _END_LINE.finditer(body, max(tail, 0)):
            pass
        if tail_line is not None and not body[tail_line.end():].strip():
            body = body[:tail_line.start()]
        title, author = _header_fields(header)
        number_match = _NUMBER.search(header)
        return GutenbergText(body=_drop_credit_block(body), kind="gutenberg", title=title, author=author,
                             number=int(number_match.group(1)) if number_match else None)
    head = text[:4000]
    if _PGA.search(head):
        return _strip_pga(text)
    return GutenbergText(body=text, kind="")


def _strip_pga(text: str) -> GutenbergText:
    """Project Gutenberg Australia: the header is the run of `Key: value`/notice paragraphs before the book."""
    lines = text.split("\n")
    # PGA files repeat a short `Title:`/`Author:` block just before the book: the header ends
    # at the last such line among the first 150 lines.
    last_header = -1
    for i, line in enumerate(lines[:150]):
        if _HEADER_FIELD.match(line):
            last_header = i
    header = "\n".join(lines[:last_header + 1])
    body_lines = lines[last_header + 1:]
    # Closing lines: trailing lines that name Project Gutenberg Australia (and blank lines).
    end = len(body_lines)
    while end > 0 and (not body_lines[end - 1].strip() or _PGA.search(body_lines[end - 1])):
        end -= 1
    title, author = _header_fields(header)
    title = re.sub(r"\s*\(\d{4}\)\s*$", "", title)  # "Mrs. Dalloway (1925)" -> "Mrs. Dalloway"
    return GutenbergText(body="\n".join(body_lines[:end]), kind="pga", title=title, author=author)
