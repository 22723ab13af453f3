"""The Arena screen: blind pairs decided with single keys, undo, reveal (Pilot, 120x40)."""

from __future__ import annotations

import pytest

from store.comparisons import Answer, Comparison
from tests.tui.helpers import settle, text_of

SIZE = (120, 40)


def seed_comparison(db, pairs: int = 4) -> Comparison:
    """A comparison with stored answers (no model needed): single-turn pairs and one continuity pair."""
    comparison_pairs = []
    for index in range(pairs):
        turns = ["How are you?"] if index else ["I can't sleep.", "Talk to me.", "Thanks."]
        keys = []
        for side in ("a", "b"):
            key = f"{side}-{index}"
            db.comparisons.answers.add(Answer(key=key, model=side, fingerprint=side, probe_set="inner-life",
                                              probe_id=f"p{index}", turns=turns,
                                              replies=[f"{side.upper()} reply {index} turn {t}" for t in
                                                       range(len(turns))]))
            keys.append(key)
        comparison_pairs.append({"probe_set": "inner-life", "probe_id": f"p{index}", "a": keys[0], "b": keys[1],
                                 "a_left": index % 2 == 0})
    return db.comparisons.add(Comparison(name="stage-200 vs stage-500", model_a={"label": "stage-200"},
                                         model_b={"label": "stage-500"}, seed=3, pairs=comparison_pairs))


async def open_arena(app, pilot):
    from tui.screens.arena import ArenaScreen

    screen = ArenaScreen()
    await app.push_screen(screen)
    await settle(app, pilot)
    return screen


@pytest.mark.asyncio
async def test_keys_decide_undo_and_reveal(make_app, db) -> None:
    comparison = seed_comparison(db)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_arena(app, pilot)
        assert screen.session is not None and screen.session.comparison.id == comparison.id
        status = text_of(screen.query_one("#arena-status"))
        assert "pair 1/4" in status and "stage-200" not in status  # blind
        left = screen.query_one("#arena-left").plain
        assert "Person:" in left and "A reply 0 turn 2" in left  # the whole conversation, A on the left
        await pilot.press("o", "f")  # reason, then left
        await pilot.press("t")
        events = db.comparisons.verdicts.for_comparison(comparison.id)
        assert [(e.verdict, e.reason) for e in events] == [("left", "formulaic"), ("tie", "")]
        await pilot.press("u")
        assert screen.session.decided == 1 and screen.session.position == 1
        await pilot.press("v")
        assert "undecided" in text_of(screen.query_one("#arena-note"))
        await pilot.press("j", "b", "j")
        assert screen.session.finished
        await pilot.press("v")
        note = text_of(screen.query_one("#arena-note"))
        assert "A = stage-200, B = stage-500" in note and "win rate" in note
        assert db.comparisons.get(comparison.id).revealed


@pytest.mark.asyncio
async def test_no_comparison_says_how_to_make_one(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_arena(app, pilot)
        assert "interiority compare" in text_of(screen.query_one("#arena-empty"))
        await pilot.press("f", "u", "v")  # nothing to act on: no error
        assert screen.session is None


@pytest.mark.asyncio
async def test_a_verdict_repaints_without_a_layout_pass(make_app, db) -> None:
    """Why it matters: a layout pass re-lays-out and re-composites the whole screen, most of a verdict's
    frame; the next pair (a long conversation after short answers, and back) must only repaint."""
    seed_comparison(db, pairs=6)
    long_reply = "A long reply that wraps over many lines of the pane. " * 40
    db.comparisons.answers.add(Answer(key="long", model="a", fingerprint="a", probe_set="inner-life",
                                      probe_id="long", turns=["One?", "Two?", "Three?"],
                                      replies=[long_reply] * 3))
    comparison = db.comparisons.add(Comparison(name="long vs short", model_a={"label": "a"}, model_b={"label": "b"},
                                               pairs=[{"probe_set": "inner-life", "probe_id": "long", "a": "long",
                                                       "b": "b-1", "a_left": True},
                                                      {"probe_set": "inner-life", "probe_id": "p1", "a": "a-1",
                                                       "b": "b-1", "a_left": False},
                                                      {"probe_set": "inner-life", "probe_id": "long", "a": "long",
                                                       "b": "b-2", "a_left": False}]))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_arena(app, pilot)
        assert screen.session.comparison.id == comparison.id
        left = screen.query_one("#arena-left")
        assert left.virtual_size.height > left.size.height  # the long conversation scrolls in its pane
        layouts = []
        original = screen._refresh_layout

        def counted(*args, **kwargs):
            layouts.append(args)
            return original(*args, **kwargs)

        screen._refresh_layout = counted
        await pilot.press("f")
        await pilot.pause()
        assert left.plain == "A reply 1 turn 0" or left.plain == "B reply 1 turn 0"
        await pilot.press("j")
        await pilot.pause()
        assert "A long reply" in screen.query_one("#arena-right").plain
        assert layouts == []
        assert "pair 3/3" in text_of(screen.query_one("#arena-status"))
        assert len(db.comparisons.verdicts.for_comparison(comparison.id)) == 2
