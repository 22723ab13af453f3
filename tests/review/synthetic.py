"""Synthetic examples for review tests and the benchmark: varied ~800-character texts built through the
store, with planted near-duplicates and cliches, so nothing depends on a teacher."""

from __future__ import annotations

import random
from typing import Any, Optional

from store.records import Book, Example, Passage

TEMPLATES = ("monologue", "conversation", "meta-awareness", "continuity", "uncertainty", "desire-resistance")
TEACHERS = ("anthropic:claude-sonnet-4-6", "mlx:tiny")
TAGS = ("grief", "memory", "desire", "city", "illness", "love")
CLICHES = ("I find myself", "a wave of", "washed over me", "time seemed to stand still", "As I reflect on")

_SYLLABLES = ("ka", "lo", "mi", "ren", "sa", "tor", "vel", "an", "is", "um", "pre", "dos", "gar", "nel",
              "ith", "por", "que", "bra", "sil", "ton", "mar", "ew", "ol", "fen")
_COMMON = ("the", "a", "and", "of", "to", "in", "her", "his", "was", "it", "that", "she", "he", "on",
           "with", "as", "at", "by", "for", "not", "but", "from", "had", "what")


def _vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 4))))
    return sorted(words)


def synthetic_text(rng: random.Random, vocabulary: list[str], chars: int = 800) -> str:
    """Prose-shaped nonsense: sentences of common and rare words, about `chars` long."""
    sentences: list[str] = []
    length = 0
    while length < chars:
        words = [rng.choice(_COMMON) if rng.random() < 0.4 else rng.choice(vocabulary)
                 for _ in range(rng.randint(6, 18))]
        sentence = " ".join(words).capitalize() + rng.choice((".", ".", ".", ",", "?", "!"))
        sentences.append(sentence)
        length += len(sentence) + 1
    return " ".join(sentences)


def perturb(rng: random.Random, text: str, vocabulary: list[str], changes: int = 6) -> str:
    words = text.split()
    for _ in range(changes):
        words[rng.randrange(len(words))] = rng.choice(vocabulary)
    return " ".join(words)


def make_example(text: str, template: str = "monologue", passage_id: int = 0, book_id: int = 0,
                 teacher: str = TEACHERS[0], flags: Optional[list[dict[str, Any]]] = None) -> Example:
    return Example(passage_id=passage_id, book_id=book_id, template_id=template, teacher=teacher,
                   messages=[{"role": "system", "content": "You write inner monologue."},
                             {"role": "user", "content": f"Passage {passage_id}"},
                             {"role": "assistant", "content": text}],
                   usage={"input": 900, "output": 250}, cost_usd=0.0065, flags=flags or [])


USER_TURNS = ("Do you ever feel like the day went by without you in it?", "Can I tell you something odd?",
              "Why does the evening always feel longer than the morning?", "What are you thinking about right now?",
              "Is it strange that I miss a place I didn't like?", "Do you remember what I asked before?")


def student_conversation(rng: random.Random, text: str, template: str, passage: str,
                         copy: bool) -> tuple[list[dict[str, str]], str]:
    """A student conversation around `text` (two exchanges for the continuity template), as the teacher gives.

    `copy`: the last answer carries 9 consecutive words of the passage (a planted copies-passage case).
    """
    if copy:
        words = passage.split()
        start = rng.randrange(max(1, len(words) - 9))
        text = text + " " + " ".join(words[start:start + 9])
    if template == "continuity":
        half = len(text) // 2
        cut = text.rfind(". ", 0, half) + 1 or half
        turns = [text[:cut].strip() or "Yes.", text[cut:].strip() or "Yes."]
        contents = [rng.choice(USER_TURNS), turns[0], rng.choice(USER_TURNS), turns[1]]
        return [{"role": "user" if i % 2 == 0 else "assistant", "content": c} for i, c in enumerate(contents)], \
            "continuity"
    return [{"role": "user", "content": rng.choice(USER_TURNS)}, {"role": "assistant", "content": text}], \
        ("conversation" if template == "conversation" else "single")


def build_corpus(db: Any, count: int, seed: int = 7, duplicate_every: int = 16,
                 cliche_every: int = 10, chars: int = 800, student_every: int = 0) -> dict[str, Any]:
    """Add `count` examples (plus two books and 30 tagged passages) through the store.

    Every `duplicate_every`-th example is a light perturbation of the one before it (a planted
    near-duplicate pair); every `cliche_every`-th holds one of CLICHES, slightly varied.  With
    `student_every` N > 0, every N-th example has a student conversation (one in ten of those copies 9
    words of its passage), as examples made since issue 14 do.
    Returns {"ids", "pairs", "cliched", "copied"}.
    """
    rng = random.Random(seed)
    vocabulary = _vocabulary(rng)
    books = db.books.add_many([Book(title="Synthetic One", author="A"), Book(title="Synthetic Two", author="B")])
    passages = db.passages.add_many([
        Passage(book_id=books[i % 2].id, start=i * 100, end=i * 100 + 90,
                text=synthetic_text(rng, vocabulary, 200), tags=[TAGS[i % len(TAGS)], TAGS[(i + 2) % len(TAGS)]])
        for i in range(30)])
    texts: list[str] = []
    pairs: list[tuple[int, int]] = []
    cliched: list[int] = []
    for i in range(count):
        if i % duplicate_every == duplicate_every - 1 and texts:
            texts.append(perturb(rng, texts[-1], vocabulary))
            pairs.append((i - 1, i))
            continue
        text = synthetic_text(rng, vocabulary, chars)
        if i % cliche_every == 3:
            phrase = rng.choice(CLICHES)
            words = text.split()
            words.insert(rng.randrange(5, len(words)), phrase.replace("find", "found") if rng.random() < 0.5 else phrase)
            text = " ".join(words)
            cliched.append(i)
        texts.append(text)
    examples = []
    copied: list[int] = []
    for i, text in enumerate(texts):
        passage = passages[i % len(passages)]
        template = TEMPLATES[i % len(TEMPLATES)]
        example = make_example(text, template, passage.id, passage.book_id, TEACHERS[i % len(TEACHERS)])
        if student_every and i % student_every == 0:
            copy = (i // student_every) % 10 == 5
            example.student, shape = student_conversation(rng, text, template, passage.text, copy)
            example.student_shape = shape  # type: ignore[assignment]
            if copy:
                copied.append(i)
        examples.append(example)
    db.examples.add_many(examples)
    ids = [e.id for e in examples]
    return {"ids": ids, "pairs": [(ids[a], ids[b]) for a, b in pairs], "cliched": [ids[i] for i in cliched],
            "copied": [ids[i] for i in copied], "examples": examples}
