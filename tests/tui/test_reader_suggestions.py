"""The finder in the reader: margin marks, f / F, the Suggestions list, a (take) and x (dismiss).

The first tests check `core.finder.reading` headless (what the keys ask); the Pilot tests press
the keys on Notes from Underground (small, first-person: many strong paragraphs).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.style import Style
from textual.widgets import OptionList

from core.finder.reading import ReadingFinder, accept_suggestion, margin_levels, paragraph_of, strong_unread
from core.finder.suggestions import STRONG
from tests.tui.conftest import SIZE
from tests.tui.helpers import record_notifications, settle, text_of
from tui.screens.reader import ReaderScreen
from tui.widgets.finder_list import SuggestionsModal
from tui.widgets.finder_reader import STILL_SCORING
from tui.widgets.reader_paint import margin_segments
from tui.widgets.reader_status import SEPARATOR, fit_status
from tui.widgets.reader_scroll import MARK_GLYPHS
from tui.widgets.reader_view import ReaderView
from tests.finder.test_teacher_scoring import scored  # at import: importing it inside a @given test nests its @given


# ---- the core the keys call ------------------------------------------------------------------

def test_reading_snapshot_levels_and_next_previous(project, db, notes_book):
    finder = ReadingFinder(project, db)
    reading = finder.reading(notes_book.id)
    scores = reading.scores
    strong = [i for i in range(len(scores)) if scores.scores[i] >= STRONG]
    assert len(strong) >= 10
    assert reading.next_after(-1) == strong[0] and reading.next_after(strong[0]) == strong[1]
    assert reading.previous_before(strong[1]) == strong[0] and reading.previous_before(strong[0]) is None
    assert reading.ahead(-1) == len(strong)
    levels = margin_levels(scores)
    assert len(levels) == len(scores) and all(levels[i] >= 2 for i in strong)
    assert all(levels[i] <= 1 for i in range(len(scores)) if i not in strong)
    # taking one out is the caller's copy: the finder's own scores are not touched
    without = reading.without(strong[0])
    assert without.levels[strong[0]] == 0 and without.next_after(-1) == strong[1]
    assert reading.next_after(-1) == strong[0] and not finder.finder.book(notes_book.id).judged[strong[0]]
    assert paragraph_of(scores, int(scores.spans[strong[1]][0]) + 3) == strong[1]


def test_dismiss_toggles_and_accept_makes_a_valuable_passage(project, db, notes_book):
    finder = ReadingFinder(project, db)
    reading = finder.reading(notes_book.id)
    first = reading.next_after(-1)
    dismissed = finder.dismiss(notes_book.id, first)
    assert first in dismissed.dismissed and dismissed.levels[first] == 0
    assert dismissed.generation > reading.generation and len(db.dismissals.all()) == 1
    assert finder.finder.examples and not next(iter(finder.finder.examples.values())).valuable
    restored = finder.dismiss(notes_book.id, first)  # the same key again undoes it
    assert first not in restored.dismissed and db.dismissals.all() == [] and not finder.finder.examples
    assert restored.next_after(-1) == first
    finder.dismiss(notes_book.id, first)
    passage = accept_suggestion(project, db, restored.scores, first)  # taking a dismissed one undoes the dismissal
    start, end = (int(v) for v in restored.scores.spans[first])
    assert (passage.start, passage.end, passage.verdict) == (start, end, "valuable")
    assert db.dismissals.all() == []
    after = finder.reading(notes_book.id)
    assert after.levels[first] == 0 and after.next_after(-1) != first
    assert [e.valuable for e in finder.finder.examples.values()] == [True]


def test_suggestions_best_uncertain_and_library(project, db, notes_book, corpus):
    from core.library import import_book

    other = import_book(project, db, corpus / "mrs_dalloway_pga0200991.txt")
    finder = ReadingFinder(project, db)
    best = finder.suggestions(15, notes_book.id)
    assert len(best) == 15 and all(s.book_id == notes_book.id for s in best)
    assert [s.score for s in best] == sorted((s.score for s in best), reverse=True)
    assert all(s.reasons and s.preview for s in best)
    unsure = finder.suggestions(15, notes_book.id, uncertain=True)
    distances = [abs(s.score - 0.5) for s in unsure]
    assert distances == sorted(distances) and distances[-1] <= abs(best[-1].score - 0.5) + 1e-9
    library = finder.suggestions(30)
    assert {s.book_id for s in library} == {notes_book.id, other.id}
    assert [s.score for s in library] == sorted((s.score for s in library), reverse=True)


def test_strong_unread_counts_from_the_reading_position_and_skips_unreadable_books(project, db, notes_book):
    finder = ReadingFinder(project, db)
    reading = finder.reading(notes_book.id)
    middle = len(reading.scores) // 2
    counts = finder.strong_unread({notes_book.id: 0})
    assert counts == {notes_book.id: reading.ahead(-1)}
    assert finder.strong_unread({notes_book.id: middle}) == {notes_book.id: reading.ahead(middle - 1)}
    assert finder.strong_unread({notes_book.id: middle})[notes_book.id] < counts[notes_book.id]
    (project.library / notes_book.text_file).unlink()
    from core.library.files import clear_text_cache

    clear_text_cache()
    assert finder.strong_unread({notes_book.id: 0}) == {notes_book.id: None}


@settings(max_examples=200, deadline=None)
@given(margin=st.integers(min_value=0, max_value=40), glyph=st.sampled_from(MARK_GLYPHS[1:] + (None,)))
def test_the_margin_keeps_its_width_with_or_without_a_mark(margin, glyph):
    mark = None if glyph is None else (glyph, Style(color="green"))
    segments = margin_segments(margin, Style(), mark)
    assert sum(len(s.text) for s in segments) == margin
    text = "".join(s.text for s in segments)
    if mark is not None and margin:
        assert text.strip() == glyph and (margin < 2 or text.endswith(glyph + " "))


_PARAGRAPHS = ["She thought of him, and perhaps she was wrong.", "The carriage stopped.",
               "\u201cCome in,\u201d said he.", "I wonder -- do I? -- whether I ever loved her at all."] * 5
_BOOK: list = []


def _small_book():
    """A 20-paragraph book scored once (scoring is not what these examples vary)."""
    if not _BOOK:
        _BOOK.append(scored(_PARAGRAPHS))
    return _BOOK[0]


@settings(max_examples=300, deadline=None)
@given(offset=st.integers(min_value=-5, max_value=1200))
def test_paragraph_of_is_the_paragraph_holding_the_offset_or_the_one_before(offset):
    scores = _small_book()
    paragraph = paragraph_of(scores, offset)
    starts = [int(s) for s in scores.spans[:, 0]]
    assert 0 <= paragraph < len(starts)
    assert offset < starts[0] or starts[paragraph] <= offset
    assert paragraph == len(starts) - 1 or offset < starts[paragraph + 1]


# ---- the keys ----------------------------------------------------------------------------------

async def open_book(app, pilot) -> ReaderView:
    """From the library, Enter opens the (first) book; waits for the finder's first snapshot."""
    await settle(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot)
    await settle(app, pilot)
    assert isinstance(app.screen, ReaderScreen)
    assert app.screen.suggestions.reading is not None
    return app.screen.query_one(ReaderView)


def cursor_paragraph(app) -> int:
    screen = app.screen
    return paragraph_of(screen.suggestions.reading.scores, screen.view.cursor_offset)


def visible_lines(view: ReaderView) -> list[str]:
    return [view.render_line(y).text for y in range(view.scrollable_content_region.height)]


async def test_f_and_F_go_to_the_next_and_previous_suggestion_centred(make_app, notes_book):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        view = await open_book(app, pilot)
        reading = app.screen.suggestions.reading
        first = reading.next_after(-1)
        second = reading.next_after(first)
        await pilot.press("f")
        await pilot.pause()
        assert view.cursor_offset == int(reading.scores.spans[first][0]) and app.focused is view
        await pilot.press("f")
        await pilot.pause()
        assert cursor_paragraph(app) == second
        # the paragraph is on screen, its first line in the upper half when it is short
        layout, height = view.layout_model, view.scrollable_content_region.height
        top = round(view.scroll_y)
        first_line = layout.y_of_offset(view.cursor_offset) - top
        assert 0 <= first_line < height
        start, end = (int(v) for v in reading.scores.spans[second])
        lines = layout.y_of_offset(end - 1) - layout.y_of_offset(start) + 1
        if lines < height - 2 and top > 0:
            assert abs((first_line + lines / 2) - height / 2) <= 2  # centred
        await pilot.press("F")
        await pilot.pause()
        assert cursor_paragraph(app) == first
        seen = record_notifications(app)
        await pilot.press("F")
        await pilot.pause()
        assert cursor_paragraph(app) == first and any("No strong suggestion before" in s for s in seen)
        assert "suggestions ahead" in text_of(app.screen.query_one("#reader-status"))


async def test_margin_marks_follow_the_scores(make_app, notes_book):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        view = await open_book(app, pilot)
        reading = app.screen.suggestions.reading
        await pilot.press("f")
        await pilot.pause()
        paragraph = cursor_paragraph(app)
        level = reading.levels[paragraph]
        start = view.cursor_offset
        y = view.layout_model.y_of_offset(start) - round(view.scroll_y)
        line = view.render_line(y).text
        text_column = line.index(view.book_text.text[start:start + 12])
        assert line[:text_column].strip() == MARK_GLYPHS[level] and level >= 2
        # a paragraph with no mark has only spaces in its margin
        plain = next(i for i in range(len(reading.levels)) if reading.levels[i] == 0 and i > paragraph)
        view.go_to_paragraph(plain)
        await pilot.pause()
        y = view.layout_model.y_of_offset(view.cursor_offset) - round(view.scroll_y)
        assert view.render_line(y).text[:text_column].strip() == ""


async def test_a_takes_the_suggestion_as_a_passage_then_it_is_trimmed_as_today(make_app, db, notes_book):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        view = await open_book(app, pilot)
        before = app.screen.suggestions.reading
        await pilot.press("f")
        await pilot.pause()
        paragraph = cursor_paragraph(app)
        await pilot.press("a")
        await pilot.pause()
        assert app.screen.suggestions.reading.levels[paragraph] == 0  # the mark goes at once
        await settle(app, pilot)
        [passage] = db.passages.for_book(notes_book.id)
        start, end = (int(v) for v in before.scores.spans[paragraph])
        assert (passage.start, passage.end, passage.verdict) == (start, end, "valuable")
        assert view.cursor_passage is not None and view.cursor_passage.id == passage.id
        after = app.screen.suggestions.reading
        assert after.generation > before.generation and after.next_after(-1) != paragraph
        assert app.screen.sidebar.passage is not None and app.screen.sidebar.passage.id == passage.id
        await pilot.press("less_than_sign")
        await pilot.pause()
        assert db.passages.get(passage.id).end < end
        seen = record_notifications(app)
        await pilot.press("a")  # already a passage: said, nothing added
        await pilot.pause()
        assert len(db.passages.for_book(notes_book.id)) == 1 and any("already in passage" in s for s in seen)


async def test_x_dismisses_and_x_again_restores(make_app, db, notes_book):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_book(app, pilot)
        await pilot.press("f")
        await pilot.pause()
        paragraph = cursor_paragraph(app)
        await pilot.press("x")
        await pilot.pause()
        assert app.screen.suggestions.reading.levels[paragraph] == 0
        await settle(app, pilot)
        [dismissal] = db.dismissals.for_book(notes_book.id)
        assert dismissal.paragraph == paragraph
        reading = app.screen.suggestions.reading
        assert paragraph in reading.dismissed and reading.next_after(paragraph - 1) != paragraph
        await pilot.press("x")
        await settle(app, pilot)
        assert db.dismissals.all() == []
        assert app.screen.suggestions.reading.levels[paragraph] >= 2


async def test_the_suggestions_list_jumps_and_toggles(make_app, project, db, notes_book, corpus):
    from core.library import import_book

    other = import_book(project, db, corpus / "mrs_dalloway_pga0200991.txt")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_reader(notes_book.id)
        await settle(app, pilot)
        await settle(app, pilot)
        await pilot.press("S")
        await settle(app, pilot)
        modal = app.screen
        assert isinstance(modal, SuggestionsModal)
        options = modal.query_one(OptionList)
        assert options.option_count == len(modal.rows) > 10
        best = modal.rows[:3]
        assert [s.score for s in modal.rows] == sorted((s.score for s in modal.rows), reverse=True)
        shown = " ".join(" ".join(options.render_line(y).text for y in range(6)).split())
        assert shown.startswith(f"{best[0].score:4.2f} ") and " ".join(best[0].reasons[0].split()) in shown, shown
        await pilot.press("down", "enter")
        await pilot.pause()
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        assert reader.view.cursor_offset == best[1].start
        await pilot.press("S")
        await settle(app, pilot)
        await pilot.press("u")
        await settle(app, pilot)
        distances = [abs(s.score - 0.5) for s in app.screen.rows]
        assert distances == sorted(distances)
        assert "least certain" in text_of(app.screen.query_one("#suggestions-heading"))
        await pilot.press("u", "l")
        await settle(app, pilot)
        rows = app.screen.rows
        assert {s.book_id for s in rows} == {notes_book.id, other.id}
        index = next(i for i, s in enumerate(rows) if s.book_id == other.id)
        app.screen.query_one(OptionList).highlighted = index
        await pilot.press("enter")
        await settle(app, pilot)
        await settle(app, pilot)
        assert app.screen.book_id == other.id
        assert app.screen.view.cursor_offset == rows[index].start  # the other book opened on it
        await pilot.press("S")
        await settle(app, pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen) and app.screen.view.cursor_offset == rows[index].start


async def test_keys_before_the_scores_arrive_say_so(make_app, notes_book):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_book(app, pilot)
        seen = record_notifications(app)
        app.screen.suggestions.reading = None  # as between opening a book and its first snapshot
        await pilot.press("f")
        await pilot.pause()
        assert STILL_SCORING in seen


async def test_x_twice_before_the_learner_answers_leaves_nothing_dismissed(make_app, db, notes_book):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_book(app, pilot)
        await pilot.press("f")
        await pilot.pause()
        paragraph = cursor_paragraph(app)
        await pilot.press("x", "x")
        await settle(app, pilot)
        assert db.dismissals.all() == []
        reading = app.screen.suggestions.reading
        assert paragraph not in reading.dismissed and reading.levels[paragraph] >= 2


# ---- the status line ----------------------------------------------------------------------------

_parts = st.lists(st.text(st.characters(codec="ascii", categories=("L", "N", "Zs")), min_size=1, max_size=40),
                  max_size=3)


@settings(max_examples=300, deadline=None)
@given(where=_parts, always=_parts, width=st.integers(min_value=1, max_value=160))
def test_the_status_line_fits_its_width_and_cuts_the_place_before_the_percent_and_the_finder(where, always, width):
    line = fit_status(where, always, width)
    full, tail = SEPARATOR.join(where + always), SEPARATOR.join(always)
    assert len(line) <= width
    if len(full) <= width:
        assert line == full
    elif len(tail) <= width:
        assert line.endswith(tail)  # the percent and the finder's part whole; the place shortened or gone
        place = line[:len(line) - len(tail)]
        assert place in ("", SEPARATOR.join(where[1:] or where) + SEPARATOR) or place.endswith("\u2026" + SEPARATOR)
    else:
        assert line.endswith("\u2026") and tail.startswith(line[:-1])


async def test_at_80_columns_the_status_line_still_shows_the_percent_and_the_finders_keys(make_app, db, notes_book):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_book(app, pilot)
        reading = app.screen.suggestions.reading
        view.go_to(reading.next_after(-1), 0)  # a strong paragraph at the top of the view: it is still ahead
        await settle(app, pilot)
        status = app.screen.query_one("#reader-status")
        shown = status.render_line(0).text
        assert "suggestions ahead (f next, S list)" in shown and "%" in shown, shown
        # the same number as the Library's Suggested column counts from this reading position
        count = strong_unread(reading.scores, app.screen.view.position[0])
        assert f"{count} suggestion" in shown, (count, shown)


def test_a_suggestion_row_hangs_under_its_score_and_marks_a_cut_preview():
    from rich.console import Console

    from core.finder.suggestions import PREVIEW_CHARS, Suggestion
    from tui.widgets.finder_list import suggestion_row

    long = Suggestion(1, 7, 100, 400, 0.83, ("words of thought and feeling: thought, wondered", "first-person narration"),
                      ("word " * 40)[:PREVIEW_CHARS])
    short = Suggestion(1, 8, 400, 420, 0.61, (), "\u201cTo-morrow,\u201d I thought.")
    console = Console(width=50, record=True, color_system=None)
    console.print(suggestion_row(long))
    lines = console.export_text().rstrip("\n").split("\n")
    assert lines[0].startswith("0.83 \u00b67  word") and len(lines) > 3
    assert all(line.startswith("     ") for line in lines[1:]), lines  # every wrapped line under the text
    assert "\u2026" in " ".join(lines) and "first-person narration" in " ".join(lines)
    console = Console(width=80, record=True, color_system=None)
    console.print(suggestion_row(short))
    text = console.export_text()
    assert "thought.\u2026" not in text and "no single feature stands out" in text


async def test_a_list_that_cannot_be_ranked_says_so_instead_of_ranking_for_ever(make_app, notes_book):
    from tui.widgets.finder_list import RANK_FAILED

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_book(app, pilot)
        seen = record_notifications(app)
        finder = app.screen.suggestions.finder

        def broken(*args, **kwargs):
            raise OSError("the disk went away")

        finder.suggestions = broken
        await pilot.press("S")
        await settle(app, pilot)
        modal = app.screen
        assert isinstance(modal, SuggestionsModal)
        assert text_of(modal.query_one("#suggestions-heading")).startswith(RANK_FAILED)
        assert any("disk went away" in s for s in seen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen)


@pytest.mark.parametrize("size", [(80, 24), SIZE])
async def test_the_highlighted_suggestion_is_shown_whole_inside_the_list(make_app, notes_book, size):
    """Each row is four or five lines; moving down must bring the whole highlighted row into the box.

    The list used to be as tall as the whole box, heading included, so it ran past the box's bottom and
    the row scrolled "into view" was cut by the heading's three lines.
    """
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await open_book(app, pilot)
        await pilot.press("S")
        await settle(app, pilot)
        modal = app.screen
        assert isinstance(modal, SuggestionsModal)
        options = modal.query_one(OptionList)
        box = modal.query_one("#suggestions-box")
        assert options.region.bottom <= box.content_region.bottom
        height = options.scrollable_content_region.height
        for _ in range(6):
            await pilot.press("down")
            await pilot.pause()
            row = modal.rows[options.highlighted]
            shown = " ".join(" ".join(options.render_line(y).text for y in range(height)).split())
            assert f"{row.score:4.2f} \u00b6{row.paragraph} " in shown, shown
            assert " ".join(row.reasons[-1].split()) in shown, shown  # its last line too
