"""What watchers receive: snapshots that coalesce bursts, and figures that hold still once a run ended."""

from __future__ import annotations

import asyncio
import time

from core.queue.events import JobFinished, QueuePaused, QueueStats, SnapshotSink


async def test_a_burst_of_events_becomes_a_few_snapshots_and_the_last_one_is_final():
    stats = QueueStats(total_jobs=500)
    delivered = []
    sink = SnapshotSink(stats, delivered.append, interval_s=0.05)
    for job_id in range(500):
        stats.done += 1
        sink(JobFinished(job_id, job_id, 0.0, {}))
    assert 1 <= len(delivered) <= 2  # 500 events within one interval
    await asyncio.sleep(0.1)  # the burst ended in silence: a trailing snapshot carries the final figures
    assert delivered[-1].done == 500 and len(delivered) <= 3
    sink(QueuePaused(True))  # a state change is delivered at once
    assert len(delivered) == len(set(map(id, delivered))) and delivered[-1].done == 500


def test_throughput_stops_falling_once_the_run_has_ended():
    stats = QueueStats(total_jobs=10)
    stats.started_at = time.monotonic() - 2.0
    stats.running = True
    for _ in range(10):
        stats.done += 1
        stats.record_finish()
    stats.running = False
    stats.finished_at = time.monotonic()
    first = stats.throughput()
    time.sleep(0.05)
    assert stats.throughput() == first and 4.0 < first < 5.5  # 10 jobs over ~2 s
    assert stats.eta_s() == 0.0 and stats.waiting_s() == 0.0
