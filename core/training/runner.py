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
import re
import signal
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional, Union

from core.errors import UserError
from core.training.config import TrainingConfig, count_lines
from core.training.progress import ProgressEvent, ProgressReader, ProgressWriter, read_all
from core.training.worker import ADAPTERS_DIR, OOM_SUGGESTION
from store.records import Run

RECENT_EVENTS = 30
CURVE_POINTS = 300
LOG_TAIL_LINES = 20
CHECKPOINT_RE = re.compile(r"^(\d{7})_adapters\.safetensors$")
REPO_ROOT = Path(__file__).resolve().parents[2]
ACTIVE_STATES = ("running", "stopping")


class RunNotFound(UserError):
    """No run with that name or id."""


class RunStateError(UserError):
    """The run is in a state that does not allow the action (e.g. resume a running run)."""


class DataNotFound(UserError):
    """The DATA argument names neither an export nor a folder with train.jsonl."""


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


# --- locating inputs and runs -------------------------------------------------------------------------

def resolve_data_dir(project: Any, data: Union[str, Path]) -> Path:
    """An export name (its `mlx-chat/` folder) or a folder holding train.jsonl."""
    candidates = []
    path = Path(data).expanduser()
    candidates.append(path)
    candidates.append(path / "mlx-chat")
    export = Path(project.exports) / str(data)
    candidates += [export / "mlx-chat", export]
    for candidate in candidates:
        if (candidate / "train.jsonl").is_file():
            return candidate.resolve()
    available = sorted(p.name for p in Path(project.exports).iterdir() if p.is_dir()) \
        if Path(project.exports).is_dir() else []
    hint = f" Exports here: {', '.join(available)}." if available else " There are no exports yet: build one first."
    raise DataNotFound(f"{data!r} is neither an export with mlx-chat/train.jsonl nor a folder with "
                       f"train.jsonl.{hint}")


def make_run_name(project: Any, label: str) -> str:
    """`<YYYYmmdd-HHMMSS>-<label>`, made unique within runs/."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", label).strip("-")[:40] or "run"
    base = f"{time.strftime('%Y%m%d-%H%M%S')}-{slug}"
    name, counter = base, 2
    while (Path(project.runs) / name).exists():
        name, counter = f"{base}-{counter}", counter + 1
    return name


def create_run(project: Any, db: Any, data: Union[str, Path], model_path: Union[str, Path],
               config: Optional[TrainingConfig] = None, name: Optional[str] = None) -> Run:
    """Write `runs/<name>/config.json` and add a Run record (status "created").

    `data` is an export name or a data folder; `config` holds the hyperparameters
    (its model_path/data_dir are filled in here).  Iterations from epochs are fixed now,
    from the train split's line count, so that a resumed run ends where it was meant to.
    """
    config = config or TrainingConfig(iters=100)
    data_dir = resolve_data_dir(project, data)
    model_dir = Path(model_path).expanduser()
    if not (model_dir / "config.json").is_file():
        raise UserError(f"{model_dir} is not an MLX model folder (no config.json); pick a folder made by "
                        f"`mlx_lm.convert` or downloaded from mlx-community.")
    config.model_path = str(model_dir.resolve())
    config.data_dir = str(data_dir)
    config.validate()
    config.total_iterations = config.total_iterations or config.resolve_iterations(count_lines(data_dir / "train.jsonl"))
    label = Path(data).name if data_dir.name != "mlx-chat" else data_dir.parent.name
    name = name or make_run_name(project, label)
    if db.runs.by_name(name) is not None:
        raise UserError(f"A run named {name!r} already exists; choose another name.")
    run_dir = Path(project.runs) / name
    run_dir.mkdir(parents=True, exist_ok=False)
    config.save(run_dir / "config.json")
    run = Run(name=name, build=label, base_model=config.model_path, config=config.to_dict(), status="created",
              run_dir=str(run_dir.resolve()), total_iterations=config.total_iterations)
    return db.runs.add(run)


def find_run(db: Any, name_or_id: Union[str, int]) -> Run:
    """A run by name, id, or "latest"."""
    key = str(name_or_id)
    run = db.runs.latest() if key == "latest" else db.runs.by_name(key)
    if run is None and key.isdigit():
        run = db.runs.find(int(key))
    if run is None:
        names = [r.name for r in db.runs.all()][-5:]
        hint = f" Recent runs: {', '.join(names)}." if names else " There are no runs yet."
        raise RunNotFound(f"No run named {key!r}; `interiority runs` lists them.{hint}")
    return run


def last_checkpoint(run_dir: Union[str, Path]) -> Optional[tuple[int, Path]]:
    """The highest-numbered checkpoint (iteration, path) in RUN_DIR/adapters, or None."""
    adapter_dir = Path(run_dir) / ADAPTERS_DIR
    best: Optional[tuple[int, Path]] = None
    if adapter_dir.is_dir():
        for path in adapter_dir.iterdir():
            match = CHECKPOINT_RE.match(path.name)
            if match and (best is None or int(match.group(1)) > best[0]):
                best = (int(match.group(1)), path)
    return best


def log_tail(run_dir: Union[str, Path], lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of RUN_DIR/worker.log (mlx-lm's output and any traceback)."""
    path = Path(run_dir) / "worker.log"
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 16384))
            text = handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)  # rich's colour codes
    return "\n".join(text.splitlines()[-lines:])


# --- the record as a summary of the progress file -----------------------------------------------------

def apply_event(run: Run, event: ProgressEvent) -> None:
    """Fold one progress event into the run's summary fields."""
    data = event.data
    kind = event.event
    if kind == "config":
        run.status = "running"
        run.total_iterations = int(data.get("total_iterations") or run.total_iterations)
        run.iteration = int(data.get("start_iteration") or 0)
        run.error = ""
    elif kind == "train":
        run.iteration = int(data["iteration"])
        run.last_train_loss = float(data["loss"])
        run.tokens_per_s = float(data.get("tokens_per_s") or 0.0)
        run.peak_memory_gb = max(run.peak_memory_gb, float(data.get("peak_memory_gb") or 0.0))
        _add_point(run, "train", run.iteration, run.last_train_loss)
    elif kind == "val":
        run.last_val_loss = float(data["val_loss"])
        _add_point(run, "val", int(data["iteration"]), run.last_val_loss)
    elif kind in ("stopped", "done"):
        run.status = kind
        run.iteration = int(data.get("iteration") or run.iteration)
    elif kind in ("error", "failed"):
        run.status = "failed"
        suggestion = data.get("suggestion") or ""
        run.error = f"{data.get('message', 'The worker failed.')} {suggestion}".strip()
    compact = {k: v for k, v in event.to_dict().items() if k not in ("settings", "traceback")}
    run.events = (run.events + [compact])[-RECENT_EVENTS:]


def _add_point(run: Run, curve: str, iteration: int, value: float) -> None:
    points = run.curves.setdefault(curve, [])
    # A resumed run replays iterations after its checkpoint: drop the stale tail first.
    while points and points[-1][0] >= iteration:
        points.pop()
    points.append([iteration, round(value, 5)])
    if len(points) > CURVE_POINTS:
        # Halve the older points, keep the latest exact: the chart keeps its shape at bounded size.
        run.curves[curve] = points[:-1:2] + [points[-1]]


def refresh_run(db: Any, run: Run) -> Run:
    """Rebuild the run's summary from its progress file (after a restart, or for `runs`)."""
    events = read_all(Path(run.run_dir) / "progress.jsonl")
    if not events:
        return run
    status_before = run.status
    run.events, run.curves, run.peak_memory_gb = [], {}, 0.0
    for event in events:
        apply_event(run, event)
    if status_before == "stopping" and run.status == "running":
        run.status = "stopping"
    return db.runs.save(run)


# --- the worker process ------------------------------------------------------------------------------

def read_pid(run_dir: Union[str, Path]) -> Optional[int]:
    try:
        return int((Path(run_dir) / "worker.pid").read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def worker_alive(pid: Optional[int], run_dir: Union[str, Path]) -> bool:
    """Whether `pid` is a live (not zombie) worker for this run (guards against pid reuse on Linux)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path(f"/proc/{pid}")
    if proc.exists():
        try:
            status = (proc / "status").read_text()
            if re.search(r"^State:\s+Z", status, re.M):
                return False
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            return "core.training.worker" in cmdline
        except OSError:
            return False
    return True


def signal_worker(pid: int, sig: int) -> None:
    """Signal the worker's whole session (it is its own process group leader)."""
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def stop_worker_sync(run_dir: Union[str, Path], grace_s: float = 10.0) -> str:
    """SIGTERM the run's worker, SIGKILL after `grace_s`: for the CLI's `stop` (no runner needed).

    Returns "stopped" (it exited in time), "killed" or "not running".
    """
    pid = read_pid(run_dir)
    if not worker_alive(pid, run_dir):
        return "not running"
    assert pid is not None
    signal_worker(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if not worker_alive(pid, run_dir):
            return "stopped"
        time.sleep(0.05)
    signal_worker(pid, signal.SIGKILL)
    return "killed"


@dataclass
class _Followed:
    """What the runner tracks for one run it follows."""

    run: Run
    reader: ProgressReader
    process: Optional[subprocess.Popen] = None
    pid: Optional[int] = None
    task: Optional[asyncio.Task] = None
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    rate_samples: deque = field(default_factory=lambda: deque(maxlen=12))
    session_started: float = field(default_factory=time.time)
    last_save: float = 0.0
    killed_by_stop: bool = False


class TrainingRunner:
    """Starts workers and follows their progress files, updating Run records and notifying listeners.

    Listeners are callables (sync or async) taking a RunUpdate; they run on the
    runner's event loop.  `close()` stops following; workers keep running.
    """

    def __init__(self, project: Any, db: Any, python: Optional[str] = None,
                 env: Optional[dict[str, str]] = None, poll_interval: float = 0.05,
                 grace_s: float = 10.0, save_interval: float = 1.0) -> None:
        self.project = project
        self.db = db
        settings_python = getattr(getattr(getattr(project, "settings", None), "training", None), "python", "")
        self.python = python or settings_python or sys.executable
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
    async def start(self, run: Run) -> Run:
        """Start the worker for a created (or resumable) run and follow it."""
        if run.name in self._followed and not self._followed[run.name].finished.is_set():
            raise RunStateError(f"Run {run.name} is already running; stop it first.")
        run_dir = Path(run.run_dir)
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
        followed.run.status = "stopping"
        self.db.runs.save(followed.run)
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
        run_dir = Path(run.run_dir)
        config = TrainingConfig.load(run_dir / "config.json")
        checkpoint = last_checkpoint(run_dir)
        if checkpoint is None:
            config.start_iteration, config.resume_adapter_file, config.trained_tokens_before = 0, None, 0
        else:
            iteration, path = checkpoint
            config.start_iteration = iteration
            config.resume_adapter_file = str(path)
            config.trained_tokens_before = _trained_tokens_at(run_dir, iteration)
        config.save(run_dir / "config.json")
        run.config = config.to_dict()
        return await self.start(run)

    def eta_seconds(self, run_name: str) -> Optional[float]:
        followed = self._followed.get(run_name)
        return self._eta(followed) if followed else None

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
        if event.event == "config":
            followed.session_started = event.time or received
            followed.rate_samples.clear()
        if event.event == "train":
            followed.rate_samples.append((event.time or received, int(event.data["iteration"])))
        if event.terminal or event.event != "train" or received - followed.last_save >= self.save_interval:
            self.db.runs.save(run)
            followed.last_save = received
        update = RunUpdate(run_name=run.name, event=event, status=run.status, iteration=run.iteration,
                           total_iterations=run.total_iterations, eta_s=self._eta(followed),
                           elapsed_s=received - followed.session_started, received=received)
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
        run_dir = Path(followed.run.run_dir)
        if code == -1000:
            message = "The training worker ended without finishing (its exit status is unknown)."
        elif code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
            message = f"The training worker was killed by {name}."
        else:
            message = f"The training worker exited with status {code} without finishing."
        if followed.killed_by_stop:
            checkpoint = last_checkpoint(run_dir)
            writer = ProgressWriter(run_dir / "progress.jsonl")
            try:
                writer.emit("stopped", iteration=checkpoint[0] if checkpoint else 0, forced=True,
                            adapter_path=str(run_dir / ADAPTERS_DIR),
                            message="Stopped with SIGKILL after the grace period; the last checkpoint is kept.")
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


def _trained_tokens_at(run_dir: Path, iteration: int) -> int:
    tokens = 0
    for event in read_all(run_dir / "progress.jsonl"):
        if event.event == "train" and int(event.data.get("iteration", 0)) <= iteration:
            tokens = int(event.data.get("trained_tokens") or 0)
    return tokens
