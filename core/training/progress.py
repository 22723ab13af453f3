"""Progress events: one JSON object per line in `runs/<name>/progress.jsonl`.

WHY a file rather than only a pipe: the worker outlives the UI.  Whoever starts
or re-attaches to a run reads the same file from an offset, so closing and
reopening the studio loses nothing.  The worker writes whole lines and flushes
each one; a reader keeps any trailing partial line until its newline arrives.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Optional

EVENT_KINDS = ("loading", "config", "step", "train", "val", "checkpoint", "stopping", "stopped", "done", "error",
               "failed")
TERMINAL_KINDS = ("stopped", "done", "error", "failed")


@dataclass(frozen=True)
class ProgressEvent:
    """One line of a run's progress: its `event` kind and the fields that kind carries.

    Kinds and their main fields:
      loading     iteration, message   (the worker started; the model loads, the data is tokenized)
      config      total_iterations, start_iteration, n_train, n_valid, trainable_parameters, settings
      step        iteration   (each step before the first report, so a slow first report shows progress)
      train       iteration, loss, learning_rate, it_per_s, tokens_per_s, trained_tokens, peak_memory_gb
      val         iteration, val_loss, val_time
      checkpoint  iteration, path
      stopping    iteration   (sent to listeners by the runner the moment a stop is asked; not in the file)
      stopped     iteration, adapter_path, message, checkpoint (whether one is kept)
      done        iteration, adapter_path, seconds
      error       message, traceback, suggestion   (written by the worker)
      failed      message, log_tail, suggestion    (written by the runner for a worker that died)
    """

    event: str
    data: dict[str, Any] = field(default_factory=dict)
    time: float = 0.0

    @property
    def iteration(self) -> Optional[int]:
        value = self.data.get("iteration")
        return int(value) if value is not None else None

    @property
    def terminal(self) -> bool:
        return self.event in TERMINAL_KINDS

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.event, "time": self.time, **self.data}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> "ProgressEvent":
        data = {k: v for k, v in doc.items() if k not in ("event", "time")}
        return cls(event=str(doc.get("event", "")), data=data, time=float(doc.get("time") or 0.0))


def parse_line(line: str) -> Optional[ProgressEvent]:
    """The event on one progress line; None for a blank or foreign line (never raises)."""
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        doc = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(doc, dict) or "event" not in doc:
        return None
    return ProgressEvent.from_dict(doc)


class ProgressWriter:
    """Appends events to the progress file (and echoes them to a stream), flushing every line."""

    def __init__(self, path: Path, echo: Optional[IO[str]] = None) -> None:
        self.path = Path(path)
        self._handle = open(self.path, "a", encoding="utf-8")
        self._echo = echo

    def emit(self, event: str, **data: Any) -> ProgressEvent:
        record = ProgressEvent(event=event, data=data, time=time.time())
        line = json.dumps(record.to_dict(), ensure_ascii=False, default=_json_default) + "\n"
        self._handle.write(line)
        self._handle.flush()
        if self._echo is not None:
            try:
                self._echo.write(line)
                self._echo.flush()
            except (OSError, ValueError):  # a closed pipe must not stop training
                self._echo = None
        return record

    def close(self) -> None:
        self._handle.close()


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return str(value)


class ProgressReader:
    """Reads new complete lines of a progress file from a byte offset.

    `offset` can be saved and handed to a new reader to continue where another left off.
    """

    def __init__(self, path: Path, offset: int = 0) -> None:
        self.path = Path(path)
        self.offset = offset
        self._partial = b""

    def read_new(self) -> list[ProgressEvent]:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
        except FileNotFoundError:
            return []
        if not chunk:
            return []
        self.offset += len(chunk)
        data = self._partial + chunk
        lines = data.split(b"\n")
        self._partial = lines.pop()  # b"" when the chunk ended with a newline
        events = []
        for raw in lines:
            event = parse_line(raw.decode("utf-8", errors="replace"))
            if event is not None:
                events.append(event)
        return events


def read_all(path: Path) -> list[ProgressEvent]:
    """Every event in a progress file (for reports and tests)."""
    return ProgressReader(path).read_new()
