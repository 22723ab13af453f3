from __future__ import annotations

from core.first_run import first_run_steps, next_step
from store import Book, Decision, Example, Passage, Run


def test_steps_tick_off_as_the_project_progresses(project, db) -> None:
    assert [s.done for s in first_run_steps(project, db)] == [False] * 7
    assert next_step(project, db).id == "import"
    book = db.books.add(Book(title="t"))
    assert next_step(project, db).id == "highlight"
    passage = db.passages.add(Passage(book_id=book.id, start=0, end=5))
    assert next_step(project, db).id == "tag"
    db.passages.update(passage.id, verdict="valuable")
    assert next_step(project, db).id == "generate"
    example = db.examples.add(Example(passage_id=passage.id, book_id=book.id))
    assert next_step(project, db).id == "review"
    db.decisions.add(Decision(example_id=example.id, action="accept"))
    assert next_step(project, db).id == "build"
    (project.exports / "first").mkdir()
    (project.exports / "first" / "card.json").write_text("{}")
    assert next_step(project, db).id == "train"
    db.runs.add(Run(name="r1"))
    assert next_step(project, db) is None
    assert all(step.how for step in first_run_steps(project, db))
