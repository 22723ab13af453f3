"""Cliches and formulaic openings: an editable phrase list matched fuzzily, so small variations still hit.

The phrase list is the union of a seed list (below), the AVOID lists of the project's templates and
`[quality] extra_cliches`.  A phrase hits when rapidfuzz's `partial_ratio` between it and the example's
normalized text reaches `cliche_score` ("I found myself" still hits "I find myself").

`partial_ratio` over an 800-character text costs ~13 us, so 60 phrases x 10,000 examples would take ~8 s.
Anchoring makes it cheap: a fuzzy hit with an edit budget d spread over a phrase's m content words leaves
at least one of them within ceil(d/m) edits (capped at a third of the word's letters), so a phrase is only
scored (with `fuzz.ratio` on the word windows around such a word) where the text holds a close variant of
one of its words.  Variants are
found once per distinct word of the corpus and cached.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

_WORD = re.compile(r"\w+")
_QUOTED = re.compile(r"[\"“”]([^\"“”]{3,80})[\"“”]")

# Phrases the teacher falls back on, found in any position.
SEED_CLICHES: tuple[str, ...] = (
    "As I reflect on", "I find myself", "I can't help but", "a wave of", "washed over me",
    "time seemed to stand still", "a tapestry of", "a symphony of", "a kaleidoscope of", "a testament to",
    "every fiber of my being", "the weight of it all", "a sense of profound", "in the grand scheme of things",
    "the ebb and flow", "a bittersweet reminder", "my heart skipped a beat", "a lump in my throat",
    "I let out a breath I didn't know I was holding", "the silence was deafening", "delve into",
    "navigate the complexities", "something shifted inside me", "I am reminded that", "it dawned on me",
    "a dance of light and shadow", "the echoes of", "in the tapestry of", "a profound sense of",
)

# Formulaic ways to begin; they are only flagged as the opening words of an example.
SEED_OPENINGS: tuple[str, ...] = (
    "As I sit here", "In this moment", "Looking back", "There is something about", "It's strange how",
    "In the quiet of", "I've always", "Sometimes I wonder", "It is a strange thing",
)

OPENING_CHARS = 16  # a hit starting within this many normalized characters counts as the opening
MIN_CONTENT_LETTERS = 3
# Function words are never anchors: within an edit or two of each other ("the", "she", "her"), they would
# send every phrase to every sentence.  The anchor argument holds for any subset of a phrase's words.
STOPWORDS = frozenset("""
the and but for not was were are had has have her his him she he they them their its that this
what with from then than when who whom which there here into onto upon our out you your all any can
could would should will shall may might must one been being did does done each how why where while
""".split())


def normalize(text: str) -> str:
    """Lower-cased words joined by single spaces: quotes, punctuation and line breaks do not matter."""
    return " ".join(_WORD.findall(text.lower()))


def phrases_from_avoid(entries: Iterable[str]) -> list[str]:
    """The literal phrases in an AVOID list.

    An entry that is a short phrase ("As I reflect on...") is used whole; an entry that describes a fault
    ("naming the emotion instead of showing it (\"I felt sad\")") contributes only its quoted examples,
    because matching a description against prose finds nothing or noise.
    """
    out: list[str] = []
    for entry in entries:
        quoted = _QUOTED.findall(entry)
        if quoted:
            out.extend(quoted)
            continue
        words = normalize(entry).split()
        if 1 <= len(words) <= 6 and ":" not in entry:
            out.append(entry)
    return out


@dataclass(frozen=True)
class Phrase:
    text: str  # normalized
    source: str  # "seed", "settings", or "template:<id>"
    opening_only: bool = False


@dataclass
class PhraseList:
    """The deduplicated phrases with where each came from (the first source wins)."""

    phrases: list[Phrase] = field(default_factory=list)

    @classmethod
    def build(cls, templates: Iterable[Any] = (), extra: Iterable[str] = (),
              seed: Sequence[str] = SEED_CLICHES, seed_openings: Sequence[str] = SEED_OPENINGS) -> "PhraseList":
        seen: dict[str, Phrase] = {}

        def put(raw: str, source: str, opening_only: bool = False) -> None:
            text = normalize(raw)
            if len(text) >= 4 and text not in seen:
                seen[text] = Phrase(text, source, opening_only)

        for template in templates:
            for phrase in phrases_from_avoid(getattr(template, "avoid", ()) or ()):
                put(phrase, f"template:{getattr(template, 'id', '?')}")
        for phrase in extra:
            put(phrase, "settings")
        for phrase in seed:
            put(phrase, "seed")
        for phrase in seed_openings:
            put(phrase, "seed", opening_only=True)
        return cls(list(seen.values()))

    def __len__(self) -> int:
        return len(self.phrases)


class ClicheMatcher:
    """Finds phrase hits in normalized texts; `find(normalized_text)` returns flag dicts.

    A phrase is scored only where the text holds a close variant of one of its content words (an
    anchor): the word windows around the anchor, one word shorter to one word longer than the phrase,
    are compared with `fuzz.ratio`.  Windows of the phrase's own length alone (what `partial_ratio`
    does) would score "i found myself" against "i find myself" at 85, under the default 88, because the
    inflected form pushes the last letter out of the window.
    """

    def __init__(self, phrases: PhraseList, score: float = 88.0) -> None:
        self.score = float(score)
        self.phrases = [p for p in phrases.phrases if not p.opening_only]
        self.openings = [p for p in phrases.phrases if p.opening_only]
        self._phrase_words = [p.text.split() for p in self.phrases]
        word_budget: dict[str, int] = {}
        word_slots: dict[str, set[tuple[int, int]]] = {}
        self._unanchored: list[int] = []
        for index, words in enumerate(self._phrase_words):
            content = [(j, w) for j, w in enumerate(words)
                       if len(w) >= MIN_CONTENT_LETTERS and w not in STOPWORDS]
            if not content:
                self._unanchored.append(index)
                continue
            # Edits the whole phrase may absorb and still score `score` against a window of about its length;
            # spread over its content words, at least one of them is within this many edits.
            text_len = len(self.phrases[index].text)
            max_edits = math.floor((1.0 - self.score / 100.0) * 2 * (text_len + 2))
            per_word = max(1, math.ceil(max_edits / len(content)))
            for j, word in content:
                # A word with more than a third of its letters changed is another word, not a variation of
                # it ("joy" is not "by"); without this cap short anchors would match everything.
                budget = min(per_word, max(1, len(word) // 3))
                word_budget[word] = max(word_budget.get(word, 0), budget)
                word_slots.setdefault(word, set()).add((index, j))
        self._anchor_words = list(word_budget)
        self._budgets = np.array([word_budget[w] for w in self._anchor_words], dtype=np.int32)
        self._anchor_slots = [frozenset(word_slots[w]) for w in self._anchor_words]
        self._variant_cache: dict[str, frozenset[tuple[int, int]]] = {}

    def _slots_for_word(self, word: str) -> frozenset[tuple[int, int]]:
        """(phrase, word position) pairs whose anchor word is within its edit budget of `word`."""
        cached = self._variant_cache.get(word)
        if cached is not None:
            return cached
        result: set[tuple[int, int]] = set()
        if self._anchor_words and len(word) >= MIN_CONTENT_LETTERS and word not in STOPWORDS:
            distances = process.cdist([word], self._anchor_words, scorer=Indel.distance, dtype=np.int32)[0]
            for position in np.nonzero(distances <= self._budgets)[0]:
                result.update(self._anchor_slots[position])
        frozen = frozenset(result)
        if len(self._variant_cache) < 1_000_000:
            self._variant_cache[word] = frozen
        return frozen

    def find(self, normalized_text: str) -> list[dict[str, Any]]:
        """Flags for the phrase hits in one normalized text, in text order."""
        words = normalized_text.split()
        if not words:
            return []
        cutoff = self.score
        best: dict[int, tuple[float, int, int]] = {}  # phrase -> (score, first word, end word)
        tried: set[tuple[int, int, int]] = set()
        slots_of = {}
        for word in set(words):
            slots = self._slots_for_word(word)
            if slots:
                slots_of[word] = slots
        for position, word in enumerate(words):
            if word not in slots_of:
                continue
            for index, slot in slots_of[word]:
                phrase_text = self.phrases[index].text
                size = len(self._phrase_words[index])
                for start in (position - slot, position - slot - 1, position - slot + 1):
                    for length in (size, size - 1, size + 1):
                        end = start + length
                        if start < 0 or length < 1 or end > len(words) or not start <= position < end:
                            continue
                        if (index, start, end) in tried:
                            continue
                        tried.add((index, start, end))
                        score = fuzz.ratio(phrase_text, " ".join(words[start:end]), score_cutoff=cutoff)
                        if score >= cutoff and score > best.get(index, (0.0, 0, 0))[0]:
                            best[index] = (score, start, end)
        offsets = None
        hits: list[tuple[int, dict[str, Any]]] = []
        for index, (score, start, end) in best.items():
            if offsets is None:
                offsets = _word_offsets(words)
            begin = offsets[start]
            finish = offsets[end - 1] + len(words[end - 1])
            hits.append((begin, self._flag(self.phrases[index], normalized_text, begin, finish, score)))
        for index in self._unanchored:
            alignment = fuzz.partial_ratio_alignment(self.phrases[index].text, normalized_text, score_cutoff=cutoff)
            if alignment is not None:
                hits.append((alignment.dest_start, self._flag(self.phrases[index], normalized_text,
                                                              alignment.dest_start, alignment.dest_end,
                                                              alignment.score)))
        head = normalized_text[: OPENING_CHARS + 60]
        for phrase in self.openings:
            alignment = fuzz.partial_ratio_alignment(phrase.text, head, score_cutoff=cutoff)
            if alignment is not None and alignment.dest_start <= OPENING_CHARS:
                hits.append((alignment.dest_start, self._flag(phrase, normalized_text, alignment.dest_start,
                                                              alignment.dest_end, alignment.score)))
        hits.sort(key=lambda pair: pair[0])
        return [flag for _start, flag in hits]

    def _flag(self, phrase: Phrase, text: str, start: int, end: int, score: float) -> dict[str, Any]:
        matched = text[start:end].strip()
        at_opening = start <= OPENING_CHARS
        code = "formulaic-opening" if at_opening else "cliche"
        where = "opens with" if at_opening else "uses"
        exact = "" if matched == phrase.text else f" (as \u201c{matched}\u201d, {score:.0f}% alike)"
        return {"code": code, "detail": f"{where} \u201c{phrase.text}\u201d{exact}; source: {phrase.source}",
                "phrase": phrase.text, "match": matched, "score": round(float(score), 1), "start": start,
                "source": phrase.source}


def _word_offsets(words: list[str]) -> list[int]:
    """Character offset of each word in `" ".join(words)`."""
    offsets = []
    position = 0
    for word in words:
        offsets.append(position)
        position += len(word) + 1
    return offsets
