"""Property tests for what the studio reads back from a run's progress file (outside input: another process
wrote it, maybe an older worker, maybe cut off mid-line)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from core.training.progress import EVENT_KINDS, ProgressReader
from core.training.runs import session_timing

EVENTS = st.lists(st.tuples(st.sampled_from(EVENT_KINDS), st.floats(0, 1e6, allow_nan=False),
                            st.integers(0, 10_000)), max_size=40)


def _write(path: Path, events: list[tuple[str, float, int]], tail: bytes = b"") -> None:
    ordered = sorted(events, key=lambda e: e[1])
    path.write_bytes("".join(json.dumps({"event": kind, "time": when, "iteration": it}) + "\n"
                             for kind, when, it in ordered).encode() + tail)


@settings(max_examples=200, deadline=None)
@given(EVENTS, st.binary(max_size=30))
def test_session_timing_is_the_latest_session(events, tail) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "progress.jsonl"
        _write(path, events, tail.replace(b"\n", b""))
        started, reports = session_timing(path)
        ordered = sorted(events, key=lambda e: e[1])
        openers = [when for kind, when, _ in ordered if kind in ("loading", "config")]
        loadings = [when for kind, when, _ in ordered if kind == "loading"]
        if not openers:
            assert started is None
        elif loadings:  # the latest session began at its "loading" event or later (an older worker's config)
            assert started in openers and started >= loadings[-1]
        else:  # files of older workers: each config began a session
            assert started == openers[-1]
        assert len(reports) <= 12
        assert all(when >= (started or 0.0) for when, _ in reports)


@settings(max_examples=200, deadline=None)
@given(EVENTS, st.integers(1, 200))
def test_reading_in_chunks_gives_the_same_events(events, cut) -> None:
    """A reader that sees the file grow (cut anywhere, even mid-line) ends with exactly the whole file's events."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "progress.jsonl"
        _write(path, events)
        whole = path.read_bytes()
        path.write_bytes(whole[:cut])
        reader = ProgressReader(path)
        seen = reader.read_new()
        path.write_bytes(whole)
        seen += reader.read_new()
        assert [(e.event, e.time) for e in seen] == [(k, w) for k, w, _ in sorted(events, key=lambda e: e[1])]
