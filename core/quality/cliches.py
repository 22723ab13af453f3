"""Cliches and formulaic openings: pattern families (`patterns.py`) plus an editable phrase list matched
fuzzily, so small variations of a user's own phrases still hit.

The phrase list is the union of a seed list (below), the phrases of the project's templates' AVOID lists
and `[quality] extra_cliches`.  A seed or AVOID phrase that a pattern family covers ("a wave of",
"washed over me") is matched by the family, which knows inflections and tells the formula from the
literal words ("a wave of grief", not "a wave of the hand").  The other phrases hit fuzzily: where
rapidfuzz's `fuzz.ratio` between the phrase and a window of the text reaches `cliche_score` and each of
the phrase's content words is still there in some form ("I felt sad" is not "I felt a").

An AVOID entry that describes a fault ("resolving the doubt at the end", "performed uncertainty: hedging
every sentence (\"maybe\", \"perhaps\")") is guidance for the teacher, not a phrase: it contributes only
its quoted examples of three words or more; hedging is flagged when it is dense (`patterns.hedge_density`).

Anchoring keeps the fuzzy part cheap: a fuzzy hit with an edit budget d spread over a phrase's m content
words leaves at least one of them within ceil(d/m) edits (capped at a third of the word's letters), so a
phrase is only scored (with `fuzz.ratio` on the word windows around such a word) where the text holds a
close variant of one of its words.  Variants are found once per distinct word of the corpus and cached.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional, Sequence

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

from core.quality.patterns import (OPENING_CHARS, FamilyHit, FamilyMatcher, covered_phrases, form_from_normalized,
                                   hedge_density, match_form)

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

# Words that mark an AVOID entry as a description of a fault rather than a phrase to find in a text.
_DESCRIPTION_WORDS = frozenset("""
cliche cliché cliches profundity self-analysis therapy-speak instead montage explaining resolving arriving
ending naming announcing performed hedging abstract lesson diagnoses paradoxes enacting
""".split())
MIN_QUOTED_WORDS = 3  # shorter quoted examples ("maybe", "I think") are in any prose
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


def is_description(entry: str) -> bool:
    """Whether an AVOID entry describes a fault for the teacher rather than quoting a phrase."""
    words = normalize(entry).split()
    return (":" in entry or "(" in entry or len(words) > 6
            or any(word in _DESCRIPTION_WORDS for word in entry.lower().replace(",", " ").split()))


def phrases_from_avoid(entries: Iterable[str]) -> list[str]:
    """The literal phrases in an AVOID list.

    An entry that is a short phrase ("As I reflect on...") is used whole; an entry that describes a fault
    ("naming the emotion instead of showing it (\"I felt sad\")", "resolving the doubt at the end")
    contributes only its quoted examples of three words or more, because matching a description against
    prose finds nothing or noise, and a one-word example ("perhaps") is in half the paragraphs of a novel.
    """
    out: list[str] = []
    for entry in entries:
        quoted = _QUOTED.findall(entry)
        if quoted or is_description(entry):
            out.extend(q for q in quoted if len(normalize(q).split()) >= MIN_QUOTED_WORDS)
            continue
        if normalize(entry):
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
    """Finds pattern-family and phrase hits; `find(normalized_text, text)` returns flag dicts.

    A phrase is scored only where the text holds a close variant of one of its content words (an
    anchor): the word windows around the anchor, one word shorter to one word longer than the phrase,
    are compared with `fuzz.ratio`.  Windows of the phrase's own length alone (what `partial_ratio`
    does) would score "i found myself" against "i find myself" at 85, under the default 88, because the
    inflected form pushes the last letter out of the window.
    """

    def __init__(self, phrases: PhraseList, score: float = 88.0, families: Optional[FamilyMatcher] = None) -> None:
        self.score = float(score)
        self.families = families or FamilyMatcher()
        covered = covered_phrases(self.families.families)
        # A family's flags name the source of the first phrase it replaced (a template's AVOID list wins).
        self.family_sources: dict[str, str] = {}
        for phrase in phrases.phrases:
            family = covered.get(phrase.text)
            if family is not None:
                self.family_sources.setdefault(family.phrase, phrase.source)
        fuzzy = [p for p in phrases.phrases if p.text not in covered]
        self.phrases = [p for p in fuzzy if not p.opening_only]
        self.openings = [p for p in fuzzy if p.opening_only]
        self._phrase_words = [p.text.split() for p in self.phrases]
        word_budget: dict[str, int] = {}
        word_slots: dict[str, set[tuple[int, int]]] = {}
        self._unanchored: list[int] = []
        self._content: list[list[str]] = []
        for index, words in enumerate(self._phrase_words):
            content = [(j, w) for j, w in enumerate(words)
                       if len(w) >= MIN_CONTENT_LETTERS and w not in STOPWORDS]
            self._content.append([w for _j, w in content])
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

    def _content_words_kept(self, index: int, window: list[str]) -> bool:
        """Whether every content word of the phrase is in the window in some form (an inflection keeps the
        start of the word: "reflect", "reflected"; a third of the letters may change): a hit on the
        letters alone matched "i felt sad" to "i felt a"."""
        if len(self._content[index]) <= 1 and " ".join(window) != self.phrases[index].text:
            return False  # one content word ("i hear you", "my mind is a"): too little to vary safely
        for word in self._content[index]:
            stem = word[:max(MIN_CONTENT_LETTERS, len(word) - 2)]
            budget = max(1, len(word) // 3)
            if not any(other.startswith(stem) or Indel.distance(word, other) <= budget for other in window):
                return False
        return True

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

    def find(self, normalized_text: str, text: Optional[str] = None) -> list[dict[str, Any]]:
        """Flags for the family and phrase hits in one text, families first, each group in text order.

        Args:
            normalized_text: `normalize(text)`; the fuzzy phrases are matched on it.
            text: the text itself, when the caller has it: the families then see its punctuation ("Looking
                back, I" against "Looking back from the bridge") and dense hedging can be counted by sentence.
        """
        words = normalized_text.split()
        if not words:
            return []
        flags = self._family_flags(normalized_text, words, text)
        return flags + self._phrase_flags(normalized_text, words)

    def _family_flags(self, normalized_text: str, words: list[str], text: Optional[str]) -> list[dict[str, Any]]:
        form = match_form(text) if text is not None else form_from_normalized(normalized_text)
        flags = [self._family_flag(hit) for hit in self.families.find(form, set(words))]
        if text is not None:
            dense = hedge_density(form, words)
            if dense is not None:
                hedged, sentences = dense
                flags.append({"code": "cliche", "phrase": "dense hedging", "match": "", "score": 100.0,
                              "start": 0, "source": "seed",
                              "detail": f"hedges (\u201cmaybe\u201d, \u201cperhaps\u201d, \u201cI think\u201d) in "
                                        f"{hedged} of {sentences} sentences: performed uncertainty"})
        return flags

    def _family_flag(self, hit: FamilyHit) -> dict[str, Any]:
        phrase = hit.family.phrase.lower()
        at_opening = hit.family.opening or hit.start <= OPENING_CHARS
        code = "formulaic-opening" if at_opening else "cliche"
        where = "opens with" if at_opening else "uses"
        matched = hit.matched.strip(" ,")
        source = self.family_sources.get(hit.family.phrase, "seed")
        shown = "" if matched == phrase else f" (as \u201c{matched}\u201d)"
        return {"code": code, "detail": f"{where} \u201c{phrase}\u201d{shown}; source: {source}",
                "phrase": phrase, "match": matched, "score": round(hit.score, 1), "start": hit.start,
                "source": source}

    def _phrase_flags(self, normalized_text: str, words: list[str]) -> list[dict[str, Any]]:
        """The fuzzy hits of the phrases no family covers (a user's own, a template's)."""
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
                        if (score >= cutoff and score > best.get(index, (0.0, 0, 0))[0]
                                and self._content_words_kept(index, words[start:end])):
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
