"""Search within the examples: what the reviewer types after ctrl+f, over the text the card shows.

The query is outside input (anything can be typed or pasted), so `parse_query` never raises: words must
all appear (case and accents of case ignored), "a quoted phrase" must appear as written, a word or phrase
after `-` must not appear; an unclosed quote runs to the end.  Matching is substring matching on the
case-folded text, so "mem" finds "memory" (a reviewer searching for a teacher's habit types part of it).

`SearchIndex` holds every example's searchable text (the student conversation as exported, else the
answer), case-folded once; it is built in the Review screen's worker, off the key path, and an edit
updates its one entry.  A search over 10,000 examples is a scan of ~8 MB of text, tens of milliseconds.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Iterable, Optional

from store.records import Example

MAX_QUERY_CHARS = 200
MAX_TERMS = 16


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


@dataclass(frozen=True)
class SearchQuery:
    """A parsed query: every `include` must be in the text, no `exclude` may be."""

    text: str  # the query as it will be shown (trimmed, at most MAX_QUERY_CHARS)
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.include and not self.exclude

    def matches(self, folded: str) -> bool:
        """Whether an already case-folded text (`searchable_text`) matches."""
        return all(term in folded for term in self.include) and not any(term in folded for term in self.exclude)


def _tokens(text: str) -> Iterable[tuple[bool, str]]:
    """(negated, term) for each word or quoted phrase of the query."""
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            return
        negated = text[i] == "-" and i + 1 < n and not text[i + 1].isspace()
        if negated:
            i += 1
        if text[i] == '"':
            end = text.find('"', i + 1)
            end = n if end < 0 else end
            yield negated, text[i + 1:end]
            i = end + 1
        else:
            start = i
            while i < n and not text[i].isspace():
                i += 1
            yield negated, text[start:i]


def parse_query(text: str) -> SearchQuery:
    """The query in `text`; never raises.  Control characters are dropped; long queries are cut."""
    cleaned = "".join(" " if unicodedata.category(c)[0] in "CZ" and c != " " else c for c in (text or ""))
    shown = " ".join(cleaned.split())[:MAX_QUERY_CHARS]
    include: list[str] = []
    exclude: list[str] = []
    for negated, term in _tokens(shown):
        term = " ".join(_fold(term).split())
        if not term or len(include) + len(exclude) >= MAX_TERMS:
            continue
        target = exclude if negated else include
        if term not in target:
            target.append(term)
    return SearchQuery(shown, tuple(include), tuple(exclude))


def searchable_text(example: Example) -> str:
    """What a search looks in: the turns the card shows (the reviewer's when edited), else the answer; folded.

    Each turn's whitespace is made single spaces, as the query's is, so "a phrase" the card shows across a
    line or paragraph break (answers have paragraphs) is found; turns stay apart (a newline between them).
    """
    turns = example.final_student
    parts = [str(t.get("content", "")) for t in turns] if turns else [example.final_text]
    return _fold("\n".join(" ".join(part.split()) for part in parts))


class SearchIndex:
    """Every example's searchable text, to answer a query without reading the store."""

    def __init__(self, examples: Iterable[Example] = ()) -> None:
        self.texts: dict[int, str] = {example.id: searchable_text(example) for example in examples}

    def update(self, example: Optional[Example]) -> None:
        """After an edit (or its undo): the example's text as the card now shows it."""
        if example is not None:
            self.texts[example.id] = searchable_text(example)

    def search(self, query: SearchQuery, within: Optional[Iterable[int]] = None) -> set[int]:
        """The ids whose text matches (all of them for an empty query), among `within` when given."""
        ids = self.texts.keys() if within is None else [i for i in within if i in self.texts]
        if query.empty:
            return set(ids)
        return {i for i in ids if query.matches(self.texts[i])}
