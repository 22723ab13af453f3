"""Real literary prose must not look like a teacher's cliches: at most 2% of 500 random paragraphs from
Woolf, Dostoevsky, Proust and Joyce get a cliche or formulaic-opening flag (14.4% did when AVOID
descriptions were split into phrases and "perhaps" alone was a flag)."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from books.reader import parse_book_file
from core.quality import FlagInput, QualityFlagger

BOOKS = ("mrs_dalloway_pga0200991.txt", "brothers_karamazov_28054.txt", "crime_and_punishment_2554.txt",
         "notes_from_underground_600.txt", "swanns_way_7178.txt", "ulysses_4300.txt")
SAMPLE = 500
MIN_WORDS = 20  # paragraphs, not headings or one-line speeches
MAX_SHARE = 0.02


def _paragraphs(corpus: Path) -> list[str]:
    out: list[str] = []
    for name in BOOKS:
        text = parse_book_file(corpus / name).text
        out += [p for p in (text.paragraph_text(i) for i in range(len(text.paragraphs)))
                if len(p.split()) >= MIN_WORDS]
    return out


def test_random_corpus_paragraphs_are_rarely_flagged(corpus: Path, seeded_flagger: QualityFlagger,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    sample = random.Random(2026).sample(_paragraphs(corpus), SAMPLE)
    flagged = 0
    phrases: Counter[str] = Counter()
    for key, paragraph in enumerate(sample):
        hits = [f for f in seeded_flagger.check(FlagInput(key, paragraph)) if f["code"] in ("cliche", "formulaic-opening")]
        flagged += bool(hits)
        phrases.update(str(f.get("phrase")) for f in hits)
    with capsys.disabled():
        print(f"\n[corpus] {flagged} of {SAMPLE} paragraphs flagged ({100 * flagged / SAMPLE:.1f}%): "
              f"{dict(phrases.most_common(8))}")
    assert flagged <= MAX_SHARE * SAMPLE, phrases.most_common(10)
