"""Synthetic books, passages and accepted examples, written through the store.

Texts are drawn from a large random vocabulary so that no two replies are near-
duplicates unless a test makes them so on purpose.
"""

from __future__ import annotations

import random
import string
from typing import Optional

from store.records import Book, Example, Passage

TEMPLATES = ("direct-monologue", "conversational", "meta-awareness")
_VOCAB: list[str] = []


def vocabulary() -> list[str]:
    if not _VOCAB:
        rng = random.Random(99)
        _VOCAB.extend("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 9))) for _ in range(5000))
    return _VOCAB


def random_text(rng: random.Random, words: int = 60) -> str:
    vocab = vocabulary()
    return " ".join(rng.choice(vocab) for _ in range(words)).capitalize() + "."


def add_book(db, title: str, author: str, group: str = "", passages: int = 10, per_passage: int = 3,
             templates: tuple[str, ...] = TEMPLATES, edited_every: int = 0, seed: Optional[int] = None,
             status: str = "accepted", tags: tuple[str, ...] = ("memory", "desire"), student: bool = True) -> Book:
    """A book with `passages` passages, each with `per_passage` examples cycling through `templates`.

    Each example has a student conversation (a short user turn and the answer) unless `student` is False,
    which makes examples as they were before student conversations (excluded from builds).
    """
    rng = random.Random(seed if seed is not None else f"{title}|{author}")
    book = db.books.add(Book(title=title, author=author, group=group))
    examples = []
    counter = 0
    for number in range(passages):
        passage = db.passages.add(Passage(book_id=book.id, start=number * 100, end=number * 100 + 90,
                                          text=random_text(rng, 20), tags=[tags[number % len(tags)]] if tags else []))
        for sample in range(per_passage):
            template = templates[(number * per_passage + sample) % len(templates)]
            completion = random_text(rng, rng.randint(40, 120))
            edited = random_text(rng, 50) if edited_every and counter % edited_every == 0 else ""
            counter += 1
            turns = ([{"role": "user", "content": random_text(rng, rng.randint(6, 18))},
                      {"role": "assistant", "content": completion}] if student else [])
            examples.append(Example(
                passage_id=passage.id, book_id=book.id, template_id=template, template_version=f"v-{template[:4]}",
                teacher="fake:teacher", status=status, edited_text=edited, student=turns,
                student_shape="single" if student else "",
                messages=[{"role": "system", "content": "You write interiority."},
                          {"role": "user", "content": f"Passage: {passage.text}\nWrite the inner monologue."},
                          {"role": "assistant", "content": completion}]))
    db.examples.add_many(examples)
    return book
