"""Issue 18 on the Review screen, through Pilot: bug 9 (the careful-start counter and prompt, reopening on an
accepted card in a "pending" list), Review keeping its filters, search and card when the studio is
reopened, and the tools beyond deciding one card (search, bulk accept / reject with one undo, the word diff
of an edit, the guidelines, the progress bar)."""

from __future__ import annotations

import threading

from core.review import failure_patterns
from core.ui_state import load_ui_state
from tests.review.synthetic import build_corpus, make_example
from tests.tui.conftest import SIZE
from tests.tui.helpers import record_notifications, settle, text_of
from tests.tui.test_review_screen import open_review, press, screen_text


def progress_line(screen) -> str:
    return text_of(screen.query_one("#review-progress"))


def filters_line(screen) -> str:
    return text_of(screen.query_one("#review-filters"))


# -- bug 9 ----------------------------------------------------------------------------------------------


async def test_p_during_the_careful_start_does_not_say_it_is_finished(make_app, project, db):
    """Bug 9: "You have finished the careful start" at "review 47 of 200" (p asks at any time)."""
    project.settings.review.careful_reviews = 200
    project.settings.review.careful_pause_s = 0
    build_corpus(db, 60)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(app, pilot)
        for _ in range(46):
            await pilot.press("a")
        await pilot.pause()
        assert "careful start: review 47 of 200" in progress_line(screen)
        await press(app, pilot, "p")
        assert type(app.screen).__name__ == "PromptModal"
        question = app.screen.question
        assert "finished the careful start" not in question and "review 46 of 200" in question
        await press(app, pilot, "escape")


async def test_the_prompt_after_the_careful_start_says_so_once_it_is_over(make_app, project, db):
    project.settings.review.careful_reviews = 3
    project.settings.review.careful_pause_s = 0
    build_corpus(db, 20)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(app, pilot)
        await press(app, pilot, "a", "a")
        assert type(app.screen).__name__ == "ReviewScreen"  # two reviews: not yet
        await press(app, pilot, "a")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "PromptModal" and "finished the careful start" in app.screen.question
        app.screen.query_one("#prompt-input").value = "opens with the weather"
        await press(app, pilot, "enter")
        assert [p.text for p in failure_patterns(db)] == ["opens with the weather"]
        assert not screen.session.careful


async def test_the_careful_start_counter_does_not_count_undone_reviews(make_app, project, db):
    """Bug 9: the counter counted undos (accept, undo, accept moved it two steps)."""
    project.settings.review.careful_reviews = 200
    project.settings.review.careful_pause_s = 0
    build_corpus(db, 20)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(app, pilot)
        await press(app, pilot, "a", "a")
        assert "review 3 of 200" in progress_line(screen)
        await press(app, pilot, "u")
        assert "review 2 of 200" in progress_line(screen)
        await press(app, pilot, "u")
        assert "review 1 of 200" in progress_line(screen)
        await press(app, pilot, "a")
        assert "review 2 of 200" in progress_line(screen)


async def test_after_a_second_generation_review_reopens_on_a_pending_card(make_app, project, db):
    """Bug 9: after a second generation Review reopened on an accepted example while the filter was pending."""
    project.settings.review.careful_reviews = 0
    ids = build_corpus(db, 5)["ids"]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(app, pilot)
        await press(app, pilot, "a", "a", "a", "a", "a")  # the whole list: the last card stays, accepted
        assert screen.session.current_id() == ids[-1] and db.examples.get(ids[-1]).status == "accepted"
        app.show_screen("queue")
        await settle(app, pilot)
        new = db.examples.add_many([make_example(f"second generation {i} " * 10) for i in range(3)])
        app.show_screen("review")
        await settle(app, pilot)
        session = screen.session
        assert session.filters == {"status": "pending"}
        assert session.current_id() == new[0].id and db.examples.get(new[0].id).status == "pending"
        assert f"#{new[0].id} " in screen_text(app) and "pending" in text_of(screen.query_one("#card-meta"))
        assert session.order == [e.id for e in new]


# -- reopening the studio --------------------------------------------------------------------------------


async def test_review_keeps_its_filters_search_and_card_when_the_studio_is_reopened(make_app, project, db):
    project.settings.review.careful_reviews = 0
    build_corpus(db, 80)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(app, pilot)
        session = screen.session
        session.set_filter("tag", "grief")
        await press(app, pilot, "ctrl+f")
        assert type(app.screen).__name__ == "ReviewSearchModal"
        app.screen.query_one("#search-input").value = "the"
        await press(app, pilot, "enter")
        await settle(app, pilot)
        assert session.search_text == "the" and session.search_ids is not None
        await press(app, pilot, "j", "j", "j")
        kept = (dict(session.filters), session.current_id(), list(session.order))
        await pilot.press("ctrl+q")
    stored = load_ui_state(project.root)
    assert stored.get_str("review", "filter.tag") == "grief" and stored.get_int("review", "example") == kept[1]

    again = make_app()
    async with again.run_test(size=SIZE) as pilot:
        await settle(again, pilot)
        assert again.current_mode == "review"
        screen = again.screen
        await settle(again, pilot)
        session = screen.session
        assert (session.filters, session.current_id(), session.order) == kept
        assert session.search_text == "the" and "search \u201cthe\u201d" in filters_line(screen)


async def test_a_search_in_the_careful_start_leaves_the_careful_note_whole_at_120_columns(make_app, project, db):
    project.settings.review.careful_reviews = 200
    build_corpus(db, 300)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(app, pilot)
        await press(app, pilot, "ctrl+f")
        app.screen.query_one("#search-input").value = "the -\"a phrase that is long enough to matter\""
        await press(app, pilot, "enter")
        await settle(app, pilot)
        assert screen.session.search_text
        shown = screen_text(app)
        assert "careful start: review 1 of 200 (1 s a card)" in shown  # on screen, not past the right edge
        assert "search \u201cthe -\"a phrase that is long enough to matter\"\u201d (ctrl+f)" in shown


async def test_a_cleared_filter_stays_cleared_after_reopening(make_app, project, db):
    project.settings.review.careful_reviews = 0
    build_corpus(db, 12)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(app, pilot)
        assert screen.session.filters == {"status": "pending"}
        await press(app, pilot, "slash", "x")
        await pilot.press("ctrl+q")
    again = make_app()
    async with again.run_test(size=SIZE) as pilot:
        await settle(again, pilot)
        await settle(again, pilot)
        assert again.screen.session.filters == {}


# -- beyond: search, bulk, diff, guidelines, progress -------------------------------------------------------


async def test_bulk_accept_asks_with_the_count_and_one_undo_reverts_it(make_app, project, db):
    project.settings.review.careful_reviews = 0
    build_corpus(db, 60)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        notes = record_notifications(app)
        screen = await open_review(app, pilot)
        session = screen.session
        session.set_filter("template", "monologue")
        screen.show_card()
        listed = set(session.order)
        await press(app, pilot, "A")
        assert type(app.screen).__name__ == "BulkConfirmModal"
        assert f"Accept all {len(listed)} examples of this list (status=pending, template=monologue)" \
            in app.screen.question
        app.screen.arm_delay_s = 600  # (no timing in a test: the question is "not read yet" until we say so)
        await press(app, pilot, "y")  # too soon to be an answer
        assert type(app.screen).__name__ == "BulkConfirmModal" and len(db.decisions) == 0
        assert app.screen.early_yeses == 1
        app.screen.arm_delay_s = 0
        await press(app, pilot, "y")
        assert {e.id for e in db.examples.listing(status="accepted")} == listed
        assert len(db.decisions) == len(listed) and f"Accepted {len(listed)} examples" in notes[-1]
        assert "No example matches" in screen_text(app)  # the pending monologues are all decided
        await press(app, pilot, "u")
        assert not db.examples.listing(status="accepted") and "bulk accept of" in notes[-1]
        assert len(db.decisions) == 2 * len(listed)


async def test_bulk_reject_takes_a_reason_then_the_confirmation(make_app, project, db):
    project.settings.review.careful_reviews = 0
    build_corpus(db, 30)
    reasons = project.settings.review.reject_reasons
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(app, pilot)
        screen.session.set_filter("teacher", "mlx:tiny")
        screen.show_card()
        count = len(screen.session.order)
        await press(app, pilot, "R")
        assert app.screen.title_text == f"Reject all {count} examples of this list because\u2026"
        await press(app, pilot, "2")
        assert type(app.screen).__name__ == "BulkConfirmModal" and f"Reject ({reasons[1]}) all {count}" \
            in app.screen.question
        await press(app, pilot, "n")
        assert len(db.decisions) == 0
        await press(app, pilot, "R", "2")
        app.screen.arm_delay_s = 0
        await press(app, pilot, "y")
        assert len(db.examples.listing(status="rejected")) == count
        assert {d.reason for d in db.decisions} == {reasons[1]}


async def test_bulk_accept_is_refused_during_the_careful_start(make_app, project, db):
    project.settings.review.careful_reviews = 10
    build_corpus(db, 10)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        notes = record_notifications(app)
        await open_review(app, pilot)
        await press(app, pilot, "A")
        assert type(app.screen).__name__ == "ReviewScreen" and "careful start" in notes[-1]


async def test_search_narrows_the_list_and_an_empty_search_ends_it(make_app, project, db):
    project.settings.review.careful_reviews = 0
    corpus = build_corpus(db, 50)
    target = db.examples.get(corpus["ids"][7])
    word = max(target.completion.split(), key=len).strip(".,?!")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(app, pilot)
        await press(app, pilot, "ctrl+f")
        app.screen.query_one("#search-input").value = word.upper()
        await press(app, pilot, "enter")
        await settle(app, pilot)
        session = screen.session
        expected = sorted(e.id for e in db.examples if word.casefold() in e.completion.casefold())
        assert target.id in expected and session.order == expected
        assert f"{len(expected):,} of 50 shown" in screen_text(app)
        await press(app, pilot, "ctrl+f")
        app.screen.query_one("#search-input").value = ""
        await press(app, pilot, "enter")
        await settle(app, pilot)
        assert session.search_ids is None and len(session.order) == 50


async def test_d_shows_the_edit_as_a_word_diff_against_the_teachers_turns(make_app, project, db):
    from tests.tui.test_review_screen import STUDENT, _student_project

    project.settings.review.careful_reviews = 0
    example_id, _legacy = _student_project(db)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        notes = record_notifications(app)
        screen = await open_review(app, pilot)
        await press(app, pilot, "d")
        assert "has not been edited" in notes[-1]
        turns = [dict(t) for t in STUDENT]
        turns[3]["content"] = "The kettle still, and my father's hands."
        screen.session.edit_student(turns, example_id=example_id)
        screen.show_card()
        await press(app, pilot, "d")
        body = screen.query_one("#card-text").text
        struck = [body.plain[s.start:s.end] for s in body.spans if "strike" in str(s.style)]
        added = [body.plain[s.start:s.end] for s in body.spans if "underline" in str(s.style)]
        assert struck == ["mother's "] and added == ["father's "]
        assert "+1 / \u22121 words" in body.plain and "Assistant (changed)" in body.plain
        assert body.plain.count("User\n") == 2  # every turn, unchanged ones too
        assert "showing the word diff" in text_of(screen.query_one("#card-meta"))
        await press(app, pilot, "d")
        assert "father's hands" in screen.query_one("#card-text").text.plain
        assert not any("strike" in str(s.style) for s in screen.query_one("#card-text").text.spans)


async def test_g_shows_the_avoid_list_and_the_failure_patterns(make_app, project, db):
    from core.templates import load_templates

    project.settings.review.careful_reviews = 0
    template = load_templates(project, db)[0]
    build_corpus(db, 6)
    for example in db.examples:
        db.examples.update(example.id, template_id=template.id)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(app, pilot)
        screen.session.record_failure_patterns("explains the feeling instead of showing it")
        await press(app, pilot, "g")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "ReviewGuidelinesModal"
        text = app.screen.text
        assert template.avoid[0] in text and "explains the feeling instead of showing it" in text
        await press(app, pilot, "g")
        assert type(app.screen).__name__ == "ReviewScreen"


async def test_the_progress_bar_follows_the_list(make_app, project, db):
    project.settings.review.careful_reviews = 0
    build_corpus(db, 10)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(app, pilot)
        assert "\u2591" * 20 + " 0% of this list" in progress_line(screen)
        await press(app, pilot, "a", "r", "1", "s")
        assert "30% of this list" in progress_line(screen) and "\u2588" * 6 in progress_line(screen)
        await press(app, pilot, "u")
        assert "20% of this list" in progress_line(screen)


async def test_a_large_bulk_action_runs_in_a_thread_while_the_review_keys_wait(make_app, project, db):
    project.settings.review.careful_reviews = 0
    build_corpus(db, 260)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        notes = record_notifications(app)
        screen = await open_review(app, pilot)
        release = threading.Event()
        bulk = screen.session.bulk

        def held_bulk(plan):
            release.wait(10)
            return bulk(plan)

        screen.session.bulk = held_bulk
        await press(app, pilot, "A")
        app.screen.arm_delay_s = 0
        await press(app, pilot, "y")
        assert screen.bulk_running and not screen.check_action("accept", ()) and "Writing 260 decisions" in notes[-1]
        await press(app, pilot, "a")  # waits: nothing is decided on a card meanwhile
        assert len(db.decisions) == 0
        release.set()
        await settle(app, pilot)
        assert not screen.bulk_running and len(db.examples.listing(status="accepted")) == 260
        assert "Accepted 260 examples" in notes[-1]
        await pilot.press("u")
        await settle(app, pilot)
        assert not db.examples.listing(status="accepted") and "bulk accept of 260" in notes[-1]
        assert screen.session.next_undo_size() == 0
