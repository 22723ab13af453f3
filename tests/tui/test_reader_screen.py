"""The Reader screen: open a book, keep the place, make passages by keyboard, tag them in the sidebar."""

from __future__ import annotations

from textual.widgets import TextArea

from tests.tui.conftest import SIZE
from tests.tui.helpers import record_notifications, settle, text_of
from tui.screens.reader import ReaderScreen, extend_end, parse_percent, trim_end
from tui.widgets.deliberate_confirm import ARM_DELAY_S, DeliberateConfirmModal
from tui.widgets.reader_chapters import ChapterModal
from tui.widgets.reader_view import ReaderView
from tui.widgets.tag_sidebar import TagSidebar


async def open_notes(app, pilot) -> ReaderView:
    """From the library, Enter opens the (only) book in the reader."""
    await settle(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot)
    assert isinstance(app.screen, ReaderScreen)
    view = app.screen.query_one(ReaderView)
    assert app.focused is view
    return view


async def test_enter_opens_the_book_and_number_keys_switch_back(make_app, notes_book):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        view = await open_notes(app, pilot)
        assert view.book_text.text.startswith(notes_book.title) or len(view.book_text.text) == notes_book.chars
        assert notes_book.title in text_of(app.screen.query_one("#reader-status"))
        await pilot.press("1")
        await pilot.pause()
        assert app.current_mode == "library"
        await pilot.press("2")
        await pilot.pause()
        assert app.current_mode == "reader" and app.screen.book_id == notes_book.id


async def test_position_is_saved_and_restored(make_app, db, notes_book):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        view = await open_notes(app, pilot)
        await pilot.press("percent_sign", *"40", "enter")
        await pilot.pause()
        moved = view.position
        assert moved[0] > 10
        await pilot.press("1")  # leaving the reader writes the position at once
        await pilot.pause()
        assert tuple(db.books.get(notes_book.id).position) == moved
    again = make_app()
    async with again.run_test(size=(100, 30)) as pilot:
        view = await open_notes(again, pilot)
        assert view.position == moved


async def test_keyboard_passage_then_tagging_is_saved_as_typed(make_app, project, db, notes_book):
    from core.passages import create_passage

    create_passage(project, db, notes_book.id, 100, 140, tags=["spite", "spleen"])  # tags already used
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        view = await open_notes(app, pilot)
        await pilot.press("pagedown", "v", "w", "w", "w", "enter")
        await settle(app, pilot)
        created = [p for p in db.passages.for_book(notes_book.id) if p.start != 100]
        assert len(created) == 1
        passage = created[0]
        assert passage.text.strip() and len(passage.text.split()) >= 2
        sidebar = app.screen.query_one(TagSidebar)
        assert sidebar.passage is not None and sidebar.passage.id == passage.id

        await pilot.press("plus")
        await pilot.pause()
        assert db.passages.get(passage.id).verdict == "valuable"
        await pilot.press("minus")
        await pilot.pause()
        assert db.passages.get(passage.id).verdict == "not"
        await pilot.press("equals_sign")
        await pilot.pause()
        assert db.passages.get(passage.id).verdict == "unsure"

        await pilot.press("t", "s", "p", "l", "tab", "enter")  # fuzzy list completes "spl" to "spleen"
        await pilot.pause()
        assert db.passages.get(passage.id).tags == ["spleen"]
        await pilot.press(*"liver", "enter")
        assert db.passages.get(passage.id).tags == ["spleen", "liver"]
        await pilot.press("backspace")  # on an empty field: removes the last tag
        assert db.passages.get(passage.id).tags == ["spleen"]
        await pilot.press("escape")
        assert app.focused is view

        await pilot.press("p", *"cold spite")
        assert db.passages.get(passage.id).phenomenology == "cold spite"
        await pilot.press(*" x")  # a third word is refused, the two saved stay
        assert db.passages.get(passage.id).phenomenology == "cold spite"
        assert "One or two words" in text_of(app.screen.query_one("#tag-phenomenology-error"))
        await pilot.press("escape", "e", *"Why?")
        assert db.passages.get(passage.id).note == "Why?"
        assert isinstance(app.focused, TextArea)
        await pilot.press("escape")
        assert app.focused is view


async def test_resize_and_delete_the_passage_under_the_cursor(make_app, project, db, notes_book):
    from core.library import load_book_text
    from core.passages import create_passage

    text = load_book_text(project, notes_book).text
    start = text.index("I am a sick man")
    passage = create_passage(project, db, notes_book.id, start, start + len("I am a sick man"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        view = await open_notes(app, pilot)
        view.go_to_offset(start)
        await pilot.pause()
        assert view.cursor_passage is not None
        await pilot.press("greater_than_sign")
        assert db.passages.get(passage.id).end == extend_end(text, passage.end)
        await pilot.press("less_than_sign")
        assert db.passages.get(passage.id).text == "I am a sick"
        await pilot.press("D")
        await pilot.pause(ARM_DELAY_S)
        assert isinstance(app.screen, DeliberateConfirmModal)
        await pilot.press("y")
        await pilot.pause()
        assert db.passages.find(passage.id) is None
        assert app.screen.query_one(TagSidebar).passage is None


async def test_search_and_table_of_contents(make_app, notes_book):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        view = await open_notes(app, pilot)
        await pilot.press("slash", *"liver", "enter")
        await pilot.pause()
        assert view.search_matches and any("match" in text and "liver" in text for text in seen)
        first = view.cursor_offset
        await pilot.press("n")
        assert view.cursor_offset != first
        chapters = view.book_text.chapters
        assert len(chapters) >= 2
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ChapterModal)
        await pilot.press("down", "enter")
        await pilot.pause()
        assert view.position[0] == chapters[1].paragraph


def test_percent_and_word_edges():
    assert parse_percent("37") == 37.0 and parse_percent(" 12.5% ") == 12.5
    assert parse_percent("101") is None and parse_percent("half") is None
    text = "one two  three"
    assert extend_end(text, 3) == 7 and extend_end(text, 7) == len(text)
    assert trim_end(text, 0, len(text)) == 7 and trim_end(text, 0, 3) == 3  # never to nothing


async def test_the_sidebar_works_in_a_bare_app_posting_edits_up() -> None:
    """No project, no database on the app: the sidebar gets what it needs from its parent (issue 12 item 5)."""
    from textual.app import App

    from store import Passage
    from tui.widgets.tag_sidebar import TemplateHint

    posted: list[TagSidebar.EditRequested] = []

    class Bare(App[None]):
        def compose(self):
            yield TagSidebar()

        def on_tag_sidebar_edit_requested(self, event: TagSidebar.EditRequested) -> None:
            posted.append(event)

    app = Bare()
    async with app.run_test(size=SIZE) as pilot:
        sidebar = app.query_one(TagSidebar)
        sidebar.set_templates([TemplateHint("monologue", "Direct inner monologue", "thoughts", "dialogue")])
        sidebar.tag_counts = {"spite": 3, "spleen": 1}
        stored = Passage(id=7, book_id=1, start=0, end=10, text="I am a sick man", tags=["spite"])
        sidebar.show_passage(stored)
        sidebar.focus_field("tags")
        await pilot.press(*"liver", "enter", *"Dread", "enter")  # two edits before any answer
        await pilot.pause()
        assert [e.fields for e in posted] == [{"tags": ["spite", "liver"]}, {"tags": ["spite", "liver", "Dread"]}]
        assert sidebar.passage is not None and sidebar.passage.tags == ["spite", "liver", "Dread"]
        # The first answer does not undo the second edit; the last one shows the record as stored.
        sidebar.edit_saved(Passage(id=7, book_id=1, start=0, end=10, tags=["spite", "liver"]))
        assert sidebar.passage.tags == ["spite", "liver", "Dread"]
        sidebar.edit_saved(Passage(id=7, book_id=1, start=0, end=10, tags=["spite", "liver", "dread"]))
        assert sidebar.passage.tags == ["spite", "liver", "dread"]
        assert "#dread" in text_of(sidebar.query_one("#tag-list"))
        # A refused edit goes back to what is stored.
        sidebar.set_verdict("valuable")
        await pilot.pause()
        assert posted[-1].fields == {"verdict": "valuable"} and sidebar.passage.verdict == "valuable"
        sidebar.edit_failed(7, stored)
        assert sidebar.passage == stored and text_of(sidebar.query_one("#tag-verdict")) == "not judged yet"
