"""The worker process of a run, found by its pid file: is it alive, signal it, stop it.

WHY by pid file and /proc: a run outlives the studio that started it, so the process that stops it is
often not its parent; the pid file plus a check of the command line (a reused pid belongs to someone
else) is what every later process can rely on.
"""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path
from typing import Optional, Union


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
