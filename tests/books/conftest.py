"""Shared fixtures for the books tests: each corpus book is parsed once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from books.reader import ParsedBook, parse_book_file

CORPUS_FILES = [
    "war_and_peace_2600.txt",
    "anna_karenina_1399.txt",
    "brothers_karamazov_28054.txt",
    "crime_and_punishment_2554.txt",
    "notes_from_underground_600.txt",
    "swanns_way_7178.txt",
    "ulysses_4300.txt",
    "mrs_dalloway_pga0200991.txt",
    "alice_in_wonderland_11.epub",
]

_parsed: dict[str, ParsedBook] = {}


@pytest.fixture(scope="session")
def parsed_corpus(corpus: Path):
    """`name -> ParsedBook`, parsing lazily and once (parsing the corpus is the slow part)."""
    def get(name: str) -> ParsedBook:
        if name not in _parsed:
            _parsed[name] = parse_book_file(corpus / name)
        return _parsed[name]
    return get
