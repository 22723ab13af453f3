"""The Library's "Suggested" column: strong suggestions from each book's reading position on."""

from __future__ import annotations

from textual.widgets import DataTable

from core.finder import load_book_scores
from core.finder.reading import strong_unread
from tests.tui.conftest import SIZE
from tests.tui.helpers import settle
from tui.screens.library import COLUMNS, UNREADABLE


def suggested(app, row: int = 0) -> str:
    table = app.screen.query_one("#books", DataTable)
    return table.get_row_at(row)[COLUMNS.index("Suggested")]


async def test_the_column_counts_strong_suggestions_from_the_reading_position(make_app, project, db, notes_book):
    scores = load_book_scores(project, db, notes_book.id)
    from_start = strong_unread(scores, 0)
    assert from_start > 10
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert suggested(app) == str(from_start)
        # read half the book: the count is what lies after the new position
        middle = len(scores) // 2
        db.books.set_position(notes_book.id, middle, 0)
        app.screen.refresh_books()
        await settle(app, pilot)
        assert suggested(app) == str(strong_unread(scores, middle)) and int(suggested(app)) < from_start


async def test_a_suggestion_taken_in_the_reader_is_counted_on_return(make_app, db, notes_book):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        await settle(app, pilot)
        await pilot.press("f", "a")  # take the first suggestion (a valuable verdict: the learner re-ranks)
        await settle(app, pilot)
        reading = app.screen.suggestions.reading
        await pilot.press("1")  # leaving the reader saves the reading position
        await settle(app, pilot)
        position = db.books.get(notes_book.id).position[0]
        # the reader's re-ranked snapshot and the library's count agree (the learner heard the verdict)
        assert reading.generation > 1 and int(suggested(app)) == reading.ahead(position - 1)
        assert len(db.passages.for_book(notes_book.id)) == 1


async def test_a_book_whose_text_is_gone_shows_a_dash(make_app, project, db, notes_book):
    from core.library.files import clear_text_cache

    (project.library / notes_book.text_file).unlink()
    clear_text_cache()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert suggested(app) == UNREADABLE
