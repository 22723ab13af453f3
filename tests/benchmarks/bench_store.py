"""Store benchmark: one durable update and opening a 10,000-example database.

Compares the journal storage with TinyDB's plain `JSONStorage` in the same run.
Run: `python -m tests.benchmarks.bench_store`.  The last line is one JSON object.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tinydb import TinyDB
from tinydb.storages import JSONStorage

from store import Database, Example

N_EXAMPLES = 10_000
WORDS = ("memory light window the of and she felt remembered again was not a sudden room "
         "he thought perhaps something afraid morning").split()


def _example(rng: random.Random, i: int) -> Example:
    text = " ".join(rng.choice(WORDS) for _ in range(230))[:1300]
    return Example(job_id=i, passage_id=i % 700, book_id=i % 9, template_id="direct", template_version="abc",
                   teacher="anthropic:claude-sonnet-4-5",
                   messages=[{"role": "user", "content": "p"}, {"role": "assistant", "content": text}],
                   usage={"input": 900, "output": 300, "cache_read": 0, "cache_write": 0}, cost_usd=0.0072)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def bench_journal(root: Path, rng: random.Random) -> dict[str, float]:
    path = root / "journal-db"
    db = Database(path)
    db.examples.add_many([_example(rng, i) for i in range(N_EXAMPLES)])
    db.db.journal.compact()  # a settled project: snapshot + a short journal
    db.close()
    opens = []
    for _ in range(5):
        start = time.perf_counter()
        db = Database(path)
        opens.append(time.perf_counter() - start)
        if _ != 4:
            db.close()
    latencies = []
    for i in range(1000):
        example_id = rng.randint(1, N_EXAMPLES)
        start = time.perf_counter()
        db.examples.update(example_id, status="accepted" if i % 2 else "rejected")
        latencies.append(time.perf_counter() - start)
    # the same with an fsync per update, for a reader who wants power-cut durability per write
    fsynced = []
    for i in range(100):
        example_id = rng.randint(1, N_EXAMPLES)
        start = time.perf_counter()
        db.examples.update(example_id, status="accepted")
        db.db.journal.sync()
        fsynced.append(time.perf_counter() - start)
    db.close()
    size = sum(f.stat().st_size for f in path.iterdir())
    return {"update_median_ms": statistics.median(latencies) * 1e3, "update_p95_ms": _percentile(latencies, 0.95) * 1e3,
            "update_fsync_each_p95_ms": _percentile(fsynced, 0.95) * 1e3,
            "open_median_ms": statistics.median(opens) * 1e3, "db_mb": size / 1e6}


def bench_json_storage(root: Path, rng: random.Random) -> dict[str, float]:
    path = root / "plain.json"
    db = TinyDB(path, storage=JSONStorage)
    table = db.table("examples")
    table.insert_multiple(_example(rng, i).to_doc() for i in range(N_EXAMPLES))
    db.close()
    opens = []
    for _ in range(3):
        start = time.perf_counter()
        db = TinyDB(path, storage=JSONStorage)
        len(db.table("examples"))  # JSONStorage reads lazily: count the first read
        opens.append(time.perf_counter() - start)
        db.close()
    db = TinyDB(path, storage=JSONStorage)
    table = db.table("examples")
    latencies = []
    for i in range(30):
        example_id = rng.randint(1, N_EXAMPLES)
        start = time.perf_counter()
        table.update({"status": "accepted"}, doc_ids=[example_id])
        latencies.append(time.perf_counter() - start)
    db.close()
    return {"update_median_ms": statistics.median(latencies) * 1e3, "update_p95_ms": _percentile(latencies, 0.95) * 1e3,
            "open_median_ms": statistics.median(opens) * 1e3, "db_mb": path.stat().st_size / 1e6}


def main() -> None:
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        journal = bench_journal(root, rng)
        plain = bench_json_storage(root, rng)
    print(f"{N_EXAMPLES} examples of ~1.4 KB")
    print(f"journal   update median {journal['update_median_ms']:.3f} ms  p95 {journal['update_p95_ms']:.3f} ms  "
          f"(fsync each: p95 {journal['update_fsync_each_p95_ms']:.2f} ms)  open {journal['open_median_ms']:.0f} ms  "
          f"{journal['db_mb']:.1f} MB")
    print(f"JSONStorage update median {plain['update_median_ms']:.1f} ms  p95 {plain['update_p95_ms']:.1f} ms  "
          f"open {plain['open_median_ms']:.0f} ms  {plain['db_mb']:.1f} MB")
    result = {
        "benchmark": "store", "examples": N_EXAMPLES,
        "journal": journal, "json_storage": plain,
        "update_p95_ratio": plain["update_p95_ms"] / journal["update_p95_ms"],
        "targets": {"update_p95_ms": 2.0, "update_ratio_min": 100, "open_ms": 300},
        "met": {"update_p95": journal["update_p95_ms"] <= 2.0,
                "ratio": plain["update_p95_ms"] / journal["update_p95_ms"] >= 100,
                "open": journal["open_median_ms"] <= 300},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
