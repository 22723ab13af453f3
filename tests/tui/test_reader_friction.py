"""Issue 18 in the Reader: stray keys and delete, the chapter list's highlight, fuzzy tags, the sidebar's
width, search placement and wrap, the status line's part."""

from __future__ import annotations

import gc

import string

from hypothesis import given, settings
from hypothesis import strategies as st
from textual.widgets import Input, OptionList

from tests.tui.conftest import SIZE
from tests.tui.helpers import record_notifications, settle, text_of
from tui.screens.reader import NARROW_COLUMNS, ReaderScreen
from tui.widgets.deliberate_confirm import ARM_DELAY_S, EARLY_YES, DeliberateConfirmModal
from tui.widgets.modals import ConfirmModal
from tui.widgets.reader_chapters import ChapterModal
from tui.widgets.reader_view import ReaderView
from tui.widgets.tag_sidebar import TagSidebar, is_subsequence, rank_tags

NAMED_KEYS = ["f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11", "f12", "insert", "delete",
              "home", "end", "pageup", "pagedown", "tab", "escape", "backspace", "up", "down", "left", "right"]


async def open_reader(app, pilot, book_id: int) -> ReaderView:
    """The book in the reader (through the app: the studio may reopen on the reader it left)."""
    await settle(app, pilot)
    app.open_reader(book_id)
    await settle(app, pilot)
    assert isinstance(app.screen, ReaderScreen)
    return app.screen.query_one(ReaderView)


async def test_only_D_opens_the_delete_question_and_a_stray_y_deletes_nothing(make_app, project, db,
                                                                               notes_book):
    """Bug 4: with the cursor in a passage, no key but `D` reaches delete, and a `y` in a run of keys is harmless."""
    from core.keys import character_key_name
    from core.passages import create_passage

    passage = create_passage(project, db, notes_book.id, 2000, 2600)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_reader(app, pilot, notes_book.id)
        reader = app.screen
        reader.view.move_cursor(2300)
        await pilot.pause()
        # Every printable character and the named keys, resolved as Textual resolves them for the focused
        # reader (its bindings, the screen's and the app's, after the keymap): only D means delete.
        active = reader.active_bindings
        keys = [character_key_name(c) for c in string.printable if not c.isspace()] + NAMED_KEYS
        deleting = [key for key in keys if key in active and "delete" in active[key].binding.action]
        assert deleting == ["D"]
        # The report's keys, 0.3 s apart there, each followed here by a stray y: no question, nothing deleted.
        for key in ["z", "q", "x", "Q", "Z", "0", "8", "9", "!", "@", "#", "*", "f12", "insert"]:
            await pilot.press(key, "y")
            assert not isinstance(app.screen, ConfirmModal), key
            while len(app.screen_stack) > 1:  # % / c and friends open their own dialogs: close them
                app.pop_screen()
            if app.screen is not reader:
                app.show_screen("reader")
                await settle(app, pilot)  # its passages are read again on return (a worker, slow under load)
            reader.view.move_cursor(2300)
            reader.view.focus()
        await settle(app, pilot)
        gc.disable()  # a collection late in a full suite can outlast the question's 0.6 s between D and y
        try:
            await pilot.press("D", "y")  # y at once: typed in the same run, before the question could be read
        finally:
            gc.enable()
        for _ in range(100):  # on a loaded machine the question can take a few frames to be pushed
            if isinstance(app.screen, DeliberateConfirmModal):
                break
            await pilot.pause(0.05)
        dialog = app.screen
        assert isinstance(dialog, DeliberateConfirmModal)
        # The y reached the question early (then it says so) or the reader before it (where y does nothing):
        # either way nothing was deleted.
        assert dialog.early_yeses in (0, 1)
        if dialog.early_yeses:
            assert text_of(dialog.query_one("#confirm-early")) == EARLY_YES
        assert db.passages.find(passage.id) is not None
        await pilot.press("enter")  # the focused button is Cancel
        await pilot.pause()
        assert app.screen is reader and db.passages.find(passage.id) is not None
        await pilot.press("D")
        await pilot.pause(ARM_DELAY_S)
        await pilot.press("y")  # read, then answered: deleted
        await pilot.pause()
        assert db.passages.find(passage.id) is None


async def test_the_chapter_list_opens_with_the_current_chapter_in_view(make_app, notes_book):
    """Bug 8: at 80x24, 60% into the book, the highlighted chapter was one row below the visible list."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_reader(app, pilot, notes_book.id)
        view.go_to_percent(60)
        await pilot.pause()
        current = view.book_text.chapter_at(view.position[0])
        await pilot.press("c")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, ChapterModal)
        options = dialog.query_one("#choices", OptionList)
        height = options.scrollable_content_region.height
        assert height < options.option_count  # the list really scrolls at this size
        assert options.highlighted == current
        top = round(options.scroll_y)
        assert top <= current < top + height, (top, current, height)  # one line per chapter in this book
        await pilot.press("enter")
        await pilot.pause()
        assert view.book_text.chapter_at(view.position[0]) == current


async def test_a_fuzzy_tag_completes_with_tab(make_app, project, db, notes_book):
    """Bug 11: "mem" completed, "mmr" found nothing."""
    from core.passages import create_passage

    create_passage(project, db, notes_book.id, 100, 140, tags=["memory", "shame", "spite"])
    passage = create_passage(project, db, notes_book.id, 2000, 2600)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_reader(app, pilot, notes_book.id)
        view.move_cursor(2300)
        await pilot.pause()
        await pilot.press("t", *"mmr")
        await pilot.pause()
        matches = app.screen.query_one("#tag-matches", OptionList)
        assert matches.display and matches.get_option_at_index(0).id == "memory"
        await pilot.press("tab", "enter")
        await pilot.pause()
        assert db.passages.get(passage.id).tags == ["memory"]
        assert app.screen.query_one("#tag-input", Input).value == ""


def test_rank_tags_puts_prefixes_first_then_letters_in_order_then_typos():
    counts = {"memory": 3, "Memories": 1, "involuntary memory": 1, "shame": 9, "spite": 2, "dread": 2,
              "humiliation": 1}
    assert rank_tags("mmr", counts) == ["memory", "Memories", "involuntary memory"]
    assert rank_tags("mem", counts)[:2] == ["memory", "Memories"]  # prefixes first, the more used first
    assert "shame" not in rank_tags("mem", counts)  # a weak fuzzy score is not a match
    assert rank_tags("dred", counts) == ["dread"]
    assert rank_tags("humilation", counts) == ["humiliation"]
    assert rank_tags("", counts)[0] == "shame"
    assert rank_tags("m", counts, exclude=["MEMORY"])[0] == "Memories"
    assert rank_tags("zzz", counts) == []


tag_text = st.text(alphabet="abcdemnorsty -", min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(tag_text, st.integers(min_value=1, max_value=50), max_size=30), tag_text,
       st.integers(min_value=1, max_value=8))
def test_rank_tags_properties(counts, query, limit):
    found = rank_tags(query, counts, limit=limit)
    assert len(found) <= limit and len(set(found)) == len(found) and set(found) <= set(counts)
    typed = " ".join(query.split()).casefold()
    if not typed:
        return
    starts = [tag.casefold().startswith(typed) for tag in found]
    assert starts == sorted(starts, reverse=True)  # every prefix match before any other
    prefixed = [tag for tag in counts if tag.casefold().startswith(typed)]
    assert set(found) >= set(sorted(prefixed, key=lambda t: (-counts[t], t))[:limit])
    in_order = [tag for tag in counts if is_subsequence(typed.replace(" ", ""), tag.casefold())]
    if len(in_order) <= limit:
        assert set(in_order) <= set(found)


async def test_the_sidebar_hides_on_a_narrow_terminal_and_s_toggles_it(make_app, project, db, notes_book):
    from core.passages import create_passage

    create_passage(project, db, notes_book.id, 2000, 2600)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_reader(app, pilot, notes_book.id)
        sidebar = app.screen.query_one(TagSidebar)
        assert 80 < NARROW_COLUMNS and not sidebar.display
        assert view.size.width >= 72  # the whole measure, not 36 columns
        view.move_cursor(2300)
        await pilot.press("t")  # a tagging key shows it for the edit...
        await pilot.pause()
        assert sidebar.display and isinstance(app.focused, Input)
        await pilot.press("escape")  # ...and leaving the field hides it again
        await pilot.pause()
        assert not sidebar.display and app.focused is view
        await pilot.press("s")
        await pilot.pause()
        assert sidebar.display
        await pilot.resize_terminal(60, 24)  # the user's choice holds against the width
        await pilot.pause()
        assert sidebar.display
        await pilot.resize_terminal(*SIZE)
        await pilot.press("s")
        await pilot.pause()
        assert not sidebar.display and app.focused is view
    wide = make_app()
    async with wide.run_test(size=SIZE) as pilot:
        await open_reader(wide, pilot, notes_book.id)
        sidebar = wide.screen.query_one(TagSidebar)
        assert sidebar.display
        await pilot.resize_terminal(NARROW_COLUMNS - 1, 30)  # automatic both ways while the user has not chosen
        await pilot.pause()
        assert not sidebar.display
        await pilot.resize_terminal(NARROW_COLUMNS, 30)
        await pilot.pause()
        assert sidebar.display


async def test_search_centres_the_match_and_says_when_it_wraps(make_app, notes_book):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        view = await open_reader(app, pilot, notes_book.id)
        await pilot.press("slash", *"liver", "enter")
        await pilot.pause()
        matches = list(view.search_matches)
        assert len(matches) >= 2
        height = view.size.height
        for _ in range(len(matches) - 1):
            await pilot.press("n")
            await pilot.pause()
            row = view._layout.y_of_offset(view.cursor_offset) - round(view.scroll_y)
            assert abs(row - height // 2) <= 1, (row, height)  # the middle, not the edge under a toast
        assert view.cursor_offset == matches[-1]
        assert not any("wrapped" in text for text in seen)
        await pilot.press("n")
        await pilot.pause()
        assert view.cursor_offset == matches[0]
        assert any("wrapped" in text and "start" in text for text in seen), seen
        await pilot.press("N")
        await pilot.pause()
        assert view.cursor_offset == matches[-1]
        assert any("wrapped" in text and "end" in text for text in seen), seen


async def test_the_status_line_names_the_part_and_the_chapter(make_app, notes_book):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        view = await open_reader(app, pilot, notes_book.id)
        view.go_to_percent(60)
        await pilot.pause()
        chapter = view.book_text.chapters[view.book_text.chapter_at(view.position[0])]
        assert chapter.part
        status = text_of(app.screen.query_one("#reader-status"))
        assert f"{chapter.part}  \u00b7  {chapter.title}" in status, status



async def test_reopening_the_studio_returns_to_the_book_and_the_cursor(make_app, project, db, notes_book):
    from core.ui_state import load_ui_state

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        view = await open_reader(app, pilot, notes_book.id)
        view.go_to_percent(40)
        await pilot.pause()
        cursor = view.cursor_offset + 300  # further down the same screen
        view.move_cursor(cursor)
        top = view.position
        await pilot.press("ctrl+q")
    state = load_ui_state(project.root)
    assert state.last_screen == "reader" and state.get_int("reader", "book") == notes_book.id
    again = make_app()
    async with again.run_test(size=SIZE) as pilot:
        await settle(again, pilot)
        reader = again.screen
        assert isinstance(reader, ReaderScreen) and reader.book_id == notes_book.id
        assert reader.view.cursor_offset == cursor and reader.view.position == top
        # A book deleted since is forgotten, not an error.
        from core.library import delete_book

        delete_book(project, db, notes_book.id)
        again.screen_instance("reader").close_book()
        await pilot.press("ctrl+q")
    assert load_ui_state(project.root).get_int("reader", "book") is None
