"""Answers to probes for any model, generated once and cached in the store.

Why a cache keyed by everything that shapes an answer (model fingerprint including the adapter hash, the
user turns, decoding settings, seed): a 70B model answers a hundred probes in many minutes, and the
method compares each stage with the previous one, so every model is compared more than once.  A
repeated comparison finds all its answers here and starts no process at all.

Generation runs in `core.evaluation.answer_worker` (a subprocess); each answer is stored the moment its
line arrives, so a stopped or crashed run resumes with the probes still missing.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Optional

from core.errors import UserError
from core.evaluation.models import ModelSpec
from core.evaluation.probes import Probe
from store.comparisons import Answer
from store.database import Database

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class AnswerError(UserError):
    """The answering process failed; the sentence says why and where its log is."""


@dataclass(frozen=True)
class Decoding:
    """Decoding settings, recorded with every answer (and part of its cache key)."""

    max_tokens: int = 200
    temperature: float = 0.7
    top_p: float = 0.95

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


@dataclass(frozen=True)
class ProbeRef:
    """A probe with the set it came from (ids are unique within a set only)."""

    probe_set: str
    probe: Probe

    @property
    def ref(self) -> str:
        return f"{self.probe_set}/{self.probe.id}"


@dataclass
class AnswerReport:
    """The answers of one model to some probes, and how many it had to generate (model calls)."""

    answers: dict[str, Answer] = field(default_factory=dict)  # by ProbeRef.ref
    generated: int = 0
    cached: int = 0


def answer_key(model: ModelSpec, turns: tuple[str, ...], decoding: Decoding, seed: int) -> str:
    text = json.dumps({"model": model.fingerprint, "turns": list(turns), "settings": decoding.to_dict(),
                       "seed": seed}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


Progress = Callable[[int, int], None]  # (answered so far, total to generate)


def ensure_answers(db: Database, model: ModelSpec, probes: list[ProbeRef], decoding: Decoding, seed: int = 0,
                   progress: Optional[Progress] = None, env: Optional[dict[str, str]] = None,
                   should_stop: Callable[[], bool] = lambda: False) -> AnswerReport:
    """Every probe's answer by `model`: from the cache, else generated in the worker and stored one by one."""
    keys = {ref.ref: answer_key(model, ref.probe.turns, decoding, seed) for ref in probes}
    stored = db.comparisons.answers.by_keys(keys.values())
    report = AnswerReport()
    missing: list[ProbeRef] = []
    for ref in probes:
        answer = stored.get(keys[ref.ref])
        if answer is None:
            missing.append(ref)
        else:
            report.answers[ref.ref] = answer
    report.cached = len(report.answers)
    if not missing:
        return report
    by_key = {keys[ref.ref]: ref for ref in missing}
    request = {"model_path": model.model_path, "adapter_path": model.adapter_path,
               "settings": decoding.to_dict(), "seed": seed,
               "jobs": [{"key": key, "turns": list(ref.probe.turns)} for key, ref in by_key.items()]}
    for key, replies, seconds in _run_worker(request, env, should_stop):
        asked = by_key.get(key)
        if asked is None:
            continue
        answer = db.comparisons.answers.add(Answer(
            key=key, model=model.label, fingerprint=model.fingerprint, probe_set=asked.probe_set,
            probe_id=asked.probe.id, turns=list(asked.probe.turns), replies=replies, settings=decoding.to_dict(),
            seed=seed, seconds=seconds))
        report.answers[asked.ref] = answer
        report.generated += 1
        if progress is not None:
            progress(report.generated, len(missing))
    return report


def _run_worker(request: dict[str, object], env: Optional[dict[str, str]],
                should_stop: Callable[[], bool]) -> Iterator[tuple[str, list[str], float]]:
    """Run the answering subprocess; yield (key, replies, seconds) as lines arrive (stored by the caller)."""
    environment = {**os.environ, **(env or {})}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), environment.get("PYTHONPATH")]))
    process = subprocess.Popen([sys.executable, "-m", "core.evaluation.answer_worker"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
                               env=environment)
    assert process.stdin is not None and process.stdout is not None
    stderr_tail: deque[str] = deque(maxlen=20)  # drained in a thread: a chatty library must not fill the pipe
    drain = threading.Thread(target=lambda: stderr_tail.extend(process.stderr or []), daemon=True)
    drain.start()
    process.stdin.write(json.dumps(request, ensure_ascii=False))
    process.stdin.close()
    error = ""
    for line in process.stdout:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        kind = event.get("event")
        if kind == "answer":
            yield (str(event["key"]), [str(r) for r in event.get("replies", [])], float(event.get("seconds", 0.0)))
        elif kind == "error":
            error = str(event.get("message", ""))
        if should_stop():
            process.terminate()
            break
    code = process.wait()
    drain.join(timeout=5)
    if code != 0 and not should_stop():
        lines = [line.strip() for line in stderr_tail if line.strip()]
        tail = error or (lines[-1] if lines else f"exit code {code}")
        raise AnswerError(f"The model could not answer the probes ({str(tail)[:300]}); the answers so far are "
                          f"kept, so running the comparison again resumes.")
