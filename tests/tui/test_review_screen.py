"""The Review screen through Pilot: every key at 10,000 synthetic examples, asserting on the decision log,
the examples' statuses and the rendered screen; plus loading, the empty project, careful start and fatigue."""

from __future__ import annotations

import asyncio
import io
import threading
import time

from rich.console import Console
from textual.widgets import OptionList, TextArea

from core.review import failure_patterns
from store.records import Decision
from tests.review.synthetic import build_corpus
from tests.tui.conftest import SIZE
from tests.tui.helpers import record_notifications, settle, text_of
from tui.widgets.review_card import NO_STUDENT
from tui.widgets.review_verbatim import copied_spans


def screen_text(app) -> str:
    """The whole screen as plain text, as the terminal would show it (the compositor's full frame)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, color_system=None,
                      record=True)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


async def open_review(app, pilot):
    app.show_screen("review")
    await settle(app, pilot)
    screen = app.screen
    assert type(screen).__name__ == "ReviewScreen"
    assert screen.session is not None and not screen.is_loading
    return screen


async def press(app, pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await pilot.pause()


def statuses(db) -> dict[int, str]:
    return {e.id: e.status for e in db.examples}


def actions_of(db, example_id: int) -> list[tuple[str, str]]:
    return [(d.action, d.reason) for d in db.decisions.for_example(example_id)]


# -- copied words -------------------------------------------------------------------------------------


def test_copied_runs_of_eight_words_are_marked_in_both_texts():
    passage = "The rain fell on the roofs of Moscow all night long, and Pierre did not sleep at all that night."
    example = ("I listen: the rain fell on the roofs of Moscow all night, and I do not sleep; "
               "Pierre did not sleep either.")
    spans = copied_spans(example, passage)
    assert [example[s:e] for s, e in spans.in_example] == ["the rain fell on the roofs of Moscow all night"]
    assert [passage[s:e] for s, e in spans.in_passage] == ["The rain fell on the roofs of Moscow all night"]
    assert spans.copied_words == 10 and spans.example_words == 22
    # Seven shared words in a row can be ordinary English, not copying.
    assert copied_spans("then he did not sleep at all that", "and he did not sleep at all that night").in_example == ()


# -- loading and the empty project ---------------------------------------------------------------------


async def test_empty_project_says_how_to_get_examples(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(app, pilot)
        text = screen_text(app)
        assert "No examples to review yet" in text and "Queue screen" in text
        assert not screen.check_action("accept", ())  # no review key does anything on an empty project


async def test_loading_state_while_the_session_is_built_in_a_worker(make_app, db, monkeypatch):
    build_corpus(db, 30)
    import core.review

    release = threading.Event()
    original = core.review.ReviewSession.__init__

    def slow_init(self, *args, **kwargs):
        release.wait(10)
        original(self, *args, **kwargs)

    monkeypatch.setattr(core.review.ReviewSession, "__init__", slow_init)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.show_screen("review")
        await pilot.pause(0.1)
        screen = app.screen
        assert screen.is_loading and "Loading the examples to review" in screen_text(app)
        await press(app, pilot, "a")  # the UI answers while loading, and a key does nothing
        assert len(db.decisions) == 0
        release.set()
        await settle(app, pilot)
        assert not screen.is_loading and "#1 " in screen_text(app)


# -- every key at 10,000 examples ------------------------------------------------------------------------


def _plant_flags(db, corpus) -> tuple[list[tuple[int, int]], set[int]]:
    """Flags as the flagger writes them, for the corpus's planted near-duplicate pairs and cliches (the
    flagger itself is tested in tests/review; flagging 10,000 here would cost the test ~15 s)."""
    pairs = corpus["pairs"]
    for a, b in pairs:
        db.examples.update(a, flags=[{"code": "near-duplicate", "detail": f"near-duplicate of #{b} (93%)",
                                      "others": [b], "scores": [93.0]}])
        db.examples.update(b, flags=[{"code": "near-duplicate", "detail": f"near-duplicate of #{a} (93%)",
                                      "others": [a], "scores": [93.0]}])
    cliched = set(corpus["cliched"]) - {x for pair in pairs for x in pair}
    for example_id in cliched:
        db.examples.update(example_id, flags=[{"code": "cliche", "detail": "uses \u201ca wave of\u201d (AVOID list)"}])
    return pairs, cliched


async def test_every_key_at_10000_examples(make_app, project, db):
    project.settings.review.careful_reviews = 0
    corpus = build_corpus(db, 10_000)
    pairs, cliched = _plant_flags(db, corpus)
    reasons = project.settings.review.reject_reasons
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        notes = record_notifications(app)
        screen = await open_review(app, pilot)
        session = screen.session
        assert len(session.entries) == 10_000
        text = screen_text(app)
        assert "Filters: status=pending" in text and "10,000 of 10,000 shown" in text
        assert "0/10000 done" in text and "#1 " in text

        # accept and next
        await press(app, pilot, "a")
        assert actions_of(db, 1) == [("accept", "")] and db.examples.get(1).status == "accepted"
        assert session.current_id() == 2 and "#2 " in screen_text(app) and "1/10000 done" in screen_text(app)

        # reject, then the reason on one key; Escape in the picker writes nothing
        await press(app, pilot, "r")
        assert "Reject example #2 because" in screen_text(app)
        await press(app, pilot, "escape")
        assert actions_of(db, 2) == [] and session.current_id() == 2
        await press(app, pilot, "r", "2")
        assert actions_of(db, 2) == [("reject", reasons[1])] and db.examples.get(2).status == "rejected"
        assert session.current_id() == 3

        # edit in place: ctrl+s saves (the teacher's original is kept), Escape abandons
        original = db.examples.get(3).completion
        await press(app, pilot, "e")
        assert isinstance(app.focused, TextArea) and not screen.check_action("accept", ())
        await press(app, pilot, "N", "o", "w", "space")
        await press(app, pilot, "ctrl+s")
        example = db.examples.get(3)
        assert example.edited_text == "Now " + original and example.completion == original
        assert actions_of(db, 3) == [("edit", "")] and example.status == "pending"
        assert "Now " in screen_text(app) and "edited" in screen_text(app)
        await press(app, pilot, "e", "X", "escape")
        assert db.examples.get(3).edited_text == "Now " + original and len(actions_of(db, 3)) == 1
        assert "Edit abandoned" in notes[-1]
        await press(app, pilot, "o")  # the teacher's original, for comparison
        assert "showing the teacher's original" in text_of(screen.query_one("#card-meta"))
        assert text_of(screen.query_one("#card-text")) == NO_STUDENT + "\n\n" + original
        await press(app, pilot, "a")
        assert db.examples.get(3).status == "accepted"

        # undo chain: accept of 3, edit of 3, reject of 2, accept of 1, then nothing left from this test
        await press(app, pilot, "u")
        assert db.examples.get(3).status == "pending" and db.examples.get(3).edited_text == "Now " + original
        assert session.current_id() == 3
        await press(app, pilot, "u")
        assert db.examples.get(3).edited_text == ""
        await press(app, pilot, "u", "u")
        assert statuses(db)[1] == "pending" and statuses(db)[2] == "pending"
        assert session.current_id() == 1 and "#1 " in screen_text(app)
        await press(app, pilot, "u")
        assert "Nothing to undo" in notes[-1]
        assert [d.action for d in db.decisions.in_order()].count("undo") == 4

        # skip; next / previous with both key sets
        await press(app, pilot, "s")
        assert db.examples.get(1).status == "skipped" and session.current_id() == 2
        await press(app, pilot, "j", "down")
        assert session.current_id() == 4
        await press(app, pilot, "k", "up", "k")
        assert session.current_id() == 1 and "#1 " in screen_text(app)

        # next flagged
        flagged = {a for pair in pairs for a in pair} | cliched
        await press(app, pilot, "f")
        first_flagged = min(flagged)
        assert session.current_id() == first_flagged
        assert "near-duplicate" in screen_text(app) or "cliche" in screen_text(app)
        await press(app, pilot, "f")
        assert session.current_id() == sorted(flagged)[1]

        # filters with counts: flag=cliche among the pending ones
        await press(app, pilot, "slash")
        picker = app.screen
        assert type(picker).__name__ == "ReviewFilterModal"
        options = picker.query_one(OptionList)
        cliche_option = options.get_option("flag:cliche")
        pending_cliched = sum(1 for i in cliched if db.examples.get(i).status == "pending")
        assert f"({pending_cliched:,})" in str(cliche_option.prompt)
        assert f"({len(pairs) * 2:,})" in str(options.get_option("flag:near-duplicate").prompt)
        options.highlighted = options.get_option_index("flag:cliche")
        await press(app, pilot, "enter")
        assert session.filters == {"status": "pending", "flag": "cliche"}
        assert sorted(session.order) == sorted(i for i in cliched if db.examples.get(i).status == "pending")
        assert f"{pending_cliched:,} of 10,000 shown" in screen_text(app)
        assert "cliche" in screen_text(app)
        await press(app, pilot, "slash")
        app.screen.select("status:pending")  # a ticked value: picking it removes that filter
        await pilot.pause()
        assert session.filters == {"flag": "cliche"} and len(session.order) == len(cliched)
        await press(app, pilot, "slash", "x")
        assert session.filters == {} and len(session.order) == 10_000

        # near-duplicate cluster: keep the best with one key, then reject a whole cluster with one key
        keep_pair, reject_pair = pairs[0], pairs[1]
        session.goto(keep_pair[1])
        screen.show_card()
        await press(app, pilot, "c")
        assert type(app.screen).__name__ == "ReviewClusterModal"
        text = screen_text(app)
        assert f"#{keep_pair[0]}" in text and f"#{keep_pair[1]}" in text and "cluster of 2" in text
        await press(app, pilot, "left")  # choose the other one of the two
        chosen = app.screen.selected_id
        await press(app, pilot, "b")
        other = keep_pair[0] if chosen == keep_pair[1] else keep_pair[1]
        assert db.examples.get(chosen).status == "accepted"
        assert db.examples.get(other).status == "rejected" and actions_of(db, other)[-1] == ("reject", "near-duplicate")
        session.goto(reject_pair[0])
        screen.show_card()
        await press(app, pilot, "c", "x")
        assert all(db.examples.get(i).status == "rejected" for i in reject_pair)
        await press(app, pilot, "j")
        await press(app, pilot, "u")  # each decision of a cluster undoes on its own
        assert sum(db.examples.get(i).status == "rejected" for i in reject_pair) == 1

        # analytics panel
        await press(app, pilot, "t")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "ReviewAnalyticsModal"
        panel = app.screen.text
        assert "Accept rate by template:" in panel and "Reject reasons by template:" in panel
        assert "near-duplicate 1" in panel and "Examples per hour" in panel
        assert "Accept rate by template" in screen_text(app)
        await press(app, pilot, "escape")
        assert type(app.screen).__name__ == "ReviewScreen"

        # every example's cached status agrees with its log
        from core.review import fold

        for example_id in {1, 2, 3, *keep_pair, *reject_pair}:
            assert fold(db.decisions.for_example(example_id))[0] == db.examples.get(example_id).status


# -- careful start and fatigue ---------------------------------------------------------------------------


async def test_careful_start_refuses_quick_accepts_then_asks_for_failure_patterns(make_app, project, db):
    project.settings.review.careful_reviews = 2
    project.settings.review.careful_pause_s = 1.0
    build_corpus(db, 20)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        notes = record_notifications(app)
        screen = await open_review(app, pilot)
        assert "careful start: review 1 of 2" in screen_text(app)
        await pilot.press("j", "k", "a")  # back on the first card: its time starts again, then a quick accept
        await pilot.pause()
        assert len(db.decisions) == 0 and "read the card for at least 1 s" in notes[-1]
        await asyncio.sleep(1.05)
        await press(app, pilot, "a")
        assert db.examples.get(1).status == "accepted"
        await press(app, pilot, "r", "1")  # a reject needs no pause; it ends the careful start
        await settle(app, pilot)
        assert type(app.screen).__name__ == "PromptModal"
        assert "failure patterns" in screen_text(app)
        app.screen.query_one("#prompt-input").value = "explains the feeling instead of showing it"
        await press(app, pilot, "enter")
        assert [p.text for p in failure_patterns(db)] == ["explains the feeling instead of showing it"]
        assert "careful start" not in screen_text(app)
        await press(app, pilot, "a")  # no pause needed any more
        assert db.examples.get(3).status == "accepted"
        assert screen.session.careful is False


async def test_fatigue_warning_when_accepting_faster_and_more_than_before(make_app, project, db):
    project.settings.review.careful_reviews = 0
    corpus = build_corpus(db, 120)
    # An earlier session: half accepted, ten seconds a card.
    db.decisions.add_many([Decision(example_id=corpus["ids"][60 + i], action="accept" if i % 2 else "reject",
                                    reason="" if i % 2 else "cliche", seconds=10.0, session="earlier")
                           for i in range(50)])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        notes = record_notifications(app)
        await open_review(app, pilot)
        started = time.monotonic()
        for _ in range(20):
            await pilot.press("a")
        await pilot.pause()
        assert time.monotonic() - started < 120
        warning = [n for n in notes if "take a break" in n]
        assert warning and "100%" in warning[0]
        assert "take a break" in screen_text(app)  # also a banner above the card


# -- the student conversation -------------------------------------------------------------------------------

STUDENT_PASSAGE = ("She stood at the window for a long while, watching the carts go down towards the river, and "
                   "thought of nothing at all, or of her mother's hands folding linen in the cold back room.")
STUDENT = [
    {"role": "user", "content": "Do you ever stand at a window for a long while, watching nothing?"},
    {"role": "assistant", "content": "Yes: watching the carts go down towards the river, and thought of "
                                     "nothing at all. Then the kettle."},
    {"role": "user", "content": "What were you thinking about?"},
    {"role": "assistant", "content": "The kettle still, and my mother's hands."},
]


def _student_project(db) -> tuple[int, int]:
    from store.records import Book, Example, Passage

    book = db.books.add(Book(title="Linen", author="A. Writer"))
    passage = db.passages.add(Passage(book_id=book.id, text=STUDENT_PASSAGE, tags=["memory"]))
    with_student = db.examples.add(Example(
        passage_id=passage.id, book_id=book.id, template_id="continuity", student_shape="continuity",
        messages=[{"role": "assistant", "content": "the teacher's raw answer"}], student=[dict(t) for t in STUDENT]))
    legacy = db.examples.add(Example(passage_id=passage.id, book_id=book.id, template_id="monologue",
                                     messages=[{"role": "assistant", "content": "An older answer, no student."}]))
    return with_student.id, legacy.id


def _styled(text, style: str) -> list[str]:
    return [text.plain[span.start:span.end] for span in text.spans if str(span.style) == style]


async def test_the_card_shows_every_turn_with_copies_marked_and_edits_any_turn(make_app, project, db):
    project.settings.review.careful_reviews = 0
    example_id, legacy_id = _student_project(db)
    from core.quality import QualityFlagger, reflag_all

    reflag_all(db, QualityFlagger(project.settings))
    assert "copies-passage" in {f["code"] for f in db.examples.get(example_id).flags}
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        notes = record_notifications(app)
        screen = await open_review(app, pilot)
        body = screen.query_one("#card-text").text
        assert body.plain.startswith("User\nDo you ever stand at a window") and "\n\nAssistant\nYes: watching" in body.plain
        assert [line for line in body.plain.split("\n") if line in ("User", "Assistant")] == [
            "User", "Assistant", "User", "Assistant"]
        # 8+ words copied from the passage are marked in each turn that copies them, and in the passage.
        # ("stand at a window for a long while": 7 shared words in the user turn are not copying)
        assert _styled(body, "bold reverse") == [
            "watching the carts go down towards the river, and thought of nothing at all"]
        passage_marks = _styled(screen.query_one("#passage-text").text, "bold reverse")
        assert any("watching the carts go down towards the river" in m for m in passage_marks)
        assert "continuity: 2 user turns" in screen_text(app)
        assert "copies-passage: turn 2 (assistant) copies 14 words" in text_of(screen.query_one("#card-flags"))

        # e: the whole conversation in one editor; a broken one is refused and the typing kept.
        await press(app, pilot, "e")
        editor = app.focused
        assert isinstance(editor, TextArea) and editor.text.startswith("User:\nDo you ever stand")
        assert editor.cursor_location == (len(editor.text.split("\n")) - 2, 0)  # at the start of the last answer
        broken = editor.text.rsplit("Assistant:", 1)[0]  # drop the last answer: ends with a user turn
        editor.load_text(broken)
        await press(app, pilot, "ctrl+s")
        assert "ends with a user turn" in notes[-1] and screen.card.editing and len(db.decisions) == 0
        editor.load_text(broken.replace("What were you thinking about?", "And then?").replace(
            "towards the river, and thought of nothing at all", "towards nothing") + "Assistant:\nThe kettle.")
        await press(app, pilot, "ctrl+s")
        stored = db.examples.get(example_id)
        # The student flags follow the edited turns (the copy is gone), on the card too.
        assert "copies-passage" not in {f["code"] for f in stored.flags}
        assert "copies-passage" not in text_of(screen.query_one("#card-flags"))
        assert not screen.card.editing and stored.student == STUDENT
        assert [t["content"] for t in stored.edited_student][1:] == [
            "Yes: watching the carts go down towards nothing. Then the kettle.", "And then?", "The kettle."]
        assert db.decisions.for_example(example_id)[-1].edited_student == stored.edited_student
        assert "And then?" in screen.query_one("#card-text").text.plain and "edited" in screen_text(app)
        await press(app, pilot, "o")  # the teacher's original conversation
        assert "What were you thinking about?" in screen.query_one("#card-text").text.plain
        await press(app, pilot, "u")
        assert db.examples.get(example_id).edited_student == [] and db.examples.get(example_id).final_student == STUDENT
        assert "copies-passage" in {f["code"] for f in db.examples.get(example_id).flags}  # undo: back again
        assert "copies-passage" in text_of(screen.query_one("#card-flags"))

        # An older example without a student conversation says so, and is edited as an answer.
        screen.session.goto(legacy_id)
        screen.show_card()
        await pilot.pause()
        assert screen.query_one("#card-text").text.plain.startswith(NO_STUDENT)
        assert "no student conversation: excluded from" in screen_text(app)
