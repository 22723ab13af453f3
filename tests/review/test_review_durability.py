"""A SIGKILL during review loses no decision that was shown as done."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from core.review import ReviewSession, fold
from store import Database
from store.journal import JOURNAL_NAME
from tests.review.synthetic import make_example

REPO = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent("""
    import sys
    from core.project import open_project
    from core.review import ReviewSession
    from store import Database

    project = open_project(sys.argv[1])
    project.settings.review.careful_reviews = 0
    db = Database(project.db_path)
    session = ReviewSession(db, project.settings, session_id="child")
    n = 0
    while True:
        n += 1
        if n % 5 == 0:
            result = session.undo()
        elif n % 3 == 0:
            result = session.reject("other")
        else:
            result = session.accept()
        if result.decision is not None:
            # Printed only after the call returned: the UI would show this decision as done now.
            print(result.decision.id, result.example_id, flush=True)
        if session.current_id() == session.order[-1]:
            session.goto(session.order[0])
""")


def test_sigkill_loses_no_shown_decision(project) -> None:
    with Database(project.db_path) as db:
        db.examples.add_many([make_example(f"answer number {i} " * 5) for i in range(50)])
    rng = random.Random(4)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    shown: dict[int, int] = {}
    for _round in range(3):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(project.root)], stdout=subprocess.PIPE,
                                 cwd=REPO, env=env, text=True)
        assert child.stdout is not None
        wanted = rng.randint(20, 120)
        got = 0
        deadline = time.monotonic() + 30
        while got < wanted and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            decision_id, example_id = map(int, line.split())
            shown[decision_id] = example_id
            got += 1
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert got == wanted, "the child stopped before making its decisions"
    with Database(project.db_path) as db:
        stored = {d.id: d for d in db.decisions}
        missing = [d for d in shown if d not in stored]
        assert not missing
        assert all(stored[d].example_id == e for d, e in shown.items())
        by_example: dict[int, list] = {}
        for decision in sorted(stored.values(), key=lambda d: d.id):
            by_example.setdefault(decision.example_id, []).append(decision)
        # Every reader, not only a new Review screen, sees a status that agrees with the log: a decision and
        # its cached status are one journal change, so a kill cannot separate them.
        journal = Path(project.db_path) / JOURNAL_NAME
        writes_before = journal.stat().st_size
        for example in db.examples:
            assert (example.status, example.edited_text) == fold(by_example.get(example.id, []))
        session = ReviewSession(db, project.settings)
        assert journal.stat().st_size == writes_before  # the session found nothing to repair
        assert {i: e.status for i, e in session.entries.items()} == {e.id: e.status for e in db.examples}
