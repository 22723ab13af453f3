"""Benchmark: import War and Peace (decode, strip, structure, index, files, record) into a temp project.

Run: python -m tests.benchmarks.bench_import
Baseline in the same run: the floor any import pays (read the bytes, sha256, decode, split paragraphs
with one regex, write the text).  Targets: import <= 1 s; load_book_text (uncached) <= 100 ms.
The last line is one JSON object with the figures, the targets and the ratios.
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT.parent / "shared" / "corpus" / "war_and_peace_2600.txt"
RUNS = 5
IMPORT_TARGET_S = 1.0
LOAD_TARGET_S = 0.100


def _baseline(out_dir: Path) -> float:
    started = time.perf_counter()
    data = BOOK.read_bytes()
    hashlib.sha256(data).hexdigest()
    text = data.decode("utf-8").replace("\r\n", "\n")
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    (out_dir / "baseline.txt").write_text("\n\n".join(paragraphs), encoding="utf-8")
    return time.perf_counter() - started


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from core.library import clear_text_cache, import_book, load_book_text
    from core.project import open_project
    from store import Database

    if not BOOK.exists():
        print(f"missing {BOOK}")
        return 1
    imports, loads, baselines = [], [], []
    for run in range(RUNS):
        with tempfile.TemporaryDirectory() as tmp:
            project = open_project(Path(tmp) / "project")
            baselines.append(_baseline(Path(tmp)))
            with Database(project.db_path) as db:
                started = time.perf_counter()
                book = import_book(project, db, BOOK)
                imports.append(time.perf_counter() - started)
                clear_text_cache()
                started = time.perf_counter()
                text = load_book_text(project, book)
                loads.append(time.perf_counter() - started)
            print(f"run {run + 1}: import {imports[-1] * 1000:.0f} ms, load {loads[-1] * 1000:.1f} ms, "
                  f"baseline {baselines[-1] * 1000:.0f} ms ({len(text.paragraphs)} paragraphs, "
                  f"{len(text.chapters)} chapters, {len(text.parts)} parts)")
    import_s, load_s, base_s = (statistics.median(v) for v in (imports, loads, baselines))
    print(f"median import {import_s * 1000:.0f} ms (target <= {IMPORT_TARGET_S * 1000:.0f} ms), "
          f"load {load_s * 1000:.1f} ms (target <= {LOAD_TARGET_S * 1000:.0f} ms), "
          f"baseline read+split {base_s * 1000:.0f} ms")
    print(json.dumps({
        "book": BOOK.name, "runs": RUNS,
        "import_median_s": round(import_s, 4), "import_target_s": IMPORT_TARGET_S,
        "import_vs_target": round(import_s / IMPORT_TARGET_S, 3),
        "load_median_s": round(load_s, 4), "load_target_s": LOAD_TARGET_S,
        "load_vs_target": round(load_s / LOAD_TARGET_S, 3),
        "baseline_read_split_median_s": round(base_s, 4),
        "import_vs_baseline": round(import_s / base_s, 2),
        "meets_targets": import_s <= IMPORT_TARGET_S and load_s <= LOAD_TARGET_S,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
