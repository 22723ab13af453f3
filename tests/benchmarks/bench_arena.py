"""Arena: key -> verdict durable in the journal -> next pair painted, in the headless studio at 120x40.

    python -m tests.benchmarks.bench_arena

Two figures: the verdict handler (the durable journal write and the next pair's pane updates, timed
inside the screen) against the 16 ms target, and the whole Pilot round trip (press, handler, layout and
paint of the frame) against the same round trip for a key bound to nothing, measured in the same run.

Seeds a comparison of 200 pairs (answers of ~700 characters, every fifth a 3-turn conversation), opens the
Arena screen and presses a verdict key 150 times, timing each press until the screen has processed it and
repainted (`pilot.press` + `pilot.pause`).  The baseline, measured in the same run, is the same press of
a key bound to nothing.  Target: p95 <= 16 ms.  The last line is one JSON object with the figures.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from core.project import open_project
from store import Database
from store.comparisons import Answer, Comparison

PAIRS = 200
PRESSES = 150
TEXT = ("I notice I keep circling the same question, which is maybe the answer to it. " * 10)[:700]


def seed(db: Database) -> Comparison:
    pairs = []
    for index in range(PAIRS):
        turns = ["I can't sleep.", "Talk to me.", "Thanks."] if index % 5 == 0 else [f"Question {index}?"]
        keys = []
        for side in ("a", "b"):
            key = f"{side}-{index}"
            db.comparisons.answers.add(Answer(key=key, model=side, fingerprint=side, probe_set="bench",
                                              probe_id=f"p{index}", turns=turns,
                                              replies=[f"{side} {index}: {TEXT}"] * len(turns)))
            keys.append(key)
        pairs.append({"probe_set": "bench", "probe_id": f"p{index}", "a": keys[0], "b": keys[1],
                      "a_left": index % 2 == 0})
    return db.comparisons.add(Comparison(name="bench", model_a={"label": "a"}, model_b={"label": "b"}, pairs=pairs))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


async def measure(root: Path) -> dict[str, Any]:
    from tui.app import InteriorityApp
    from tui.screens.arena import ArenaScreen

    project = open_project(root)
    db = Database(project.db_path)
    comparison = seed(db)
    app = InteriorityApp(project, db=db)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = ArenaScreen()
            await app.push_screen(screen)
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert screen.session is not None
            handler: list[float] = []
            original = screen.action_decide

            def timed(choice: str) -> None:
                started = time.perf_counter()
                original(choice)  # the verdict written durably, the next pair's panes updated
                app.screen.refresh()
                handler.append((time.perf_counter() - started) * 1000)

            screen.action_decide = timed  # type: ignore[method-assign]
            baseline, decide = [], []
            for index in range(PRESSES):
                started = time.perf_counter()
                await pilot.press("x")  # bound to nothing: the cost of a key press and a frame
                await pilot.pause()
                baseline.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                await pilot.press("f" if index % 3 else "t")
                await pilot.pause()
                decide.append((time.perf_counter() - started) * 1000)
            stored = len(db.comparisons.verdicts.for_comparison(comparison.id))
    finally:
        db.close()
    return {"presses": PRESSES, "verdicts_stored": stored,
            "handler_p50_ms": round(statistics.median(handler), 2), "handler_p95_ms": round(percentile(handler, 0.95), 2),
            "decide_p50_ms": round(statistics.median(decide), 2), "decide_p95_ms": round(percentile(decide, 0.95), 2),
            "baseline_p50_ms": round(statistics.median(baseline), 2),
            "baseline_p95_ms": round(percentile(baseline, 0.95), 2),
            "p95_ratio_to_baseline": round(percentile(decide, 0.95) / max(percentile(baseline, 0.95), 1e-9), 2),
            "target_p95_ms": 16, "meets_target": percentile(handler, 0.95) <= 16,
            "round_trip_extra_p95_ms": round(percentile(decide, 0.95) - percentile(baseline, 0.95), 2)}


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        result = asyncio.run(measure(Path(folder) / "project"))
    print(f"Arena verdict handler (durable write + next pair's panes): p50 {result['handler_p50_ms']} ms, "
          f"p95 {result['handler_p95_ms']} ms; Pilot round trip p95 {result['decide_p95_ms']} ms against "
          f"{result['baseline_p95_ms']} ms for a key bound to nothing")
    print(json.dumps(result))
    return 0 if result["meets_target"] and result["verdicts_stored"] == PRESSES else 1


if __name__ == "__main__":
    raise SystemExit(main())
