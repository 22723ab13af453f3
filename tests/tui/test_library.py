"""The Library screen: the empty project's sentence, import by typing a path, delete after confirmation."""

from __future__ import annotations

import gc

from textual.widgets import DataTable, Input

from tests.tui.conftest import NOTES, SIZE
from tests.tui.helpers import record_notifications, settle, text_of, wait_for_screen
from core.first_run import first_run_steps
from core.library import human_size
from tui.screens.library import COLUMNS, LibraryScreen
from tui.widgets.deliberate_confirm import ARM_DELAY_S, DeliberateConfirmModal
from tui.widgets.path_input import complete_path


async def test_empty_project_says_what_to_do_next(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, LibraryScreen)
        steps = app.screen.query_one("#library-steps")
        shown = text_of(steps)
        assert steps.display
        # one sentence per step of the loop, the first one marked as next
        for step in first_run_steps(app.project, app.db):
            assert step.how[:40] in " ".join(shown.split())
        assert "▶ Import a book" in shown
        assert not app.screen.query_one("#books", DataTable).display
        # Issue 18: focus started in the import box, so the checklist's `i` typed an "i" into the path.
        assert app.focused is None
        await pilot.press("i")
        path_input = app.screen.query_one("#import-path", Input)
        assert app.focused is path_input and path_input.value == ""


async def test_import_by_typing_a_path(make_app, db, corpus):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        path = str(corpus / NOTES)
        await pilot.press("i", *path[:-6])  # type most of it, then let Tab complete the file name
        await pilot.press("tab")
        assert app.screen.query_one("#import-path", Input).value == path
        await pilot.press("enter")
        await settle(app, pilot)
        books = db.books.all()
        assert len(books) == 1 and "Underground" in books[0].title
        table = app.screen.query_one("#books", DataTable)
        assert table.display and table.row_count == 1
        row = table.get_row_at(0)
        assert row[0] == books[0].title and row[1] == books[0].author
        cell = dict(zip(COLUMNS, row))
        assert cell["Size"] == human_size(books[0].chars) and cell["Chapters"] == str(books[0].chapter_count)
        # the finder's count has its own test
        assert [cell["Passages"], cell["Examples"], cell["Accepted"]] == ["0", "0", "0"]
        steps = text_of(app.screen.query_one("#library-steps"))
        assert steps.startswith("Next: Open the book with Enter")
        assert not app.screen.query_one("#import-progress").display


async def test_import_error_is_a_notification_and_imports_nothing(make_app, db, tmp_path):
    missing = tmp_path / "no_such_book.txt"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        await settle(app, pilot)
        await pilot.press("i")
        app.screen.query_one("#import-path", Input).value = str(missing)
        await pilot.press("enter")
        await settle(app, pilot)
        assert len(db.books) == 0
        assert any("no_such_book.txt" in text for text in seen), seen
        assert not app.screen.query_one("#import-progress").display


async def test_import_error_shows_once_and_keeps_the_typed_path(make_app, db):
    """Issue 18, bug 7: 1, i, `missing.txt`, Enter showed the error twice and wiped the path."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        await settle(app, pilot)
        await pilot.press("i", *"missing.txt", "enter")
        await settle(app, pilot)
        errors = [text for text in seen if "missing.txt" in text]
        assert len(errors) == 1, seen
        path_input = app.screen.query_one("#import-path", Input)
        assert path_input.value == "missing.txt" and app.focused is path_input  # fix it, do not retype it
        assert len(db.books) == 0


async def test_gutenberg_number_must_be_a_number(make_app, db):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        await settle(app, pilot)
        await pilot.press("escape", "g")
        assert app.focused is app.screen.query_one("#import-gutenberg", Input)
        await pilot.press("enter")
        await settle(app, pilot)
        assert any("whole number" in text for text in seen)
        assert len(db.books) == 0


async def test_delete_asks_first_and_removes_the_passages(make_app, project, db, notes_book):
    from core.passages import create_passage

    create_passage(project, db, notes_book.id, 1000, 1200)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        notes = record_notifications(app)
        await settle(app, pilot)
        table = app.screen.query_one("#books", DataTable)
        assert table.get_row_at(0)[COLUMNS.index("Passages")] == "1"
        await pilot.press("d")
        assert isinstance(await wait_for_screen(app, pilot, DeliberateConfirmModal), DeliberateConfirmModal)
        assert "1 passage?" in app.screen.question and "example" not in app.screen.question
        await pilot.press("n")  # cancelling keeps everything
        for _ in range(100):  # the question is gone before the next keys (a frame or more under load)
            if not isinstance(app.screen, DeliberateConfirmModal):
                break
            await pilot.pause(0.05)
        await settle(app, pilot)
        assert len(db.books) == 1
        # A y at once is a key typed in a run, not an answer.  No garbage collection in between: late in a full
        # suite a collection can pause the process longer than the question's 0.6 s, and the y would be "read".
        gc.disable()
        try:
            await pilot.press("d", "y")
        finally:
            gc.enable()
        shown = await wait_for_screen(app, pilot, DeliberateConfirmModal)
        assert isinstance(shown, DeliberateConfirmModal), (len(db.books), app.focused, notes[-3:])
        assert len(db.books) == 1
        await pilot.pause(ARM_DELAY_S)
        await pilot.press("y")
        await settle(app, pilot)
        assert len(db.books) == 0 and len(db.passages) == 0
        assert "▶ Import a book" in text_of(app.screen.query_one("#library-steps"))


def test_path_completion_prefers_folders_then_book_files(tmp_path):
    (tmp_path / "novels").mkdir()
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "notes.pdf").write_text("x")
    base = str(tmp_path) + "/"
    assert complete_path(base + "no") == base + "novels/"
    assert complete_path(base + "not") == base + "notes.txt"
    assert complete_path(base + "notes.p") is None  # not a book file
    assert complete_path(base + "zzz") is None
    assert complete_path("") is None


async def test_delete_of_a_record_naming_files_outside_says_so_and_touches_nothing(make_app, db, notes_book,
                                                                                 tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    db.books.update(notes_book.id, text_file=str(victim), index_file="../../victim.json")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        await settle(app, pilot)
        await pilot.press("d")
        await pilot.pause(ARM_DELAY_S)
        await pilot.press("y")
        await settle(app, pilot)
        assert len(db.books) == 0 and victim.read_text(encoding="utf-8") == "keep me"
        assert any("left untouched" in text and str(victim) in text for text in seen), seen


async def test_delete_dialog_counts_the_books_examples_and_accepted_ones(make_app, project, db, notes_book):
    from core.passages import create_passage
    from store.records import Example

    passage = create_passage(project, db, notes_book.id, 1000, 1200)
    db.examples.add_many([Example(passage_id=passage.id, book_id=notes_book.id, template_id="monologue",
                                  status=status) for status in ("accepted", "accepted", "pending", "rejected")])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("d")
        await pilot.pause()
        question = app.screen.question
        assert "1 passage?" in question and "4 generated examples (2 accepted)" in question, question
        await pilot.press("escape")
        await pilot.pause()
        assert len(db.books) == 1 and len(db.examples) == 4
