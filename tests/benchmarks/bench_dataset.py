"""Benchmark: a 10,000-example dataset build with near-dedup and every export format.

Target (issue 6): <= 20 s on 2 cores.  Baselines measured in the same run:
- the same build without near-duplicate removal (what the MinHash pass costs);
- naive all-pairs `rapidfuzz.process.cdist` on a 1,000-text sample, extrapolated to
  10,000 x 10,000 (what near-dedup would cost without LSH candidates).

Second part (issue 13 item 5): `lint` and general data over 200,000 lines of mixed content (8,000
identical lines, near-duplicates, bad lines, one 100 MB line) in a subprocess each, measuring peak RSS
(target <= 500 MB) and time; the same at 50,000 lines shows the time grows linearly.

Run: python -m tests.benchmarks.bench_dataset   (last line: one JSON object)
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

N_EXAMPLES = 10_000
NEAR_SHARE = 0.05  # injected near-duplicates
TARGET_S = 20.0


def make_project(root: Path):
    from core.project import open_project
    from store import Database
    from store.records import Book, Example, Passage
    from tests.dataset.synthetic import random_text

    project = open_project(root)
    rng = random.Random(11)
    db = Database(project.db_path)
    books = [db.books.add(Book(title=t, author=a)) for t, a in [
        ("War and Peace", "Leo Tolstoy"), ("Mrs Dalloway", "Virginia Woolf"), ("Swann's Way", "Marcel Proust"),
        ("Crime and Punishment", "Fyodor Dostoevsky"), ("Memoir", "X"), ("Ideas", "Y"), ("Meditations", "Z")]]
    groups = ["", "", "", "", "contemporary memoirs", "phenomenology", "first-person philosophy"]
    for book, group in zip(books, groups):
        if group:
            db.books.update(book.id, group=group)
    passages = db.passages.add_many([Passage(book_id=books[i % 7].id, start=i, end=i + 50, text=f"p{i}",
                                             tags=[["memory", "grief", "desire"][i % 3]]) for i in range(2500)])
    examples = []
    replies: list[str] = []
    for number in range(N_EXAMPLES):
        passage = passages[number % len(passages)]
        if replies and rng.random() < NEAR_SHARE:
            words = rng.choice(replies).split()
            words[rng.randrange(len(words))] = "altered"
            reply = " ".join(words)
        else:
            reply = random_text(rng, rng.randint(100, 160))  # ~800-1,100 characters
        replies.append(reply)
        examples.append(Example(
            passage_id=passage.id, book_id=passage.book_id, template_id=f"t{number % 6 + 1}",
            template_version="v1", teacher="bench", status="accepted",
            edited_text=random_text(rng, 120) if number % 10 == 0 else "",
            messages=[{"role": "system", "content": "You write interiority."},
                      {"role": "user", "content": f"Passage {passage.id}: write the inner monologue."},
                      {"role": "assistant", "content": reply}],
            # What builds export: the student conversation (a short natural user turn and the answer).
            student=[{"role": "user", "content": random_text(rng, rng.randint(8, 30))},
                     {"role": "assistant", "content": reply}], student_shape="single"))
    db.examples.add_many(examples)
    return project, db


def timed_build(project, db, name: str, near: bool) -> tuple[float, float, dict[str, float], object]:
    from core.dataset import BuildSpec, build_dataset

    phases: dict[str, float] = {}
    state = {"phase": "", "t": time.perf_counter()}

    def progress(phase: str, done: int, total: int) -> None:
        key = phase.split(":")[0].split(" ")[0]
        now = time.perf_counter()
        phases[state["phase"]] = phases.get(state["phase"], 0.0) + now - state["t"]
        state.update(phase=key, t=now)

    started, cpu_started = time.perf_counter(), time.process_time()
    result = build_dataset(project, db, BuildSpec(name=name, mix="method", size=None, formats=("all",),
                                                  near_dedup=near), progress=progress)
    phases.pop("", None)
    return (time.perf_counter() - started, time.process_time() - cpu_started,
            {k: round(v, 3) for k, v in phases.items()}, result)


def naive_pairs_estimate(texts: list[str], sample: int = 1000) -> float:
    from rapidfuzz import fuzz, process

    chosen = texts[:sample]
    started = time.perf_counter()
    process.cdist(chosen, chosen, scorer=fuzz.ratio, workers=2)
    elapsed = time.perf_counter() - started
    return elapsed * (len(texts) / sample) ** 2


LINT_LINES = 200_000
IDENTICAL_LINES = 8_000
RSS_TARGET_MB = 500.0
HUGE_LINE_BYTES = 100_000_000


def write_mixed_jsonl(path: Path, lines: int, huge_line: bool = True) -> None:
    """Chat rows of 30-90 words, `IDENTICAL_LINES` copies of one row, 3% near-duplicates, a few bad
    lines (not JSON, not UTF-8, deeply nested, a 4,301-digit number), and one 100 MB line."""
    from tests.dataset.synthetic import random_text

    rng = random.Random(5)
    identical = json.dumps({"messages": [{"role": "user", "content": "Again?"},
                                         {"role": "assistant", "content": random_text(rng, 60)}]}) + "\n"
    every = max(1, lines // IDENTICAL_LINES)
    recent: list[str] = []
    with open(path, "w", encoding="utf-8") as handle:
        for number in range(lines):
            if number % every == 0 and number // every < IDENTICAL_LINES:
                handle.write(identical)
                continue
            if number == lines // 2 and huge_line:
                handle.write('{"text": "' + "x" * HUGE_LINE_BYTES + '"}\n')
                continue
            if number % 10_007 == 5:
                handle.write(["{not json", "[" * 50_000, '{"text": ' + "9" * 4301 + "}"][number % 3] + "\n")
                continue
            if recent and rng.random() < 0.03:
                words = rng.choice(recent).split()
                words[rng.randrange(len(words))] = "altered"
                reply = " ".join(words)
            else:
                reply = random_text(rng, rng.randint(30, 90))
                recent = (recent + [reply])[-500:]
            handle.write(json.dumps({"messages": [{"role": "user", "content": f"Question {number}"},
                                                  {"role": "assistant", "content": reply}]}) + "\n")
    if not huge_line:
        return
    with open(path, "ab") as handle:
        handle.write(b'{"text": "caf\xe9"}\n')  # not UTF-8, on the last line


_CHILD = """
import json, resource, sys, time
from pathlib import Path
started = time.perf_counter()
kind, path = sys.argv[1], Path(sys.argv[2])
if kind == "lint":
    from core.lint import lint_file
    from core.settings import Settings
    report = lint_file(path, Settings())
    summary = {"lines": report.lines, "checked": report.checked, "bad_lines": len(report.bad_lines),
               "flagged": len(report.flagged), "largest_cluster": max(map(len, report.clusters), default=0)}
else:
    from core.dataset.general import load_general
    from core.errors import UserError
    try:
        fmt, items = load_general(path)
        summary = {"rows": len(items)}
    except UserError as exc:
        summary = {"error": str(exc)[-120:]}
summary["seconds"] = round(time.perf_counter() - started, 2)
# VmHWM: this process's own peak.  ru_maxrss is not: on Linux it keeps the parent's peak across fork + exec.
try:
    hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    summary["peak_rss_mb"] = round(int(hwm.split()[1]) / 1024, 1)
except (OSError, StopIteration):
    summary["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
print(json.dumps(summary))
"""


def run_child(kind: str, path: Path) -> dict[str, object]:
    import subprocess

    done = subprocess.run([sys.executable, "-c", _CHILD, kind, str(path)], capture_output=True, text=True,
                          timeout=1200, cwd=str(Path(__file__).resolve().parents[2]))
    if done.returncode != 0:
        return {"failed": done.returncode, "stderr": done.stderr[-400:]}
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def bounded_jsonl_figures(tmp: Path) -> dict[str, object]:
    """lint and general data at 50,000 and 200,000 lines, each in a fresh process."""
    small, large = tmp / "small.jsonl", tmp / "large.jsonl"
    write_mixed_jsonl(small, LINT_LINES // 4, huge_line=False)
    write_mixed_jsonl(large, LINT_LINES)
    clean = tmp / "general.jsonl"  # general data must be all good rows: the large file minus its bad lines
    write_mixed_jsonl(clean, LINT_LINES, huge_line=False)
    with open(clean, encoding="utf-8") as source, open(tmp / "general-ok.jsonl", "w", encoding="utf-8") as out:
        out.writelines(line for line in source if line.startswith('{"messages"'))
    lint_small, lint_large = run_child("lint", small), run_child("lint", large)
    general = run_child("general", tmp / "general-ok.jsonl")
    general_bad = run_child("general", large)
    peak = max(float(str(r.get("peak_rss_mb", 1e9))) for r in (lint_large, general, general_bad))
    per_line_small = float(str(lint_small.get("seconds", 0))) / (LINT_LINES // 4)
    per_line_large = float(str(lint_large.get("seconds", 0))) / LINT_LINES
    return {"lint_50k": lint_small, "lint_200k": lint_large, "general_200k": general,
            "general_with_bad_lines": general_bad, "peak_rss_mb": peak, "rss_target_mb": RSS_TARGET_MB,
            "time_per_line_ratio_200k_vs_50k": round(per_line_large / max(per_line_small, 1e-9), 2),
            "meets_rss_target": peak <= RSS_TARGET_MB}


def main() -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    with tempfile.TemporaryDirectory() as tmp:
        project, db = make_project(Path(tmp) / "project")
        try:
            # Warm the imports (mlx-lm / transformers) once so both builds pay the same.
            import mlx_lm.tuner.datasets  # noqa: F401

            full_s, full_cpu_s, full_phases, result = timed_build(project, db, "bench", near=True)
            exact_s, exact_cpu_s, _, _ = timed_build(project, db, "bench-exact", near=False)
            card = result.card
            texts = [e.final_text for e in db.examples]
        finally:
            db.close()
        naive_s = naive_pairs_estimate(texts)
        jsonl = bounded_jsonl_figures(Path(tmp))
    stage = card["stages"][0]
    figures = {
        "examples": N_EXAMPLES,
        "cores": cores,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "build_s": round(full_s, 2),
        "build_cpu_s": round(full_cpu_s, 2),
        "build_phases_s": full_phases,
        "build_without_near_dedup_s": round(exact_s, 2),
        "build_without_near_dedup_cpu_s": round(exact_cpu_s, 2),
        "near_dedup_cost_s": round(full_s - exact_s, 2),
        "naive_all_pairs_near_dedup_estimate_s": round(naive_s, 1),
        "exact_removed": card["pool"]["dedup"]["exact_removed"],
        "near_removed": card["pool"]["dedup"]["near_removed"],
        "built_examples": stage["stats"]["examples"],
        "by_split": stage["stats"]["by_split"],
        "formats": len(stage["formats"]),
        "target_s": TARGET_S,
        "ratio_to_target": round(full_s / TARGET_S, 3),
        "speedup_vs_naive_near_dedup": round(naive_s / max(full_s - exact_s, 1e-6), 1),
        "meets_target": full_s <= TARGET_S,
        # On a shared machine wall time includes waiting for other processes; CPU time does not.
        "cpu_ratio_to_target": round(full_cpu_s / TARGET_S, 3),
        "bounded_jsonl": jsonl,
    }
    print(f"10,000-example build, near-dedup + {figures['formats']} formats: {full_s:.2f} s wall, "
          f"{full_cpu_s:.2f} s CPU, load average {figures['load_average_1m']} "
          f"(target {TARGET_S:.0f} s; phases {full_phases})")
    print(f"without near-dedup: {exact_s:.2f} s; naive all-pairs near-dedup would take ~{naive_s:.0f} s")
    print(f"removed {figures['exact_removed']} exact and {figures['near_removed']} near duplicates; "
          f"built {figures['built_examples']} examples {figures['by_split']}")
    print(f"lint of {LINT_LINES:,} mixed lines: {jsonl['lint_200k']}; general data: {jsonl['general_200k']}; "
          f"peak RSS {jsonl['peak_rss_mb']} MB (target {RSS_TARGET_MB:.0f}); time per line 200k/50k "
          f"{jsonl['time_per_line_ratio_200k_vs_50k']}")
    print(json.dumps(figures))
    return 0 if figures["meets_target"] and jsonl["meets_rss_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
