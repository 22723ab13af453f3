"""Training through the worker + runner vs `python -m mlx_lm lora` run directly, on the tiny model.

Run: python -m tests.benchmarks.bench_training [--iters N] [--rounds R]

Same model, data and settings on both sides (batch 2, sequence 128, all layers,
rank 8, seed 0, validation only at the start and the end).  Tokens/s is the mean
of mlx-lm's own per-report figures after the first report (which includes the
warm-up): for the worker from its "train" events, for the baseline from the
report lines mlx-lm prints (parsed here only because the baseline has no other
output).  Rounds alternate baseline and worker so that load on the machine hits
both alike; the median round of each is compared.  A warm-up run first fills
mlx's CPU kernel cache, which both sides share.

Progress latency: for every event, the time the runner's listener received it
minus the time the worker wrote it (same clock).

Targets: worker tokens/s >= 97% of the baseline; latency <= 250 ms.
The last line printed is one JSON object with the figures, targets and ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from core.project import open_project
from core.training.config import TrainingConfig
from core.training.progress import read_all
from core.training.runner import TrainingRunner
from store import Database
from tests.fixtures.tiny_model import build_tiny_model, tiny_chat_dataset

REPORT_LINE = re.compile(r"^\s*(\d+)\s+([\d.]+)\s+[\u25bc\u25b2]\s+([\d,]+)\s+[\d.]+k\s*$")


def settings(iters: int) -> dict:
    return dict(iters=iters, batch_size=2, max_seq_length=128, num_layers=-1, learning_rate=1e-4, rank=8,
                scale=20.0, steps_per_report=10, steps_per_eval=iters * 10, val_batches=2, save_every=iters * 10,
                seed=0)


def run_baseline(model: Path, data: Path, iters: int, workdir: Path) -> list[float]:
    """mlx-lm's own CLI; returns its per-report tokens/s."""
    s = settings(iters)
    adapter_path = workdir / f"baseline-{time.time_ns()}"
    command = [sys.executable, "-m", "mlx_lm", "lora", "--model", str(model), "--train", "--data", str(data),
               "--iters", str(iters), "--batch-size", str(s["batch_size"]), "--max-seq-length",
               str(s["max_seq_length"]), "--num-layers", str(s["num_layers"]), "--learning-rate",
               str(s["learning_rate"]), "--steps-per-report", str(s["steps_per_report"]), "--steps-per-eval",
               str(s["steps_per_eval"]), "--val-batches", str(s["val_batches"]), "--save-every",
               str(s["save_every"]), "--seed", str(s["seed"]), "--adapter-path", str(adapter_path)]
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120", "TERM": "dumb"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"mlx_lm lora failed:\n{result.stderr[-2000:]}")
    rates = []
    for line in re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", result.stdout).splitlines():
        match = REPORT_LINE.match(line)
        if match:
            rates.append(float(match.group(3).replace(",", "")))
    if len(rates) < 2:
        raise RuntimeError(f"could not read mlx_lm's report lines:\n{result.stdout[-2000:]}")
    return rates


def run_worker(project, db, model: Path, data: Path, iters: int) -> tuple[list[float], list[float]]:
    """Worker through the runner; returns per-report tokens/s and per-event latencies (s)."""
    latencies: list[float] = []

    async def go():
        runner = TrainingRunner(project, db, poll_interval=0.05)
        runner.add_listener(lambda u: latencies.append(u.received - u.event.time))
        run = await runner.begin(data, model, TrainingConfig(**settings(iters)))  # as `interiority train`
        return await runner.wait(run.name)

    run = asyncio.run(go())
    if run.status != "done":
        raise RuntimeError(f"worker run failed: {run.error}")
    rates = [e.data["tokens_per_s"] for e in read_all(Path(run.run_dir) / "progress.jsonl") if e.event == "train"]
    return rates, latencies


def steady(rates: list[float]) -> float:
    return statistics.mean(rates[1:]) if len(rates) > 1 else rates[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iters", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        model = build_tiny_model(workdir / "model")
        data = tiny_chat_dataset(workdir / "data", n=80)
        project = open_project(workdir / "project")
        db = Database(project.db_path)
        try:
            started = time.time()
            run_baseline(model, data, 20, workdir)  # warm mlx's kernel cache for both sides
            print(f"warm-up: {time.time() - started:.1f} s", flush=True)
            baseline_rounds, worker_rounds, latencies = [], [], []
            for round_index in range(options.rounds):
                baseline = steady(run_baseline(model, data, options.iters, workdir))
                worker_rates, round_latencies = run_worker(project, db, model, data, options.iters)
                worker = steady(worker_rates)
                latencies += round_latencies
                baseline_rounds.append(baseline)
                worker_rounds.append(worker)
                print(f"round {round_index + 1}: baseline {baseline:.0f} tok/s, worker {worker:.0f} tok/s "
                      f"({worker / baseline:.1%})", flush=True)
        finally:
            db.close()
    baseline_tps = statistics.median(baseline_rounds)
    worker_tps = statistics.median(worker_rounds)
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    figures = {
        "iters": options.iters, "rounds": options.rounds,
        "baseline_tokens_per_s": round(baseline_tps, 1), "worker_tokens_per_s": round(worker_tps, 1),
        "tokens_per_s_ratio": round(worker_tps / baseline_tps, 4), "tokens_per_s_target_ratio": 0.97,
        # Paired rounds run back to back, so their ratio cancels slow drifts in the machine's load.
        "paired_ratio_median": round(statistics.median(w / b for w, b in zip(worker_rounds, baseline_rounds)), 4),
        "latency_max_ms": round(latencies[-1] * 1000, 1), "latency_p95_ms": round(p95 * 1000, 1),
        "latency_median_ms": round(statistics.median(latencies) * 1000, 1), "latency_target_ms": 250,
        "latency_events": len(latencies),
        "baseline_rounds": [round(x, 1) for x in baseline_rounds], "worker_rounds": [round(x, 1) for x in worker_rounds],
    }
    figures["tokens_per_s_ok"] = min(figures["tokens_per_s_ratio"], figures["paired_ratio_median"]) >= 0.97
    figures["latency_ok"] = figures["latency_max_ms"] <= 250
    print(f"worker/baseline tokens/s: {figures['tokens_per_s_ratio']:.1%} of medians, "
          f"{figures['paired_ratio_median']:.1%} median of paired rounds (target >= 97%); progress latency "
          f"max {figures['latency_max_ms']} ms, p95 {figures['latency_p95_ms']} ms (target <= 250 ms)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
