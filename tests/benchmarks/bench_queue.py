"""Benchmark of the generation queue against the fake Anthropic server (in its own process).

    python -m tests.benchmarks.bench_queue

1. Throughput: 640 jobs, concurrency 32, 500 ms server latency (ideal: 64 jobs/s).  Target >= 90% of ideal.
2. The queue's own CPU per job: process CPU time of the queue run (queue + store + SDK) minus that of a bare
   `AsyncAnthropic` loop sending the same requests at the same concurrency, in the same run.  Target <= 1 ms.
   Each is measured three times, alternating, and the lowest of each is used (the machine is shared).
3. With 10% injected 429s and 2% 529s, every job still ends done exactly once (the server counts the
   messages it answered per idempotency key).

The last line is one JSON object with the figures, the targets and the ratios.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from pathlib import Path
from typing import Any

import anthropic

from core.project import open_project
from core.queue import GenerationQueue, QueueConfig
from core.queue.jobs import enqueue, select_passages
from core.teacher.anthropic_teacher import AnthropicTeacher
from core.templates import load_templates
from store import Book, Database, Passage
from tests.fixtures.fake_anthropic import FAKE_KEY

JOBS = 640
CONCURRENCY = 32
LATENCY = 0.5
SAMPLES = 4
IDEAL = CONCURRENCY / LATENCY
ROUNDS = 3
warnings.filterwarnings("ignore", category=DeprecationWarning)


def start_server(*extra: str) -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen([sys.executable, "-m", "tests.fixtures.fake_anthropic", "--latency", str(LATENCY),
                               *extra], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[2])
    assert server.stdout is not None
    return server, server.stdout.readline().strip()


def stop_server(server: subprocess.Popen) -> None:
    assert server.stdin is not None
    server.stdin.close()
    server.wait(timeout=10)


def make_project(root: Path, base_url: str) -> tuple[Any, Database, AnthropicTeacher, list[Any]]:
    project = open_project(root)
    project.settings.teacher.base_url = base_url
    project.settings.teacher.timeout_s = 30
    db = Database(project.db_path)
    book = db.books.add(Book(title="Bench Book", author="Bench Author"))
    text = ("He stood at the window a long time, and the street below seemed to him both familiar and strange, "
            "as if he had dreamed it the night before and was now checking the dream against the world. ")
    db.passages.add_many([Passage(book_id=book.id, start=i * 400, end=i * 400 + 380, text=text * 2 + str(i),
                                  tags=["bench"], verdict="valuable", template_ids=["monologue"])
                          for i in range(JOBS // SAMPLES)])
    templates = load_templates(project, db)
    teacher = AnthropicTeacher(project.settings, api_key=FAKE_KEY)
    enqueue(db, select_passages(db), templates, teacher.name, SAMPLES)
    return project, db, teacher, templates


async def bare_loop(base_url: str, params: list[dict[str, Any]]) -> tuple[float, float]:
    """The baseline: the same requests through AsyncAnthropic, 32 at a time, nothing else."""
    client = anthropic.AsyncAnthropic(api_key=FAKE_KEY, base_url=base_url, max_retries=0, timeout=30)
    todo = list(params)

    async def worker() -> None:
        while todo:
            request = todo.pop()
            await client.messages.create(**request)

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    await client.close()
    return cpu, wall


async def queue_run(base_url: str, root: Path, config: QueueConfig) -> dict[str, Any]:
    project, db, teacher, templates = make_project(root, base_url)
    queue = GenerationQueue(db, teacher, templates, config)
    cpu, wall = time.process_time(), time.perf_counter()
    summary = await queue.run()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    jobs = db.jobs.all()
    examples = db.examples.all()
    result = {"cpu_s": cpu, "wall_s": wall, "done": summary.done, "failed": summary.failed,
              "retries": queue.stats.retries, "jobs": len(jobs),
              "all_done": all(j.status == "done" for j in jobs),
              "examples": len(examples), "examples_unique_jobs": len({e.job_id for e in examples}),
              "keys": {j.idempotency_key for j in jobs}}
    await teacher.aclose()
    db.close()
    return result


def request_params(base_url: str, root: Path) -> list[dict[str, Any]]:
    project, db, teacher, templates = make_project(root, base_url)
    queue = GenerationQueue(db, teacher, templates, QueueConfig())
    params = [teacher.params(queue.request_for(job, queue.prompt_for(job)[0])) for job in queue.pending_jobs()]
    db.close()
    return params


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="bench_queue_"))
    clean = QueueConfig(concurrency=CONCURRENCY, max_retries=6, backoff_base_s=0.05, backoff_max_s=0.5,
                        budget_usd=1000.0)
    server, url = start_server()
    try:
        params = request_params(url, workdir / "params")
        bare, runs = [], []
        for round_number in range(ROUNDS):
            bare.append(asyncio.run(bare_loop(url, params)))
            runs.append(asyncio.run(queue_run(url, workdir / f"clean{round_number}", clean)))
            print(f"round {round_number}: bare cpu {bare[-1][0]:.2f}s wall {bare[-1][1]:.2f}s; "
                  f"queue cpu {runs[-1]['cpu_s']:.2f}s wall {runs[-1]['wall_s']:.2f}s done {runs[-1]['done']}",
                  flush=True)
    finally:
        stop_server(server)
    server, url = start_server("--rate", "429=0.10", "--rate", "529=0.02", "--seed", "7")
    try:
        faulty = asyncio.run(queue_run(url, workdir / "faulty", clean))
        with urllib.request.urlopen(f"{url}/_fake/stats") as response:
            stats = json.loads(response.read())
    finally:
        stop_server(server)
    answered = stats["answered_keys"]
    exactly_once = (faulty["all_done"] and faulty["jobs"] == JOBS and faulty["examples"] == JOBS
                    and faulty["examples_unique_jobs"] == JOBS
                    and set(answered) == faulty["keys"] and all(count == 1 for count in answered.values()))
    best_run = min(runs, key=lambda r: r["wall_s"])
    throughput = JOBS / best_run["wall_s"]
    bare_cpu = min(c for c, _ in bare)
    queue_cpu = min(r["cpu_s"] for r in runs)
    overhead_ms = max(0.0, (queue_cpu - bare_cpu) / JOBS * 1000)
    bare_throughput = JOBS / min(w for _, w in bare)
    print(f"throughput: queue {throughput:.1f} jobs/s, bare SDK loop {bare_throughput:.1f} jobs/s, ideal {IDEAL:.0f}")
    print(f"CPU per request: bare SDK {bare_cpu / JOBS * 1000:.2f} ms, queue {queue_cpu / JOBS * 1000:.2f} ms; "
          f"the queue's own {overhead_ms:.3f} ms per job")
    print(f"with 10% 429 + 2% 529: {faulty['done']} done, {faulty['failed']} failed, {faulty['retries']} retries, "
          f"{faulty['wall_s']:.1f}s; exactly once: {exactly_once}")
    figures = {
        "jobs": JOBS, "concurrency": CONCURRENCY, "latency_s": LATENCY,
        "throughput_jobs_per_s": round(throughput, 2), "ideal_jobs_per_s": IDEAL,
        "throughput_ratio": round(throughput / IDEAL, 3), "throughput_target_ratio": 0.9,
        "bare_sdk_throughput_jobs_per_s": round(bare_throughput, 2),
        "bare_sdk_cpu_ms_per_request": round(bare_cpu / JOBS * 1000, 3),
        "queue_cpu_ms_per_job": round(queue_cpu / JOBS * 1000, 3),
        "queue_overhead_cpu_ms_per_job": round(overhead_ms, 3), "overhead_target_ms": 1.0,
        "overhead_ratio_to_target": round(overhead_ms / 1.0, 3),
        "faults_done": faulty["done"], "faults_failed": faulty["failed"], "faults_retries": faulty["retries"],
        "faults_exactly_once": exactly_once,
        "pass": throughput >= 0.9 * IDEAL and overhead_ms <= 1.0 and exactly_once,
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
