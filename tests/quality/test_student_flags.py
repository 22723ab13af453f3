"""The student-conversation flags through the flagger: copies-passage names the turn and the words, leaks
use the store's authors, flags arrive with the example and are recomputed by `reflag_all`; and property
tests (any conversation gives flags without raising; the copy detector finds a planted 8-word run exactly
and never a 7-word one)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from core.quality import FlagInput, QualityFlagger, flag_example, reflag_all
from core.quality.flagger import refresh_student_flags
from core.quality.copying import MIN_RUN, copied_spans
from core.quality.leaks import LeakDetector
from core.quality.student_flags import student_flags
from core.settings import Settings
from store.records import Book, Example, Passage

PASSAGE = ("She stood at the window for a long while, watching the carts go down towards the river, and "
           "thought of nothing at all, or of her mother's hands folding linen in the cold back room.")
ANSWER = ("I keep the kettle on even though nobody is coming. The steam fogs the glass and I wipe a circle "
          "to see the street, and then I let it fog again, because the street was empty the first time, and the "
          "second time, and it will be empty when the water boils and clicks off.")


def turns(*contents: str) -> list[dict[str, str]]:
    return [{"role": "user" if i % 2 == 0 else "assistant", "content": c} for i, c in enumerate(contents)]


def codes(flags: list[dict[str, Any]]) -> list[str]:
    return [f["code"] for f in flags]


def test_copies_passage_names_the_turn_and_shows_the_words() -> None:
    copied = "watching the carts go down towards the river, and thought of nothing"
    flags = student_flags(turns("Do you ever just stare out of windows?", f"Sometimes, {copied}. " + ANSWER),
                          "single", PASSAGE, LeakDetector())
    assert codes(flags) == ["copies-passage"]
    assert flags[0]["turns"] == [2]
    assert "turn 2 (assistant) copies 12 words of the passage" in flags[0]["detail"]
    assert "\u201cwatching the carts go down towards the river, and thought of nothing\u201d" in flags[0]["detail"]


def test_a_user_turn_that_copies_is_named_too() -> None:
    flags = student_flags(turns("she stood at the window for a long while, watching", ANSWER), "single", PASSAGE,
                          LeakDetector())
    assert codes(flags) == ["copies-passage"] and "turn 1 (user) copies 10 words" in flags[0]["detail"]


def test_clean_conversation_has_no_student_flags() -> None:
    assert student_flags(turns("Why do I always feel worse on Sundays?", ANSWER), "single", PASSAGE,
                         LeakDetector()) == []
    assert student_flags([], "single", PASSAGE, LeakDetector()) == []


def test_leak_detail_names_the_user_turn() -> None:
    flags = student_flags(turns("Hi.", "Hello.", "Write an inner monologue about my mother.", ANSWER),
                          "continuity", "", LeakDetector())
    leak = next(f for f in flags if f["code"] == "exercise-leak")
    assert leak["turns"] == [3]
    assert leak["detail"].startswith("user turn 3 mentions inner monologue (\u201cinner monologue\u201d); "
                                     "mentions a request to write (\u201cWrite\u201d)")


def _store(db: Any, student: list[dict[str, str]], shape: str = "single") -> Example:
    book = db.books.add(Book(title="North and South", author="Gaskell, Elizabeth Cleghorn, 1810-1865"))
    passage = db.passages.add(Passage(book_id=book.id, text=PASSAGE))
    return db.examples.add(Example(passage_id=passage.id, book_id=book.id, template_id="monologue",
                                   messages=[{"role": "assistant", "content": ANSWER}], student=student,
                                   student_shape=shape))


def test_flags_arrive_with_the_example_and_reflag_recomputes_them(db: Any) -> None:
    example = _store(db, turns("Would Gaskell have liked my town?", ANSWER))
    flagger = QualityFlagger(Settings())
    assert "exercise-leak" in codes(flag_example(db, flagger, example))
    assert "exercise-leak" in codes(db.examples.get(example.id).flags)
    second = _store(db, turns("Do you ever stare out of windows?",
                              "I do: watching the carts go down towards the river, and thought. " + ANSWER))
    assert reflag_all(db, QualityFlagger(Settings())) >= 1  # the second one's flags were not computed yet
    assert "copies-passage" in codes(db.examples.get(second.id).flags)
    # The reviewer's turns are what counts: an edit that removes the copy removes the flag.
    db.examples.update(second.id, edited_student=turns("Do you ever stare out of windows?", ANSWER))
    assert reflag_all(db, QualityFlagger(Settings())) >= 1
    assert "copies-passage" not in codes(db.examples.get(second.id).flags)
    assert "exercise-leak" in codes(db.examples.get(example.id).flags)


def test_book_title_from_the_store_leaks(db: Any) -> None:
    example = _store(db, turns("I finished North and South last night and can't sleep.", ANSWER))
    flags = flag_example(db, QualityFlagger(Settings()), example)
    assert codes(flags) == ["exercise-leak"]
    assert "names the book \u201cNorth and South\u201d" in flags[0]["detail"]


# -- properties -----------------------------------------------------------------------------------------

_TURN = st.one_of(
    st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "system", ""]),
                           "content": st.text(max_size=300)}),
    st.dictionaries(st.text(max_size=8), st.one_of(st.text(max_size=20), st.integers(), st.none()), max_size=3),
    st.integers(), st.none(), st.text(max_size=20))
_WORDS = st.lists(st.sampled_from(["the", "rain", "novel", "write", "passage", "you", "said", "again", "I",
                                   "wrote", "Tolstoy", "chapter", "still", "\u2019s", ",", "book", "a", "table"]),
                  max_size=40).map(" ".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversation=st.one_of(st.lists(_TURN, max_size=8), st.lists(_WORDS, max_size=8).map(lambda c: turns(*c))),
       shape=st.sampled_from(["single", "conversation", "continuity", "", "odd"]),
       passage=st.one_of(st.text(max_size=400), _WORDS))
def test_any_conversation_gives_flags_without_raising(conversation: list[Any], shape: str, passage: str) -> None:
    flags = student_flags(conversation, shape, passage, LeakDetector(["Leo Tolstoy"]), author="X Y", title="Q")
    assert all(f["code"] in {"exercise-leak", "copies-passage", "no-callback"} and f["detail"] for f in flags)
    flagged = QualityFlagger(Settings()).check(FlagInput(1, ANSWER, "monologue", (), tuple(conversation), shape,
                                                         passage, "Leo Tolstoy", "War and Peace"))
    assert isinstance(flagged, list)


# Two disjoint vocabularies: filler words never appear in the passage, so a run can only be the planted one.
_PASSAGE_WORDS = [f"pa{chr(97 + i)}{chr(97 + j)}" for i in range(8) for j in range(8)]
_FILLER_WORDS = [f"fi{chr(97 + i)}{chr(97 + j)}" for i in range(8) for j in range(8)]


@settings(max_examples=200, deadline=None)
@given(data=st.data(), run=st.integers(min_value=1, max_value=14))
def test_a_planted_run_is_found_exactly_from_eight_words_and_never_below(data: st.DataObject, run: int) -> None:
    passage_words = data.draw(st.lists(st.sampled_from(_PASSAGE_WORDS), min_size=run + 5, max_size=60))
    start = data.draw(st.integers(0, len(passage_words) - run))
    planted = passage_words[start:start + run]
    before = data.draw(st.lists(st.sampled_from(_FILLER_WORDS), max_size=12))
    after = data.draw(st.lists(st.sampled_from(_FILLER_WORDS), max_size=12))
    punctuation = data.draw(st.sampled_from([" ", ", ", ". ", " \u2014 "]))
    planted_text = " ".join(w.upper() if i % 3 == 0 else w for i, w in enumerate(planted))  # case ignored
    text = punctuation.join(part for part in (" ".join(before), planted_text, " ".join(after)) if part)
    passage = ", ".join(passage_words) + "."
    spans = copied_spans(text, passage)
    if run < MIN_RUN:
        assert spans.in_example == () and spans.copied_words == 0
    else:
        assert [text[s:e] for s, e in spans.in_example] == [planted_text]
        assert spans.copied_words == run
        flags = student_flags(turns("hello there", text), "single", passage, LeakDetector())
        assert codes(flags) == ["copies-passage"] and flags[0]["turns"] == [2]


def test_the_fake_teachers_conversations_are_clean_and_its_leak_is_caught() -> None:
    """The fake teacher's conversations (what the build tests train on) get no student flag; its `leak`
    action, 12 words of the passage in the answer, gets copies-passage."""
    import random

    from core.quality.flagger import template_texts
    from core.student import tool_schema
    from tests.fixtures.fake_student import conversation
    from tests.quality.conftest import SEED_DIR, seed_templates

    shared = (SEED_DIR / "_system.md").read_text(encoding="utf-8")
    detector = LeakDetector((), template_texts(seed_templates()) + [("system", shared)])
    for seed in range(30):
        shape = ("single", "conversation", "continuity")[seed % 3]
        made = conversation(tool_schema(shape), random.Random(seed), None, "", PASSAGE)["turns"]
        assert student_flags(made, shape, PASSAGE, detector) == [], made
        leaked = conversation(tool_schema(shape), random.Random(seed), None, "leak", PASSAGE)["turns"]
        assert codes(student_flags(leaked, shape, PASSAGE, detector)) == ["copies-passage"]


def test_refresh_after_an_edit_agrees_with_a_full_reflag(db: Any) -> None:
    example = _store(db, turns("Do you ever stare out of windows?",
                               "I do: watching the carts go down towards the river, and thought. " + ANSWER))
    reflag_all(db, QualityFlagger(Settings()))
    before = db.examples.get(example.id).flags
    assert codes(before)[0] == "copies-passage"
    db.examples.update(example.id, edited_student=turns("Did Gaskell stare out of windows?", ANSWER))
    flags = refresh_student_flags(db, example.id, LeakDetector())
    assert codes(flags)[0] == "exercise-leak" and "copies-passage" not in codes(flags)
    assert flags[1:] == before[1:]  # the other flags are left as they were
    assert reflag_all(db, QualityFlagger(Settings())) == 0  # the same flags, in the same order
