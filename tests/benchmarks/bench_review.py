"""Review benchmark at 10,000 synthetic examples (built through the store, ~800 characters each, with
planted near-duplicates and cliches; by default every one with a student conversation, continuity ones with
two exchanges, one in ten of them copying 9 words of its passage, so the card shows and marks every turn).

Measures, with a baseline in the same run:
- key press to the next card, decision durable: `ReviewSession.accept()` (the decision and its example's
  cached fold, one journal line in a store transaction) then loading the next card's example and passage;
  baseline: the same write with a naive full scan for the next pending example.
- checking one new example for near-duplicates against 10,000; baseline: rapidfuzz `cdist` against all.
- flagging all 10,000 from scratch (`QualityFlagger.build`), and persisting the flags (`set_flags`, one journal
  line, as `interiority flag` does).
- the reviewer analytics (`review_stats`, what `review-stats` and the analytics panel show) after the presses.
- off the key path (issue 18): building the search index over 10,000 examples and the slowest of a few
  searches; a bulk accept of every pending example (one journal change) and the one undo that reverts it
  (the screen runs these in a thread from 200 decisions on).
- key press to the next card rendered THROUGH THE REVIEW SCREEN (Pilot, 120x40 headless, `InteriorityApp` on the
  same 10,000-example project): from the key sent to the action done (accept: decision and cached fold written,
  next card's widgets updated), plus the paint of the frame that shows the new card (layout, compositor,
  display).  Textual paints on a fixed 60 fps grid, so the wall time from key to painted frame also holds up to
  16.7 ms of waiting for the next frame tick, spent idle; it is reported as `screen_keypress_wall_*`, the target
  is on the work (`screen_keypress_p95_ms`).  Baseline in the same run: the same accept through ReviewSession
  alone (`keypress_p95_ms`, above).

Run: python -m tests.benchmarks.bench_review [--count N]   (last line: one JSON object)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from rapidfuzz import fuzz, process

from core.project import open_project
from core.quality import FlagInput, QualityFlagger, load_project_templates, normalize
from core.quality.flagger import inputs_from_store
from core.review import ReviewSession, review_stats
from store import Database
from tests.review.synthetic import _vocabulary, build_corpus, perturb, synthetic_text

TARGETS = {"keypress_p95_ms": 16.0, "near_dup_check_ms": 20.0, "flag_all_s": 15.0, "screen_keypress_p95_ms": 16.0}


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


async def _measure_screen(project, db, presses: int) -> dict[str, float]:
    """Key press -> next card painted, through the Review screen driven by Pilot (see the module docstring)."""
    from tui.app import InteriorityApp

    app = InteriorityApp(project, db=db)
    figures: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        started = time.perf_counter()
        app.show_screen("review")
        screen = app.screen
        while screen.session is None or screen.is_loading:
            await asyncio.sleep(0.005)
        await pilot.pause()
        figures["screen_open_s"] = round(time.perf_counter() - started, 3)
        figures["screen_load_session_s"] = round(screen.load_seconds, 3)

        paint_starts: list[float] = []  # a layout or compositor refresh of the screen begins
        displays: list[float] = []  # a frame has been handed to the terminal driver
        handled: list[float] = []  # the key's action returned

        def timed(method, log):
            def wrapper(*args, **kwargs):
                begin = time.perf_counter()
                try:
                    return method(*args, **kwargs)
                finally:
                    log(begin, time.perf_counter())
            return wrapper

        # Instance attributes shadow the methods Textual calls by name (instrumentation for this benchmark only).
        screen._refresh_layout = timed(screen._refresh_layout, lambda b, e: paint_starts.append(b))
        screen._compositor_refresh = timed(screen._compositor_refresh, lambda b, e: paint_starts.append(b))
        app._display = timed(app._display, lambda b, e: displays.append(e))
        for name in ("action_accept", "action_next"):
            setattr(screen, name, timed(getattr(screen, name), lambda b, e: handled.append(e)))

        async def one(key: str) -> tuple[float, float]:
            handled.clear()
            paint_starts.clear()
            displays.clear()
            shown_before = screen.card.view.example_id if screen.card.view else None
            sent = time.perf_counter()
            await pilot.press(key)
            while True:
                if handled:
                    starts = [b for b in paint_starts if b >= handled[-1]]
                    ends = [e for e in displays if starts and e >= starts[0]]
                    if ends:
                        break
                await asyncio.sleep(0.001)
            done, first_start, painted = handled[-1], starts[0], ends[0]
            assert screen.card.view is not None and screen.card.view.example_id != shown_before
            work = (done - sent) + (painted - first_start)
            parts.append(((done - sent) * 1000, (painted - first_start) * 1000))
            return work * 1000, (painted - sent) * 1000

        accept_work, accept_wall, next_work = [], [], []
        parts: list[tuple[float, float]] = []  # (key sent -> action done, paint) of each press
        for n in range(presses):
            work, wall = await one("a")
            accept_work.append(work)
            accept_wall.append(wall)
        for n in range(min(presses, 100)):
            work, _wall = await one("j")
            next_work.append(work)
        durable = sum(1 for d in db.decisions if d.session == screen.session.session_id and d.action == "accept")
    figures["screen_keypress_ms_p50"] = round(statistics.median(accept_work), 3)
    figures["screen_keypress_p95_ms"] = round(_p95(accept_work), 3)
    figures["screen_keypress_wall_ms_p50"] = round(statistics.median(accept_wall), 3)
    figures["screen_keypress_wall_p95_ms"] = round(_p95(accept_wall), 3)
    figures["screen_next_p95_ms"] = round(_p95(next_work), 3)
    figures["screen_handle_ms_p50"] = round(statistics.median(h for h, _p in parts), 3)
    figures["screen_paint_ms_p50"] = round(statistics.median(p for _h, p in parts), 3)
    figures["screen_accepts_durable"] = durable
    figures["screen_presses"] = presses
    return figures


def _measure_tools(project, db) -> dict[str, float]:
    """Search within 10,000 examples (index build, then queries) and a bulk accept of every pending example
    (one journal change) with its one undo; none of this is on the key -> next card path."""
    from core.review import SearchIndex, parse_query

    figures: dict[str, float] = {}
    started = time.perf_counter()
    index = SearchIndex(db.examples.all())
    figures["search_index_build_s"] = round(time.perf_counter() - started, 3)
    searches = []
    for query in ("the", "kalo -ren", '"of the"', "I find myself", "zzzz", "a b c d e f"):
        started = time.perf_counter()
        index.search(parse_query(query))
        searches.append((time.perf_counter() - started) * 1000)
    figures["search_ms_max"] = round(max(searches), 2)
    session = ReviewSession(db, project.settings)
    session.apply_filters({"status": "pending"})
    plan = session.plan_bulk("accept")
    started = time.perf_counter()
    done = session.bulk(plan)
    figures["bulk_accept_s"] = round(time.perf_counter() - started, 3)
    figures["bulk_accept_examples"] = done.count
    started = time.perf_counter()
    undone = session.undo()
    figures["bulk_undo_s"] = round(time.perf_counter() - started, 3)
    assert undone.count == done.count
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--presses", type=int, default=500)
    parser.add_argument("--screen-presses", type=int, default=300)
    parser.add_argument("--student-every", type=int, default=1,
                        help="every N-th example has a student conversation (0: none, as before issue 14)")
    args = parser.parse_args()
    figures: dict[str, float] = {"examples": args.count, "cpus": os.cpu_count() or 0}
    with tempfile.TemporaryDirectory() as tmp:
        project = open_project(Path(tmp) / "project")
        project.settings.review.careful_reviews = 0
        db = Database(project.db_path)
        started = time.perf_counter()
        corpus = build_corpus(db, args.count, student_every=args.student_every)
        figures["build_corpus_s"] = round(time.perf_counter() - started, 2)

        # -- flag all from scratch --------------------------------------------------------------------
        flagger = QualityFlagger(project.settings, load_project_templates(project))
        examples = db.examples.all()
        started, cpu_started = time.perf_counter(), time.process_time()
        flags = flagger.build(inputs_from_store(db, examples))  # with passages and books: the student flags
        figures["flag_all_s"] = round(time.perf_counter() - started, 2)
        # The box is shared: wall time includes waiting for other processes; CPU time is the work itself.
        figures["flag_all_cpu_s"] = round(time.process_time() - cpu_started, 2)
        figures["load_average_1m"] = round(os.getloadavg()[0], 2)
        started = time.perf_counter()
        db.examples.set_flags(flags)
        figures["persist_flags_s"] = round(time.perf_counter() - started, 2)
        clusters = flagger.clusters()
        found_pairs = sum(1 for a, b in corpus["pairs"] if any(a in c and b in c for c in clusters))
        figures["planted_pairs"] = len(corpus["pairs"])
        figures["planted_pairs_found"] = found_pairs
        cliche_hit = sum(1 for i in corpus["cliched"]
                         if any(f["code"] in ("cliche", "formulaic-opening") for f in flags[i]))
        figures["planted_cliches"] = len(corpus["cliched"])
        figures["planted_cliches_found"] = cliche_hit
        figures["planted_copies"] = len(corpus["copied"])
        figures["planted_copies_found"] = sum(1 for i in corpus["copied"]
                                              if any(f["code"] == "copies-passage" for f in flags[i]))

        # -- one new example against 10,000 ------------------------------------------------------------
        rng = random.Random(99)
        vocabulary = _vocabulary(rng)
        texts = [e.completion for e in examples]
        queries = [synthetic_text(rng, vocabulary) if i % 2 else perturb(rng, rng.choice(texts), vocabulary)
                   for i in range(200)]
        timings = []
        for text in queries:
            started = time.perf_counter()
            flagger.index.query(text)
            timings.append((time.perf_counter() - started) * 1000)
        figures["near_dup_check_ms_p50"] = round(statistics.median(timings), 3)
        figures["near_dup_check_ms"] = round(_p95(timings), 3)
        full = []
        for text in queries[:50]:
            started = time.perf_counter()
            flagger.check(FlagInput(-1, text, "monologue"))
            full.append((time.perf_counter() - started) * 1000)
        figures["all_flags_check_ms_p95"] = round(_p95(full), 3)
        normalized = [normalize(t) for t in texts]
        baseline = []
        for text in queries[:10]:
            started = time.perf_counter()
            process.cdist([normalize(text)], normalized, scorer=fuzz.ratio, score_cutoff=85, workers=-1)
            baseline.append((time.perf_counter() - started) * 1000)
        figures["baseline_cdist_check_ms"] = round(statistics.median(baseline), 2)

        # -- key press to the next card, decision durable ----------------------------------------------
        session = ReviewSession(db, project.settings)
        session.apply_filters({"status": "pending"})
        presses = []
        for n in range(args.presses):
            started = time.perf_counter()
            if n % 4 == 3:
                session.reject("cliche")
            else:
                session.accept()
            example = session.current()
            if example is not None and example.passage_id:
                db.passages.find(example.passage_id)
            presses.append((time.perf_counter() - started) * 1000)
        figures["keypress_ms_p50"] = round(statistics.median(presses), 3)
        figures["keypress_p95_ms"] = round(_p95(presses), 3)
        naive = []
        for _ in range(20):
            started = time.perf_counter()
            session.accept(advance=False)
            pending = db.examples.by_status("pending")
            pending[0] if pending else None
            naive.append((time.perf_counter() - started) * 1000)
        figures["baseline_naive_keypress_ms_p95"] = round(_p95(naive), 2)
        undo = []
        for _ in range(100):
            started = time.perf_counter()
            session.undo()
            session.current()
            undo.append((time.perf_counter() - started) * 1000)
        figures["undo_ms_p95"] = round(_p95(undo), 3)
        started = time.perf_counter()
        ReviewSession(db, project.settings)
        figures["open_session_s"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        review_stats(db)
        figures["review_stats_s"] = round(time.perf_counter() - started, 3)

        # -- the same through the Review screen ------------------------------------------------------
        figures.update(asyncio.run(_measure_screen(project, db, args.screen_presses)))

        # -- off the key path (issue 18): search, bulk decisions over the list and their one undo ----------
        figures.update(_measure_tools(project, db))
        db.close()

    ratios = {
        "keypress_vs_target": round(figures["keypress_p95_ms"] / TARGETS["keypress_p95_ms"], 4),
        "near_dup_vs_target": round(figures["near_dup_check_ms"] / TARGETS["near_dup_check_ms"], 4),
        "flag_all_vs_target": round(figures["flag_all_s"] / TARGETS["flag_all_s"], 4),
        "flag_all_cpu_vs_target": round(figures["flag_all_cpu_s"] / TARGETS["flag_all_s"], 4),
        "near_dup_speedup_vs_cdist": round(figures["baseline_cdist_check_ms"] / max(figures["near_dup_check_ms_p50"], 1e-6), 1),
        "keypress_speedup_vs_naive_scan": round(figures["baseline_naive_keypress_ms_p95"] / max(figures["keypress_p95_ms"], 1e-6), 1),
        "screen_keypress_vs_target": round(figures["screen_keypress_p95_ms"] / TARGETS["screen_keypress_p95_ms"], 4),
        "screen_vs_session_keypress": round(figures["screen_keypress_p95_ms"] / max(figures["keypress_p95_ms"], 1e-6), 1),
    }
    for key, value in figures.items():
        print(f"{key:>32}: {value}")
    print(json.dumps({"figures": figures, "targets": TARGETS, "ratios": ratios,
                      "measured_through": {"keypress_p95_ms": "ReviewSession",
                                           "screen_keypress_p95_ms": "ReviewScreen via Pilot (work: key handling + paint)",
                                           "screen_keypress_wall_p95_ms": "ReviewScreen via Pilot, incl. 60 fps frame wait"}}))


if __name__ == "__main__":
    main()
