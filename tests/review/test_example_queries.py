"""The examples repository's review and flagging paths: heads, listings, edits, and flags in one line."""

from __future__ import annotations

from pathlib import Path

from store.journal import JOURNAL_NAME
from tests.review.synthetic import make_example


def test_heads_listing_and_edits_read_what_records_say(db) -> None:
    flagged = make_example("one", template="conversation", flags=[{"code": "cliche", "detail": "x"},
                                                                  {"code": "cliche", "detail": "y"}])
    plain = make_example("two", passage_id=4, book_id=2, teacher="mlx:tiny")
    first, second = db.examples.add_many([flagged, plain])
    db.examples.update(second.id, status="accepted", edited_text="two, edited")

    heads = db.examples.heads()
    assert [h.id for h in heads] == [first.id, second.id]
    assert heads[0].flag_codes == ("cliche",) and heads[0].template_id == "conversation"
    assert (heads[1].status, heads[1].passage_id, heads[1].book_id, heads[1].teacher, heads[1].edited_text) == \
        ("accepted", 4, 2, "mlx:tiny", "two, edited")

    assert [e.id for e in db.examples.listing()] == [first.id, second.id]
    assert [e.id for e in db.examples.listing(status="flagged")] == [first.id]
    assert [e.id for e in db.examples.listing(status="accepted")] == [second.id]
    assert db.examples.listing(status="pending", template_id="monologue") == []
    assert db.examples.edits() == [(second.id, "two", "two, edited")]
    assert db.examples.flagged_count() == 1


def test_set_flags_writes_only_changes_in_one_line_and_skips_deleted_examples(db) -> None:
    a, b, c = db.examples.add_many([make_example(f"text {i}") for i in range(3)])
    db.examples.delete(c.id)
    journal = Path(db.path) / JOURNAL_NAME
    lines = journal.read_bytes().count(b"\n")
    new = [{"code": "too-short", "detail": "short"}]
    changed = db.examples.set_flags({a.id: new, b.id: [], c.id: new})
    assert changed == [a.id]  # b's flags were already [], c is gone
    assert journal.read_bytes().count(b"\n") == lines + 1
    assert db.examples.get(a.id).flags == new
    changed = db.examples.set_flags({a.id: new, b.id: new})
    assert changed == [b.id] and journal.read_bytes().count(b"\n") == lines + 2
    assert db.examples.set_flags({a.id: new}) == [] and journal.read_bytes().count(b"\n") == lines + 2


def test_edits_heads_and_export_rows_carry_the_student_conversation(db) -> None:
    student = [{"role": "user", "content": "Can't sleep."}, {"role": "assistant", "content": "The fridge hums."}]
    edited = [{"role": "user", "content": "Can't sleep again."}, {"role": "assistant", "content": "The fridge hums."}]
    example = make_example("the teacher's answer")
    example.student, example.student_shape, example.request_hash = student, "single", "abc"
    stored = db.examples.add(example)
    db.examples.update(stored.id, status="accepted", edited_student=edited)
    assert db.examples.heads()[0].edited_student == (("user", "Can't sleep again."), ("assistant", "The fridge hums."))
    # An edit of a user turn counts as an edit; its distance compares the whole conversations.
    assert db.examples.edits() == [(stored.id, "User: Can't sleep.\n\nAssistant: The fridge hums.",
                                    "User: Can't sleep again.\n\nAssistant: The fridge hums.")]
    (row,) = db.examples.accepted_for_export()
    assert row.student == student and row.final_student == edited and row.student_shape == "single"
    assert row.request_hash == "abc" and row.edited and row.final_text == "The fridge hums."
    row.final_student[0]["content"] = "changed"  # a fresh copy: the store is untouched
    assert db.examples.get(stored.id).edited_student == edited
