"""Search within the examples (a parser of whatever the reviewer types), the word diff of an edit, and the
review guidelines (issue 18, "Beyond: Review")."""

from __future__ import annotations

from hypothesis import given, settings as hsettings, strategies as st

from core.review import (ReviewSession, SearchIndex, changed_words, parse_query, searchable_text, turn_diffs,
                         word_diff)
from core.review.guidelines import review_guidelines
from core.review.search import MAX_QUERY_CHARS, MAX_TERMS
from store.records import Example
from tests.review.synthetic import build_corpus

TEXTS = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
WORDS = st.text(alphabet="abcdefgh Äéßİ\u00a0\t\n", min_size=0, max_size=60)


# -- search ------------------------------------------------------------------------------------------------


@hsettings(max_examples=400, deadline=None)
@given(query=TEXTS)
def test_any_query_parses_without_error_within_its_limits(query: str) -> None:
    parsed = parse_query(query)
    assert len(parsed.text) <= MAX_QUERY_CHARS
    assert len(parsed.include) + len(parsed.exclude) <= MAX_TERMS
    assert all(term and term == term.strip() for term in parsed.include + parsed.exclude)
    assert parse_query(parsed.text) == parsed  # what is shown searches the same
    parsed.matches(query.casefold())  # and matching any text never raises


@hsettings(max_examples=300, deadline=None)
@given(text=WORDS, start=st.integers(0, 59), length=st.integers(1, 12))
def test_a_word_taken_from_a_text_finds_it_and_its_negation_does_not(text: str, start: int, length: int) -> None:
    example = Example(id=1, messages=[{"role": "assistant", "content": text}])
    folded = searchable_text(example)
    words = text.split()
    if not words:
        return
    word = words[start % len(words)][:length]
    assert parse_query(word).matches(folded)
    assert parse_query(word.upper()).matches(folded) or word.upper().casefold() not in folded
    assert not parse_query(f"-{word}").matches(folded)
    # A phrase is found whatever whitespace the text has between its words (line breaks, tabs, no-break spaces).
    assert parse_query(f'"{" ".join(words[:2])}"').matches(folded)


def test_a_phrase_across_a_paragraph_break_of_an_answer_is_found_but_not_across_turns() -> None:
    example = Example(id=1, student=[{"role": "user", "content": "Are you still\nthere?"},
                                     {"role": "assistant", "content": "I kept the coat.\n\nThe card  too."}])
    folded = searchable_text(example)
    assert parse_query('"coat. the card too"').matches(folded) and parse_query('"still there"').matches(folded)
    assert not parse_query('"there? i kept"').matches(folded)


def test_queries_with_phrases_exclusions_and_an_unclosed_quote() -> None:
    parsed = parse_query('  Window  "I find   myself" -rain "unclosed phrase')
    assert parsed.include == ("window", "i find myself", "unclosed phrase") and parsed.exclude == ("rain",)
    assert parse_query("\x00\x1b[31m").include == ("[31m",)  # control characters are not part of a term
    assert parse_query('""').empty and parse_query("   ").empty and parse_query("-").include == ("-",)


def test_search_index_reads_the_text_the_card_shows(project, db) -> None:
    project.settings.review.careful_reviews = 0
    corpus = build_corpus(db, 40, student_every=2)
    index = SearchIndex(db.examples.all())
    with_student = db.examples.get(corpus["ids"][0])
    user_turn = with_student.student[0]["content"]
    found = index.search(parse_query(f'"{user_turn}"'))
    assert with_student.id in found and found == {e.id for e in db.examples if e.student
                                                 and any(t["content"] == user_turn for t in e.student)}
    session = ReviewSession(db, project.settings)
    turns = [dict(t) for t in with_student.student]
    turns[-1]["content"] = "an unmistakable zanzibar answer"
    session.edit_student(turns, example_id=with_student.id)
    assert not index.search(parse_query("zanzibar"))
    index.update(db.examples.get(with_student.id))
    assert index.search(parse_query("ZANZIBAR")) == {with_student.id}
    assert index.search(parse_query(""), within=[with_student.id, 999]) == {with_student.id}
    session.set_search("zanzibar", index.search(parse_query("zanzibar")))
    assert session.order == [with_student.id] and session.search_text == "zanzibar"
    session.set_filter("status", "accepted")
    assert session.order == []  # the search narrows the filters, never widens them
    session.set_search("", None)
    assert session.order == sorted(i for i in corpus["ids"] if db.examples.get(i).status == "accepted")


# -- word diff -----------------------------------------------------------------------------------------------


@hsettings(max_examples=400, deadline=None)
@given(original=TEXTS, edited=TEXTS)
def test_the_word_diff_rebuilds_both_texts(original: str, edited: str) -> None:
    pieces = word_diff(original, edited)
    assert "".join(t for op, t in pieces if op != "insert") == original
    assert "".join(t for op, t in pieces if op != "delete") == edited
    assert all(t for _op, t in pieces)
    assert all(a[0] != b[0] for a, b in zip(pieces, pieces[1:]))  # neighbours merged
    if original == edited:
        assert all(op == "equal" for op, _t in pieces)


def test_turn_diffs_pair_each_edited_turn_with_the_teachers() -> None:
    original = [{"role": "user", "content": "Do you ever stand at a window?"},
                {"role": "assistant", "content": "Yes, and I think of nothing at all."}]
    final = [original[0], {"role": "assistant", "content": "Yes, and I think of my mother's hands."}]
    diffs = turn_diffs(original, final)
    assert [d.changed for d in diffs] == [False, True]
    assert [t for op, t in diffs[1].pieces if op == "delete"] == ["nothing at all."]
    assert [t for op, t in diffs[1].pieces if op == "insert"] == ["my mother's hands."]
    assert changed_words(diffs) == (3, 3)
    longer = turn_diffs(original, [*final, {"role": "user", "content": "And then?"}])
    assert longer[2].role == "user" and longer[2].pieces == (("insert", "And then?"),)


# -- guidelines ----------------------------------------------------------------------------------------------


def test_guidelines_hold_the_templates_avoid_list_and_the_failure_patterns(project, db) -> None:
    from core.templates import load_templates

    project.settings.review.careful_reviews = 0
    template = load_templates(project, db)[0]
    build_corpus(db, 12)
    session = ReviewSession(db, project.settings)
    session.record_failure_patterns("opens with the weather")
    guidelines = review_guidelines(project, db, template.id)
    assert guidelines.avoid == tuple(template.avoid) and guidelines.avoid
    assert guidelines.failure_patterns == ("opens with the weather",)
    text = guidelines.text
    assert template.avoid[0] in text and "opens with the weather" in text
    assert "no rejections yet" in text or "Reject" in text
    missing = review_guidelines(project, db, "no-such-template")
    assert "No template 'no-such-template'" in missing.text and missing.avoid == ()


def test_guidelines_only_read_an_edited_template_and_the_store(project, db) -> None:
    from core.templates import load_templates

    template = load_templates(project, db)[0]
    path = template.path
    path.write_text(path.read_text(encoding="utf-8").replace(template.avoid[0], "opens with the weather"),
                    encoding="utf-8")
    versions = len(db.templates)
    lines = db.db.storage.journal_path.read_bytes().count(b"\n")
    guidelines = review_guidelines(project, db, template.id)
    assert "opens with the weather" in guidelines.avoid  # the file as it is now
    assert len(db.templates) == versions and db.db.storage.journal_path.read_bytes().count(b"\n") == lines
