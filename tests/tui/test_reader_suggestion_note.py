"""The sidebar says why the paragraph under the cursor is suggested (the reasons of the S list, where f left the eye).

Pilot tests on Notes from Underground, as in test_reader_suggestions.py: after f the sidebar's heading gives
the score and the reasons of that paragraph; a plain paragraph keeps the usual line; a dismissed one is no
longer described as suggested; a new snapshot (a verdict re-ranked the book) is described afresh; a hidden
sidebar (80 columns) is told nothing and nothing is computed for it.
"""

from __future__ import annotations

import copy

from core.finder.reading import BookReading, margin_levels
from core.finder.suggestions import STRONG
from tests.tui.conftest import SIZE
from tests.tui.helpers import record_notifications, settle, text_of
from tests.tui.test_reader_suggestions import cursor_paragraph, open_book
from tui.widgets.finder_reader import DISMISSED_NOTE, SuggestionsReady
from tui.widgets.tag_sidebar import NO_PASSAGE


def heading(app) -> str:
    return text_of(app.screen.sidebar.query_one("#tag-heading"))


def expected_note(reading: BookReading, paragraph: int) -> str:
    suggestion = reading.scores.suggestion(paragraph)
    return f"Suggested ({suggestion.score:.2f}): {'; '.join(suggestion.reasons)}."


async def test_after_f_the_sidebar_says_why_and_a_plain_paragraph_keeps_the_usual_line(make_app, notes_book):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        view = await open_book(app, pilot)
        reading = app.screen.suggestions.reading
        assert heading(app) == NO_PASSAGE  # the start of the book is not suggested
        for _ in range(2):
            await pilot.press("f")
            await settle(app, pilot)
            paragraph = cursor_paragraph(app)
            suggestion = reading.scores.suggestion(paragraph)
            assert suggestion.reasons and suggestion.score >= STRONG
            shown = heading(app)
            assert shown.startswith(expected_note(reading, paragraph)), shown
            assert shown.endswith("a takes it as a passage, x dismisses it."), shown
        plain = next(i for i in range(paragraph + 1, len(reading.levels))
                     if reading.scores.scores[i] < STRONG and not reading.scores.judged[i])
        view.go_to_paragraph(plain)
        await settle(app, pilot)
        assert heading(app) == NO_PASSAGE
        await pilot.press("F")  # back: described again (from the cache, at once)
        await pilot.pause()
        assert cursor_paragraph(app) == paragraph and heading(app).startswith(expected_note(reading, paragraph))


async def test_after_x_the_paragraph_is_no_longer_described_as_suggested(make_app, db, notes_book):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_book(app, pilot)
        await pilot.press("f")
        await settle(app, pilot)
        assert heading(app).startswith("Suggested (")
        paragraph = cursor_paragraph(app)
        await pilot.press("x")
        await pilot.pause()
        assert heading(app) == DISMISSED_NOTE  # at once, before the learner has re-ranked
        await settle(app, pilot)
        assert db.dismissals.for_book(notes_book.id) and heading(app) == DISMISSED_NOTE
        await pilot.press("x")  # restored: suggested again, with the re-ranked score
        await settle(app, pilot)
        reading = app.screen.suggestions.reading
        assert db.dismissals.all() == [] and heading(app).startswith(expected_note(reading, paragraph))


async def test_a_new_snapshot_is_described_with_its_own_score(make_app, notes_book):
    """A re-rank replaces the reading: the note on the same paragraph follows its new score and reasons."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_book(app, pilot)
        await pilot.press("f")
        await settle(app, pilot)
        paragraph = cursor_paragraph(app)
        old = app.screen.suggestions.reading
        before = heading(app)
        assert "the teacher rated it" not in before
        scores = copy.copy(old.scores)  # a snapshot of its own (the rating below gives it new arrays)
        scores.set_teacher_ratings({paragraph: 1.0})  # as a verdict would: the score moves, a reason appears
        new = BookReading(scores, margin_levels(scores), old.dismissed, old.generation + 1)
        app.screen.post_message(SuggestionsReady(notes_book.id, new))
        await settle(app, pilot)
        assert app.screen.suggestions.reading is new
        shown = heading(app)
        assert shown.startswith(expected_note(new, paragraph)) and "the teacher rated it 1.00" in shown, shown
        assert f"({float(new.scores.scores[paragraph]):.2f})" in shown and shown != before


async def test_at_80_columns_the_hidden_sidebar_is_told_nothing_until_shown(make_app, notes_book):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_book(app, pilot)
        sidebar = app.screen.sidebar
        assert not sidebar.display
        seen = record_notifications(app)
        for _ in range(3):
            await pilot.press("f")
            await settle(app, pilot)
        assert seen == [] and app.screen.suggestions._notes == {}  # no toast, no reasons built
        assert heading(app) == NO_PASSAGE
        await pilot.press("s")  # shown: the note on the cursor's paragraph
        await settle(app, pilot)
        assert sidebar.display
        reading = app.screen.suggestions.reading
        assert heading(app).startswith(expected_note(reading, cursor_paragraph(app)))


async def test_a_long_paragraphs_reasons_come_after_the_frame_with_the_score_until_then(make_app, notes_book,
                                                                                        monkeypatch):
    """Reasons cost milliseconds for a long paragraph: the key handler shows the score, the reasons follow."""
    from tui.widgets import finder_reader

    monkeypatch.setattr(finder_reader, "REASONS_AT_ONCE_CHARS", 0)  # every paragraph counts as long
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        view = await open_book(app, pilot)
        reading = app.screen.suggestions.reading
        paragraph = reading.next_after(-1)
        view.go_to_paragraph(paragraph)  # as the f handler does: the note changes before the frame
        score = float(reading.scores.scores[paragraph])
        assert heading(app) == f"Suggested ({score:.2f}).\na takes it as a passage, x dismisses it."
        await pilot.pause()
        assert heading(app).startswith(expected_note(reading, paragraph))
