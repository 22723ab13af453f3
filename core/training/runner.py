"""Create, start, follow, stop and resume training runs; the worker does the training.

WHY the worker is started with `subprocess.Popen(start_new_session=True)` and not
`asyncio.create_subprocess_exec`: an asyncio subprocess transport kills its child
when it is closed or collected, so closing the studio would kill the run.  A
Popen child in its own session outlives the app; the runner only follows it, by
polling `Popen.poll()` (or the pid, after a restart) and tailing
`runs/<name>/progress.jsonl` every `poll_interval` seconds (50 ms by default, so
progress reaches listeners well within 250 ms).

The progress file is the truth; the Run record is a small summary of it (status,
latest figures, the last few events and down-sampled loss curves), rebuilt from
the file by `refresh_run` whenever a run is re-attached.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional, Union

from core.errors import UserError
from core.project import Project
from core.training.config import TrainingConfig
from core.training.process import read_pid, signal_worker, stop_worker_sync, worker_alive
from core.training.progress import ProgressEvent, ProgressReader, ProgressWriter
from core.training.runs import (RunNotFound, RunStateError, apply_event, create_run, find_run, log_tail,
                                refresh_run, run_folder, session_timing, trained_tokens_at)
from core.training.worker import ADAPTERS_DIR, NOTHING_TO_RESUME, OOM_SUGGESTION, last_checkpoint
from store.database import Database
from store.records import Run

REPO_ROOT = Path(__file__).resolve().parents[2]
ACTIVE_STATES = ("running", "stopping")


@dataclass(frozen=True)
class RunUpdate:
    """What listeners receive for every progress event of a followed run."""

    run_name: str
    event: ProgressEvent
    status: str
    iteration: int
    total_iterations: int
    eta_s: Optional[float]
    elapsed_s: float
    received: float  # time.time() when the runner read the line


Listener = Callable[[RunUpdate], Union[None, Awaitable[None]]]


@dataclass
class _Followed:
    """What the runner tracks for one run it follows."""

    run: Run
    reader: ProgressReader
    process: Optional["subprocess.Popen[bytes]"] = None
    pid: Optional[int] = None
    task: Optional["asyncio.Task[None]"] = None
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    rate_samples: "deque[tuple[float, int]]" = field(default_factory=lambda: deque(maxlen=12))
    session_started: float = field(default_factory=time.time)
    last_save: float = 0.0
    killed_by_stop: bool = False
    stop_requested: bool = False
    session_ended: Optional[float] = None  # time of the terminal event, once the run has ended


class TrainingRunner:
    """Starts workers and follows their progress files, updating Run records and notifying listeners.

    Listeners are callables (sync or async) taking a RunUpdate; they run on the
    runner's event loop.  `close()` stops following; workers keep running.
    """

    def __init__(self, project: Project, db: Database, python: Optional[str] = None,
                 env: Optional[dict[str, str]] = None, poll_interval: float = 0.05,
                 grace_s: float = 10.0, save_interval: float = 1.0) -> None:
        self.project = project
        self.db = db
        self.python = python or project.settings.training.python or sys.executable
        self.env = dict(env or {})
        self.poll_interval = poll_interval
        self.grace_s = grace_s
        self.save_interval = save_interval
        self._followed: dict[str, _Followed] = {}
        self._listeners: list[Listener] = []

    # listeners
    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def queue(self) -> "asyncio.Queue[RunUpdate]":
        """A queue that receives every update from now on."""
        updates: asyncio.Queue[RunUpdate] = asyncio.Queue()
        self.add_listener(updates.put_nowait)
        return updates

    # lifecycle
    async def begin(self, data: Union[str, Path], model_path: Optional[Union[str, Path]] = None,
                    config: Optional[TrainingConfig] = None, name: Optional[str] = None) -> Run:
        """Create a run and start it: what `interiority train` and the Train screen's Start both do.

        `data`: a build, `NAME/stage-N` or a data folder; `model_path`: default `[training] local_model`;
        `config`: default `config.config_for_method("lora")`; `name`: a plain name under runs/.
        """
        run = create_run(self.project, self.db, data, model_path, config, name=name)
        return await self.start(run)

    async def start(self, run: Run) -> Run:
        """Start the worker for a created (or resumable) run and follow it."""
        if run.name in self._followed and not self._followed[run.name].finished.is_set():
            raise RunStateError(f"Run {run.name} is already running; stop it first.")
        run_dir = run_folder(self.project, run.name)
        env = {**os.environ, **self.env}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
        env.setdefault("PYTHONUNBUFFERED", "1")
        progress = run_dir / "progress.jsonl"
        offset = progress.stat().st_size if progress.exists() else 0
        with open(run_dir / "worker.log", "ab") as log:
            try:
                process = subprocess.Popen(
                    [self.python, "-m", "core.training.worker", str(run_dir)],
                    cwd=str(REPO_ROOT), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=log, start_new_session=True)
            except OSError as exc:
                raise UserError(f"Cannot start the training worker with {self.python}: {exc.strerror or exc}. "
                                f"Set [training] python in interiority.toml to a Python with mlx-lm.") from None
        (run_dir / "worker.pid").write_text(str(process.pid))
        run.status = "running"
        run.error = ""
        self.db.runs.save(run)
        followed = _Followed(run=run, reader=ProgressReader(progress, offset), process=process, pid=process.pid)
        self._follow(followed)
        return run

    async def attach(self, run: Run) -> Run:
        """Follow a run started earlier (maybe by another process): rebuild its record, then tail the file."""
        if run.name in self._followed and not self._followed[run.name].finished.is_set():
            return self._followed[run.name].run
        run = refresh_run(self.db, run)
        progress = Path(run.run_dir) / "progress.jsonl"
        size = progress.stat().st_size if progress.exists() else 0
        pid = read_pid(run.run_dir)
        followed = _Followed(run=run, reader=ProgressReader(progress, size), pid=pid)
        # Elapsed and ETA continue from the file: when this session began and its latest reports.
        started, samples = session_timing(progress)
        if started is not None:
            followed.session_started = started
        followed.rate_samples.extend(samples)
        followed.session_ended = None if run.status in ACTIVE_STATES else _last_event_time(progress)
        if run.status in ACTIVE_STATES or run.status == "created" and pid:
            self._follow(followed)
        else:
            followed.finished.set()
            self._followed[run.name] = followed
        return run

    async def attach_active(self) -> list[Run]:
        """Re-attach to every run the database says is running (call when the app starts)."""
        return [await self.attach(run) for run in self.db.runs.all() if run.status in ACTIVE_STATES]

    def _follow(self, followed: _Followed) -> None:
        self._followed[followed.run.name] = followed
        followed.task = asyncio.get_running_loop().create_task(self._follow_loop(followed))

    async def wait(self, run_name: str) -> Run:
        """Until the followed run ends; returns its record."""
        followed = self._require(run_name)
        await followed.finished.wait()
        return followed.run

    async def stop(self, run_name: str, grace_s: Optional[float] = None) -> Run:
        """SIGTERM (the worker saves a checkpoint and exits), SIGKILL after the grace period."""
        followed = self._require(run_name)
        if followed.finished.is_set():
            return followed.run
        grace = self.grace_s if grace_s is None else grace_s
        followed.stop_requested = True
        # Listeners hear "stopping" at once (the worker may need seconds to finish its step and save).
        await self._handle(followed, ProgressEvent("stopping", {"iteration": followed.run.iteration},
                                                   time.time()))
        if followed.pid:
            signal_worker(followed.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(followed.finished.wait(), timeout=grace)
        except asyncio.TimeoutError:
            followed.killed_by_stop = True
            if followed.pid:
                signal_worker(followed.pid, signal.SIGKILL)
            await followed.finished.wait()
        return followed.run

    async def resume(self, run_name: str) -> Run:
        """Continue a stopped or failed run from its last checkpoint; iterations keep counting."""
        followed = self._followed.get(run_name)
        if followed is not None and not followed.finished.is_set():
            raise RunStateError(f"Run {run_name} is still running; there is nothing to resume.")
        run = find_run(self.db, run_name)
        run = refresh_run(self.db, run)
        if run.status == "done":
            raise RunStateError(f"Run {run_name} finished all {run.total_iterations} iterations; "
                                f"start a new run to train longer.")
        run_dir = run_folder(self.project, run.name)
        config = TrainingConfig.load(run_dir / "config.json")
        checkpoint = last_checkpoint(run_dir)
        if checkpoint is None:
            config.start_iteration, config.resume_adapter_file, config.trained_tokens_before = 0, None, 0
        else:
            iteration, path = checkpoint
            config.start_iteration = iteration
            config.resume_adapter_file = str(path)
            config.trained_tokens_before = trained_tokens_at(run_dir, iteration)
        config.save(run_dir / "config.json")
        run.config = config.to_dict()
        return await self.start(run)

    def eta_seconds(self, run_name: str) -> Optional[float]:
        followed = self._followed.get(run_name)
        return self._eta(followed) if followed else None

    def elapsed_seconds(self, run_name: str) -> Optional[float]:
        """Seconds since the run's current session began (to its end once it has ended); None if unknown."""
        followed = self._followed.get(run_name)
        if followed is None:
            return None
        end = followed.session_ended if followed.session_ended is not None else time.time()
        return max(0.0, end - followed.session_started)

    def followed_runs(self) -> list[Run]:
        return [f.run for f in self._followed.values()]

    async def close(self) -> None:
        """Stop following (the workers keep running; `attach` picks them up again)."""
        for followed in self._followed.values():
            if followed.task is not None and not followed.task.done():
                followed.task.cancel()
                try:
                    await followed.task
                except asyncio.CancelledError:
                    pass
        self._followed.clear()

    # internals
    def _require(self, run_name: str) -> _Followed:
        if run_name not in self._followed:
            raise RunStateError(f"Run {run_name} is not followed by this runner; attach to it first.")
        return self._followed[run_name]

    def _exit_status(self, followed: _Followed) -> Optional[int]:
        """The worker's exit code; -1000 for "gone, code unknown"; None while it runs."""
        if followed.process is not None:
            return followed.process.poll()
        return None if worker_alive(followed.pid, followed.run.run_dir) else -1000

    async def _follow_loop(self, followed: _Followed) -> None:
        try:
            while True:
                terminal = await self._drain(followed)
                if terminal:
                    await self._reap(followed)
                    break
                code = self._exit_status(followed)
                if code is not None:
                    if not await self._drain(followed):
                        await self._record_failure(followed, code)
                    break
                await asyncio.sleep(self.poll_interval)
        finally:
            self.db.runs.save(followed.run)
            followed.finished.set()

    async def _drain(self, followed: _Followed) -> bool:
        """Handle new lines; True when a terminal event was among them."""
        terminal = False
        for event in followed.reader.read_new():
            terminal = await self._handle(followed, event) or terminal
        return terminal

    async def _handle(self, followed: _Followed, event: ProgressEvent) -> bool:
        received = time.time()
        run = followed.run
        apply_event(run, event)
        if event.event == "done":
            from core.training.calibrate import calibrate_from_run

            calibrate_from_run(self.project, run)
        if event.event == "loading":
            followed.session_started = event.time or received
        if event.event in ("loading", "config"):
            followed.rate_samples.clear()
        if event.event == "train":
            followed.rate_samples.append((event.time or received, int(event.data["iteration"])))
        if event.terminal:
            followed.session_ended = event.time or received
        elif event.event in ("loading", "config"):
            followed.session_ended = None
        if event.terminal or event.event != "train" or received - followed.last_save >= self.save_interval:
            self.db.runs.save(run)
            followed.last_save = received
        update = RunUpdate(run_name=run.name, event=event, status=run.status, iteration=run.iteration,
                           total_iterations=run.total_iterations, eta_s=self._eta(followed),
                           elapsed_s=self.elapsed_seconds(run.name) or received - followed.session_started,
                           received=received)
        for listener in list(self._listeners):
            try:
                result = listener(update)
                if inspect.isawaitable(result):
                    await result
            except Exception:  # noqa: BLE001 - one broken listener must not stop the run's bookkeeping
                import logging

                logging.getLogger(__name__).exception("training listener failed")
        return event.terminal

    async def _reap(self, followed: _Followed, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self._exit_status(followed) is None and time.monotonic() < deadline:
            await asyncio.sleep(self.poll_interval)

    async def _record_failure(self, followed: _Followed, code: int) -> None:
        """The worker died without a final event: append a "failed" event with its log tail."""
        run_dir = run_folder(self.project, followed.run.name)
        if code == -1000:
            message = "The training worker ended without finishing (its exit status is unknown)."
        elif code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
            message = f"The training worker was killed by {name}."
        else:
            message = f"The training worker exited with status {code} without finishing."
        # SIGTERM before the worker installed its handler ends it at once: still the stop that was asked for.
        if followed.killed_by_stop or (followed.stop_requested and code == -signal.SIGTERM):
            checkpoint = last_checkpoint(run_dir)
            kept = (f"the checkpoint of iteration {checkpoint[0]} is kept." if checkpoint
                    else NOTHING_TO_RESUME[0].lower() + NOTHING_TO_RESUME[1:])
            writer = ProgressWriter(run_dir / "progress.jsonl")
            try:
                writer.emit("stopped", iteration=checkpoint[0] if checkpoint else 0, forced=True,
                            adapter_path=str(run_dir / ADAPTERS_DIR), checkpoint=checkpoint is not None,
                            message=(f"Stopped with SIGKILL after the grace period; {kept}" if followed.killed_by_stop
                                     else f"Stopped while the worker was starting; {kept}"))
            finally:
                writer.close()
            await self._drain(followed)
            return
        if code == -signal.SIGKILL or code == -1000:
            suggestion = ("If nobody killed it, the system probably ran out of memory. " + OOM_SUGGESTION
                          + " Resume continues from the last checkpoint.")
        else:
            suggestion = "Read the log below (and RUN_DIR/worker.log); resume continues from the last checkpoint."
        writer = ProgressWriter(run_dir / "progress.jsonl")
        try:
            writer.emit("failed", message=message, suggestion=suggestion, exit_code=code,
                        log_tail=log_tail(run_dir), iteration=followed.run.iteration)
        finally:
            writer.close()
        await self._drain(followed)

    def _eta(self, followed: _Followed) -> Optional[float]:
        samples = followed.rate_samples
        run = followed.run
        if len(samples) < 2 or run.status not in ACTIVE_STATES:
            return 0.0 if run.status == "done" else None
        (t0, i0), (t1, i1) = samples[0], samples[-1]
        if t1 <= t0 or i1 <= i0:
            return None
        rate = (i1 - i0) / (t1 - t0)
        return max(0.0, (run.total_iterations - run.iteration) / rate)



def _last_event_time(progress: Path) -> Optional[float]:
    events = ProgressReader(progress).read_new()
    return events[-1].time if events else None


# Re-exported: callers import the run operations from here (`runs`, `process` are the implementation).
__all__ = ["ACTIVE_STATES", "Listener", "RunNotFound", "RunStateError", "RunUpdate", "TrainingRunner",
           "apply_event", "create_run", "find_run", "last_checkpoint", "log_tail", "read_pid", "refresh_run",
           "run_folder", "stop_worker_sync", "worker_alive"]
