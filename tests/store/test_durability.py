"""SIGKILL at random moments loses nothing that was acknowledged, and the database opens."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from store.journal import JournalDB

ROOT = Path(__file__).resolve().parents[2]


def test_sigkill_during_writes_loses_nothing_acknowledged(tmp_path: Path) -> None:
    rng = random.Random(7)
    acknowledged: dict[int, int] = {}
    start = 0
    for _round in range(6):
        child = subprocess.Popen([sys.executable, "-m", "tests.store.crash_writer", str(tmp_path), str(start)],
                                 cwd=ROOT, stdout=subprocess.PIPE, text=True)
        time.sleep(0.4 + rng.random() * 0.6)
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate()
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2:
                acknowledged[int(parts[0])] = int(parts[1])
        db = JournalDB(tmp_path)
        table = db.table("examples")
        missing = [doc_id for doc_id in acknowledged if table.get(doc_id=doc_id) is None]
        assert missing == [], f"round {_round}: lost {len(missing)} acknowledged records"
        start = max(d["n"] for d in table.all()) + 1 if len(table) else 0
        db.close()
    assert len(acknowledged) > 50
