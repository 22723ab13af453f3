"""`exercise-leak`: user turns that give the writing exercise away fire; natural user turns do not.

The grey cases decided in core/quality/leaks.py each have a line here.
"""

from __future__ import annotations

import pytest

from core.quality.flagger import template_texts
from core.quality.leaks import LeakDetector, author_names
from tests.quality.conftest import SEED_DIR, seed_templates


@pytest.fixture(scope="module")
def detector() -> LeakDetector:
    """As a new project's: the seed templates' task texts and the shared system prompt."""
    shared = (SEED_DIR / "_system.md").read_text(encoding="utf-8")
    return LeakDetector(["Tolstoy, Leo, graf, 1828-1910", "Elizabeth Gaskell"],
                        template_texts(seed_templates()) + [("system", shared)])


LEAKING = [
    ("Here is a passage from a book I love. What is it like inside her head?", "passage"),
    ("In this passage the man waits at the station; what would he be thinking?", "passage"),
    ("Write an inner monologue about waiting for news.", "a request to write"),
    ("Could you write me something about the first snow?", "a request to write"),
    ("I'd like you to compose a few lines about my grandmother's kitchen.", "a request to write"),
    ("Please write it from the perspective of a tired nurse.", "a request to write"),
    ("Okay, write what she feels when the door closes.", "a request to write"),
    ("Give me a stream of consciousness about a rainy bus ride.", "stream of consciousness"),
    ("What would the character feel after the letter arrives?", "the character"),
    ("In the novel, she never says it aloud. Why?", "novel"),
    ("I've been reading novels all week and I feel strange.", "novel"),
    ("The chapter where he leaves broke me.", "chapter"),
    ("Which books do you think about when you're alone?", "book"),
    ("The author never tells us what she wanted.", "author"),
    ("Use this template: a morning, a loss, a small object.", "template"),
    ("Here's the prompt: describe a sleepless night.", "prompt"),
    ("Tell it in the first person, please.", "first person"),
    ("It's for my creative writing class, just be honest.", "creative writing"),
    ("Who is the narrator really talking to?", "narrator"),
    ("Tolstoy would have understood this, don't you think?", "tolstoy"),
    ("I keep thinking about Virginia Woolf walking into the river.", "virginia woolf"),
    ("Gaskell's mill towns feel like my home town.", "gaskell"),
    ("Have you read Anna Karenina? I feel like her lately.", "anna karenina"),
    ("Something in Swann\u2019s Way about the madeleine keeps bothering me.", "swann's way"),
]


@pytest.mark.parametrize("turn, label", LEAKING)
def test_leaking_user_turns_fire(detector: LeakDetector, turn: str, label: str) -> None:
    labels = [leak.label for leak in detector.find(turn)]
    assert label in labels, labels


CLEAN = [
    "I wrote to my sister yesterday and she hasn't answered.",  # grey: "write" as something done, not asked for
    "My dad writes long emails and I never know how to reply.",
    "I've been writing my thesis for a year and I'm so tired.",
    "Do you ever get tired of answering the same questions?",
    "The passage of time scares me more than it used to.",  # grey: the figurative sense
    "Can you help me book a table for two on Friday?",  # grey: the verb
    "I need to book flights home and I keep putting it off.",
    "I had a novel idea for dinner and it went badly.",  # grey: the adjective
    "Starting a new chapter of my life next week, and I'm terrified.",  # grey: the figure of speech
    "My aunt Joyce called and I didn't pick up.",  # grey: an author's surname that is also a first name
    "Lewis from work asked me out and I said maybe.",
    "She gave me a prompt reply and then nothing for days.",
    "It's raining again and I can't make myself go outside.",
    "What do you do when you can't sleep?",
    "My cat died this morning. I don't know why I'm telling you.",
    "Is it weird that I miss my old flat?",
    "I just got the job. I thought I'd feel happier.",
    "How do you know when you're actually over someone?",
    "My mother keeps asking when I'm coming home.",
    "I walked past my old school today and felt nothing. Should I?",
    "Do you remember things, or does every conversation start from zero?",
    "The hospital smelled like oranges, which made it worse.",
    "Tell me honestly: do you get bored?",
    "I'm sitting in the car outside the house and can't go in.",
    "My friend says I overthink everything. Is she right?",
    "He has such character, my grandfather, even at ninety.",
]


@pytest.mark.parametrize("turn", CLEAN)
def test_natural_user_turns_do_not_fire(detector: LeakDetector, turn: str) -> None:
    assert detector.find(turn) == []


def test_template_wording_needs_four_words_with_three_content_words(detector: LeakDetector) -> None:
    leaks = detector.find("Invent a different person, place and situation for me.")
    assert [(leak.kind, leak.label) for leak in leaks] == [("template", "monologue")]
    assert leaks[0].words == "Invent a different person, place and situation"
    # Four shared words of which fewer than two are content words are ordinary English.
    assert detector.find("I don't know what it is about the morning.") == []


def test_the_examples_own_book_author_and_title() -> None:
    bare = LeakDetector()
    assert bare.find("Gaskell understood mill towns.") == []
    found = bare.find("Gaskell understood mill towns.", author="Gaskell, Elizabeth")
    assert [(leak.kind, leak.words) for leak in found] == [("author", "Gaskell")]
    assert [leak.kind for leak in bare.find("I finished Cranford last night.", title="Cranford")] == ["title"]
    assert bare.find("cranford is a town", title="Cranford") == []  # a one-word title fires as a name only


def test_author_names_from_catalogue_and_plain_forms() -> None:
    assert author_names("Tolstoy, Leo, graf, 1828-1910") == [("Leo Tolstoy", False), ("Tolstoy", False)]
    assert author_names("James Joyce") == [("James Joyce", False)]
    assert author_names("") == []
