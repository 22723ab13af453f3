"""Helpers for the queue tests: a project with a book, passages with chosen templates, a teacher on the fake."""

from __future__ import annotations

from typing import Any

import pytest

from core.queue import GenerationQueue, QueueConfig
from core.queue.jobs import enqueue, select_passages
from core.teacher.anthropic_teacher import AnthropicTeacher
from core.templates import load_templates
from store.records import Book, Passage

PASSAGE_TEXTS = [
    "He stood at the window a long time, and the street below seemed to him both familiar and strange, "
    "as if he had dreamed it the night before and was now checking the dream against the world.",
    "She did not answer. She was counting the buttons on his coat, which was a thing she did when she "
    "could not bear to look at a face, and there were seven, and one was loose.",
    "It came back to him at odd moments, the smell of the station, and each time he could not tell "
    "whether it was the memory or only the memory of having remembered it before.",
    "I wanted to go to her, and I stayed where I was, and the wanting and the staying were the same "
    "stillness, so that anyone watching would have thought I had decided something.",
]


def add_passages(db: Any, count: int, templates: tuple[str, ...] = ("monologue",), tag: str = "grief",
                 book_title: str = "The Test Book") -> list[Passage]:
    book = db.books.add(Book(title=book_title, author="A. Writer"))
    passages = []
    for index in range(count):
        text = PASSAGE_TEXTS[index % len(PASSAGE_TEXTS)] + f" ({index})"
        passages.append(db.passages.add(Passage(book_id=book.id, start=index * 300, end=index * 300 + len(text),
                                                text=text, tags=[tag], phenomenology="dread", verdict="valuable",
                                                note="the body knows first", template_ids=list(templates))))
    return passages


def make_queue(project: Any, db: Any, server: Any, *, concurrency: int = 4, budget: float = 100.0,
               samples: int = 1, batch: bool = False, max_retries: int = 4, **kwargs: Any) -> GenerationQueue:
    """Enqueue every qualifying passage for a teacher on the fake server; return the queue."""
    settings = project.settings
    settings.teacher.base_url = server.base_url
    settings.teacher.timeout_s = 1.0
    teacher = AnthropicTeacher(settings, api_key=server.api_key)
    _open_teachers.append(teacher)
    templates = load_templates(project, db)
    enqueue(db, select_passages(db), templates, teacher.name, samples)
    config = QueueConfig(concurrency=concurrency, max_retries=max_retries, backoff_base_s=0.01,
                         backoff_max_s=0.05, budget_usd=budget, batch_poll_s=0.02)
    return GenerationQueue(db, teacher, templates, config, batch=batch, **kwargs)


_open_teachers: list[AnthropicTeacher] = []


@pytest.fixture(autouse=True)
async def _close_teachers():
    """Close the SDK clients inside the test's event loop (not at garbage collection, after it closed)."""
    yield
    while _open_teachers:
        await _open_teachers.pop().aclose()
