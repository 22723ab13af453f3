"""All quality flags of an example, computed when it arrives and kept current as the corpus grows.

`QualityFlagger` holds the corpus-wide state the flags need (near-duplicate index, opening counts,
length distribution).  `build` computes everything from scratch; `add` checks one new example against
all earlier ones and returns the new flags of every example they changed (a new near-duplicate also
re-flags its earlier twin; an opening that crosses the share re-flags the examples that share it).

A flag is a dict with at least `code` and `detail` (a sentence shown on the card); codes:
cliche, formulaic-opening, repeated-opening, near-duplicate, too-short, too-long, length-outlier,
format, empty; and for the student conversation (`core.quality.student_flags`): exercise-leak,
copies-passage, no-callback.  Those need the example's source passage and its book's author and title,
which the example does not hold: `inputs_from_store` looks them up once for a whole corpus, and
`flag_example` for one arriving example.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Optional, Sequence, Union

from core.quality.cliches import ClicheMatcher, PhraseList, normalize
from core.quality.length_format import LengthStats, format_flags, length_flags, outlier_flag
from core.quality.near_duplicates import NearDuplicateIndex, UnionFind
from core.quality.leaks import LeakDetector
from core.quality.openings import OpeningCounter, opening_key
from core.quality.student_flags import STUDENT_FLAG_CODES, student_flags
from core.settings import QualitySettings, Settings
from store.database import Database
from store.records import Book, Example

if TYPE_CHECKING:
    from core.project import Project
    from core.templates import Template

FLAG_CODES = ("cliche", "formulaic-opening", "repeated-opening", "near-duplicate", "too-short", "too-long",
              "length-outlier", "format", "empty", *STUDENT_FLAG_CODES)


@dataclass(frozen=True)
class FlagInput:
    """What the flags look at: an example of this project or a line of someone else's JSONL."""

    key: int
    text: str
    template_id: str = ""
    messages: Sequence[dict[str, Any]] = field(default_factory=tuple)
    student: Sequence[dict[str, Any]] = field(default_factory=tuple)  # the student conversation (reviewed)
    shape: str = ""  # its student shape
    passage: str = ""  # the source passage's text
    author: str = ""  # the book's author and title, for exercise-leak
    title: str = ""


Flaggable = Union[Example, FlagInput]


def as_input(example: Example, passage: str = "", book: Optional[Book] = None) -> FlagInput:
    """A `store.records.Example` (its reviewed text and turns when edited) as flag input: the prose flags
    read every assistant turn of the student conversation (the teacher's answer without one).

    `passage` and `book` are the example's source passage text and book, for the student flags.
    """
    turns = example.final_student
    # Every answer of a student conversation is training data, so the prose flags read them all.
    answers = [t.get("content", "") for t in turns if t.get("role") == "assistant"]
    text = "\n\n".join(answers) if answers else example.final_text
    return FlagInput(int(example.id), text, example.template_id or "", tuple(example.messages),
                     tuple(turns), str(example.student_shape or ""), passage,
                     book.author if book is not None else "", book.title if book is not None else "")


def inputs_from_store(db: Database, examples: Optional[Iterable[Example]] = None) -> Iterator[FlagInput]:
    """The store's examples (or `examples`) as flag inputs with their passages and books, looked up once."""
    passages = {p.id: p.text for p in db.passages}
    books = {b.id: b for b in db.books}
    for example in db.examples if examples is None else examples:
        yield as_input(example, passages.get(example.passage_id, ""), books.get(example.book_id))


def input_from_store(db: Database, example: Example) -> FlagInput:
    """One example as flag input, its passage and book read from the store (an arriving example)."""
    passage = db.passages.find(example.passage_id) if example.passage_id else None
    book = db.books.find(example.book_id) if example.book_id else None
    return as_input(example, passage.text if passage is not None else "", book)


def template_texts(templates: Iterable[Any]) -> list[tuple[str, str]]:
    """(id, text) of each template's task and system wording, which must not reach a student user turn."""
    texts = []
    for template in templates:
        template_id = str(getattr(template, "id", ""))
        for name in ("body", "system"):
            value = getattr(template, name, "")
            if isinstance(value, str) and value.strip():
                texts.append((template_id, value))
    return texts


@dataclass
class _Entry:
    normalized: str
    words: int
    opening: str
    text_flags: list[dict[str, Any]]


class QualityFlagger:
    """Flags over a corpus of examples.

    Args:
        settings: `core.settings.Settings` (its `.quality`) or a `QualitySettings`.
        templates: objects with `.id` and `.avoid` (and optionally `.name`, `.body`, `.system`); their AVOID
            lists seed the phrase list together with `extra_cliches` and the built-in seed list, and their
            wording must not reach a student user turn.
        authors: author names (besides the corpus authors) whose mention in a user turn is an exercise leak;
            each input's own book author is checked as well.
    """

    def __init__(self, settings: Union[Settings, QualitySettings], templates: Iterable[Any] = (),
                 authors: Iterable[str] = ()) -> None:
        quality = settings.quality if isinstance(settings, Settings) else settings
        self.quality = quality
        templates = list(templates)
        self.template_names = {str(getattr(t, "id", "")): str(getattr(t, "name", "")) for t in templates}
        self.leaks = LeakDetector(authors, template_texts(templates))
        self.phrases = PhraseList.build(templates, extra=quality.extra_cliches)
        self.matcher = ClicheMatcher(self.phrases, score=quality.cliche_score)
        self._reset()

    def _reset(self) -> None:
        self.index = NearDuplicateIndex(ratio_threshold=self.quality.near_duplicate_ratio)
        self.openings = OpeningCounter(self.quality.opening_share)
        self.lengths = LengthStats()
        self.entries: dict[int, _Entry] = {}
        self.duplicates: dict[int, dict[int, float]] = {}
        self.opening_members: dict[str, set[int]] = {}

    def __len__(self) -> int:
        return len(self.entries)

    # -- pieces -------------------------------------------------------------------------------------

    def _entry(self, item: FlagInput) -> _Entry:
        normalized = normalize(item.text)
        words = len(normalized.split()) if normalized else 0
        # The student flags first: `refresh_student_flags` puts them back there after an edit.
        flags = student_flags(item.student, item.shape, item.passage, self.leaks, item.author, item.title)
        flags += format_flags(item.text, item.template_id, self.template_names.get(item.template_id, ""),
                              item.messages)
        flags += length_flags(words, self.quality.min_words, self.quality.max_words)
        flags += self.matcher.find(normalized, item.text)
        return _Entry(normalized, words, opening_key(normalized, self.quality.opening_words), flags)

    def _compose(self, entry: _Entry, duplicates: dict[int, float], opening_count: Optional[int] = None,
                 total: Optional[int] = None) -> list[dict[str, Any]]:
        flags = list(entry.text_flags)
        repeated = self.openings.flag(entry.opening, opening_count, total)
        if repeated:
            flags.append(repeated)
        if duplicates:
            ranked = sorted(duplicates.items(), key=lambda pair: (-pair[1], pair[0]))
            listed = ", ".join(f"#{key} ({score:.0f}%)" for key, score in ranked[:5])
            more = f" and {len(ranked) - 5} more" if len(ranked) > 5 else ""
            flags.append({"code": "near-duplicate", "detail": f"near-duplicate of {listed}{more}",
                          "others": [key for key, _score in ranked],
                          "scores": [score for _key, score in ranked]})
        outlier = outlier_flag(entry.words, self.lengths)
        if outlier:
            flags.append(outlier)
        return flags

    def flags_for(self, key: int) -> list[dict[str, Any]]:
        """The current flags of an example already in the corpus."""
        return self._compose(self.entries[key], self.duplicates.get(key, {}))

    # -- whole corpus -------------------------------------------------------------------------------

    def build(self, examples: Iterable[Flaggable]) -> dict[int, list[dict[str, Any]]]:
        """Flag a whole corpus from scratch; returns flags by example id."""
        self._reset()
        entries: dict[int, _Entry] = {}
        for example in examples:
            item = example if isinstance(example, FlagInput) else as_input(example)
            # A repeated key: the last one wins, as with add().  Entries are made as items arrive, so a
            # generator's texts are not all held at once (`lint` streams 200,000 lines through here).
            entries[item.key] = self._entry(item)
        found_by_key = self.index.add_many(((key, entry.normalized) for key, entry in entries.items()), normalized=True)
        for key, entry in entries.items():
            self._register(key, entry, found_by_key[key])
        return {key: self.flags_for(key) for key in self.entries}

    def _insert(self, item: FlagInput) -> tuple[_Entry, list[tuple[int, float]]]:
        if item.key in self.entries:
            self.remove(item.key)
        entry = self._entry(item)
        found = self.index.add(item.key, entry.normalized)
        self._register(item.key, entry, found)
        return entry, found

    def _register(self, key: int, entry: _Entry, found: list[tuple[int, float]]) -> None:
        self.entries[key] = entry
        self.lengths.add(entry.words)
        self.openings.add(entry.opening)
        if entry.opening:
            self.opening_members.setdefault(entry.opening, set()).add(key)
        for other, score in found:
            self.duplicates.setdefault(key, {})[other] = score
            self.duplicates.setdefault(other, {})[key] = score

    # -- one example --------------------------------------------------------------------------------

    def check(self, example: Flaggable) -> list[dict[str, Any]]:
        """The flags `example` would get if added now, without adding it."""
        item = example if isinstance(example, FlagInput) else as_input(example)
        entry = self._entry(item)
        duplicates = {key: score for key, score in self.index.query(entry.normalized) if key != item.key}
        count = self.openings.counts.get(entry.opening, 0) + (1 if entry.opening else 0)
        return self._compose(entry, duplicates, count, self.openings.total + 1)

    def add(self, example: Flaggable) -> dict[int, list[dict[str, Any]]]:
        """Add one example; returns the flags of it and of every earlier example whose flags changed."""
        item = example if isinstance(example, FlagInput) else as_input(example)
        opening_was_repeated = None
        key_opening = opening_key(normalize(item.text), self.quality.opening_words)
        if key_opening:
            opening_was_repeated = self.openings.is_repeated(key_opening)
        entry, found = self._insert(item)
        changed = {item.key: self.flags_for(item.key)}
        for other, _score in found:
            changed[other] = self.flags_for(other)
        if entry.opening and (opening_was_repeated or self.openings.is_repeated(entry.opening)):
            # The twins' count changed (or crossed the share): their stored sentences follow it.
            for other in self.opening_members.get(entry.opening, ()):
                changed.setdefault(other, self.flags_for(other))
        for fallen in self.openings.fallen_under_share():  # the total grew past their share
            for other in self.opening_members.get(fallen, ()):
                changed.setdefault(other, self.flags_for(other))
        return changed

    def remove(self, key: int) -> None:
        entry = self.entries.pop(key, None)
        if entry is None:
            return
        self.index.remove(key)
        self.lengths.remove(entry.words)
        self.openings.remove(entry.opening)
        self.opening_members.get(entry.opening, set()).discard(key)
        for other in self.duplicates.pop(key, {}):
            self.duplicates.get(other, {}).pop(key, None)

    def clusters(self) -> list[list[int]]:
        """Near-duplicate clusters (size >= 2, sorted) over the corpus."""
        links = UnionFind()
        for key, others in self.duplicates.items():
            for other in others:
                links.union(key, other)
        return sorted((g for g in links.groups() if len(g) >= 2), key=lambda g: g[0])


def flag_example(db: Database, flagger: QualityFlagger, example: Example) -> list[dict[str, Any]]:
    """Flag a newly arrived example and persist its flags and those of the earlier examples it changed.

    Call it where an example is stored (the generation queue).  Returns the new example's flags (also set
    on `example.flags`).
    """
    changed = flagger.add(input_from_store(db, example))
    db.examples.set_flags(changed)  # the new example's and its twins' in one journal change
    example.flags = changed[example.id]
    return example.flags


def student_detector(project: "Project", db: Database) -> LeakDetector:
    """The exercise-leak detector of a project: its templates' wording and every book's author."""
    return LeakDetector([book.author for book in db.books], template_texts(load_project_templates(project, db)))


def refresh_student_flags(db: Database, example_id: int, detector: LeakDetector) -> list[dict[str, Any]]:
    """Recompute one example's student-conversation flags after a reviewer's edit (or its undo).

    Why: the edit changes the training data; a `copies-passage` flag left on a conversation the reviewer
    already fixed would send them back to it.  Only the student codes change (the corpus-wide flags wait
    for `interiority flag`); written in one journal change when they differ.  Returns the example's flags.
    """
    example = db.examples.get(example_id)
    item = input_from_store(db, example)
    kept = [f for f in example.flags if f.get("code") not in STUDENT_FLAG_CODES]
    flags = student_flags(item.student, item.shape, item.passage, detector, item.author, item.title) + kept
    db.examples.set_flags({example_id: flags})
    return flags


def reflag_all(db: Database, flagger: QualityFlagger) -> int:
    """Recompute every example's flags from scratch; writes only the ones that changed. Returns that count."""
    flags_by_id = flagger.build(inputs_from_store(db))
    return len(db.examples.set_flags(flags_by_id))


def load_project_templates(project: "Project", db: Optional[Database] = None) -> list["Template"]:
    """The project's templates for the phrase list; none when the templates module or files are unusable.

    Flags must not stop review because a template file has a typo: then only the seed list and
    `extra_cliches` are used (`interiority templates` reports the typo itself).
    """
    try:
        from core.templates import load_templates
    except ImportError:
        return []
    from core.errors import UserError

    try:
        return list(load_templates(project, db))
    except UserError:
        return []
