"""The labelled set (`data/labelled.jsonl`) read back against the corpus books.

Why spans and hashes rather than copied text: the corpus lives in `../shared/corpus`; the set
stores each paragraph's book, span and a short hash, and this loader checks the span still
points at the paragraph that was labelled.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from books.model import BookText
from books.reader import parse_book_file

DATA = Path(__file__).resolve().parent / "data" / "labelled.jsonl"
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


@dataclass(frozen=True)
class LabelledParagraph:
    book: str
    paragraph: int
    text: str
    interior: bool
    split: str  # "tune" or "held"


@lru_cache(maxsize=None)
def corpus_book(name: str) -> BookText:
    return parse_book_file(CORPUS / name).text


@lru_cache(maxsize=1)
def labelled_paragraphs() -> tuple[LabelledParagraph, ...]:
    rows = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        book = corpus_book(entry["book"])
        text = book.text[entry["start"]:entry["end"]]
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        if digest != entry["sha"] or book.paragraphs[entry["paragraph"]] != (entry["start"], entry["end"]):
            raise AssertionError(f"{entry['book']} paragraph {entry['paragraph']} no longer matches its label")
        rows.append(LabelledParagraph(entry["book"], entry["paragraph"], text, entry["label"] == "interior",
                                      entry["split"]))
    return tuple(rows)


def split(name: str) -> list[LabelledParagraph]:
    return [row for row in labelled_paragraphs() if row.split == name]
