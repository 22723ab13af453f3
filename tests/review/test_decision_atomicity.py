"""A decision and the example status it implies are one journal change (issue 13, item 3).

`decide 5 undo` killed between the decision event and the example's cached status used to leave
`examples --status accepted` listing 5, `export` shipping it and `decide 5 undo` refusing.  Here a child
process kills itself exactly there (CLI and studio paths), and a property test cuts the journal at every
kind of point after random accept / reject / edit / skip / undo sequences: every reader sees the state
before a decision or after it, and the stored status always equals the fold of the log.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Optional

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from core.review import ReviewError, ReviewSession, effective_events, fold, record_decision
from core.settings import Settings
from store import Database
from store.journal import JOURNAL_NAME
from tests.review.synthetic import make_example

REPO = Path(__file__).resolve().parents[2]

State = dict[int, tuple[str, str]]


def stored_state(db: Database) -> State:
    return {head.id: (head.status, head.edited_text) for head in db.examples.heads()}


def assert_consistent(db: Database, settings: Settings) -> None:
    """What every reader sees agrees with the log: lists, exports' source, and whether undo is possible."""
    for head in db.examples.heads():
        events = db.decisions.for_example(head.id)
        assert (head.status, head.edited_text) == fold(events), f"example {head.id}"
    accepted = {e.id for e in db.examples.listing(status="accepted")}
    assert accepted == {h.id for h in db.examples.heads() if fold(db.decisions.for_example(h.id))[0] == "accepted"}
    for head in db.examples.heads():
        if not effective_events(db.decisions.for_example(head.id)):
            with pytest.raises(ReviewError):
                record_decision(db, settings, head.id, "undo")


CHILD = textwrap.dedent("""
    import os, signal, sys
    from core.project import open_project
    from core.review import ReviewSession, record_decision
    from store import Database
    from store.journal import JournalStorage

    project = open_project(sys.argv[1])
    path, kill_at = sys.argv[2], int(sys.argv[3])
    settings = project.settings
    settings.review.careful_reviews = 0
    reason = settings.review.reject_reasons[0]
    db = Database(project.db_path)
    a, b, c = sorted(head.id for head in db.examples.heads())[:3]
    plan = [("accept", a, ""), ("edit", b, "my own words"), ("reject", c, reason), ("undo", a, ""),
            ("accept", b, ""), ("undo", b, "")]
    step = -1
    original = JournalStorage.append

    def append(self, table, put=None, delete=(), clear=False):
        # The cached fold's write of the step to kill: the decision event before it is already made.
        if step == kill_at and table == "examples" and put:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(self, table, put, delete, clear)

    JournalStorage.append = append
    session = ReviewSession(db, settings, session_id="child") if path == "studio" else None
    for step, (action, example_id, extra) in enumerate(plan):
        if session is None:
            record_decision(db, settings, example_id, action, reason=extra if action == "reject" else "",
                            edited_text=extra if action == "edit" else "")
        elif action == "accept":
            session.accept(example_id=example_id, advance=False)
        elif action == "edit":
            session.edit(extra, example_id=example_id)
        elif action == "reject":
            session.reject(extra, example_id=example_id, advance=False)
        else:
            session.undo(example_id=example_id)
        print(step, flush=True)
""")


@pytest.mark.parametrize("path,kill_at", [("cli", 3), ("studio", 3), ("cli", 5), ("studio", 1)])
def test_kill_between_event_and_status_leaves_the_state_before(project, path: str, kill_at: int) -> None:
    with Database(project.db_path) as db:
        db.examples.add_many([make_example(f"answer {i} " * 8) for i in range(3)])
    env = dict(os.environ, PYTHONPATH=str(REPO))
    child = subprocess.run([sys.executable, "-c", CHILD, str(project.root), path, str(kill_at)],
                           capture_output=True, text=True, cwd=REPO, env=env, timeout=60)
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert child.stdout.split() == [str(i) for i in range(kill_at)]  # acknowledged: every step before the kill
    with Database(project.db_path) as db:
        assert len(db.decisions) == kill_at  # the killed step left nothing, not half of itself
        assert_consistent(db, project.settings)


# -- the property: any sequence, any cut ----------------------------------------------------------------

OPS = st.lists(st.tuples(st.sampled_from(("accept", "reject", "edit", "skip", "undo")), st.integers(0, 2),
                         st.sampled_from(("cli", "studio")), st.sampled_from(("a", "b", "my words"))),
               max_size=14)


def _apply(db: Database, settings: Settings, session: Optional[ReviewSession], action: str, example_id: int,
           text: str) -> None:
    reason = settings.review.reject_reasons[0]
    if session is None:
        try:
            record_decision(db, settings, example_id, action, reason=reason if action == "reject" else "",
                            edited_text=text if action == "edit" else "")
        except ReviewError:
            assert action == "undo" and not effective_events(db.decisions.for_example(example_id))
        return
    if action == "accept":
        session.accept(example_id=example_id, advance=False)
    elif action == "reject":
        session.reject(reason, example_id=example_id, advance=False)
    elif action == "edit":
        session.edit(text, example_id=example_id)
    elif action == "skip":
        session.skip(example_id=example_id, advance=False)
    else:
        session.undo(example_id=example_id, show=False)


@hsettings(max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS, cut=st.floats(0.0, 1.0), compact=st.booleans())
def test_stored_status_is_the_fold_of_the_log_after_any_sequence_and_any_cut(ops, cut: float,
                                                                             compact: bool) -> None:
    settings = Settings()
    settings.review.careful_reviews = 0
    storage = {"compact_min_bytes": 1} if compact else {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "db"
        db = Database(folder, **storage)
        ids = [e.id for e in db.examples.add_many([make_example(f"answer {i} " * 6) for i in range(3)])]
        journal = folder / JOURNAL_NAME
        setup = journal.read_bytes()  # the examples: a cut never reaches back into them
        states = [stored_state(db)]
        session: Optional[ReviewSession] = None
        for action, which, path, text in ops:
            if path == "studio" and session is None:
                session = ReviewSession(db, settings, session_id="s")  # a studio opened after the CLI's work
            elif path == "cli":
                session = None
            _apply(db, settings, session, action, ids[which], text)
            for example_id in ids:
                assert (db.examples.get(example_id).status, db.examples.get(example_id).edited_text) == \
                    fold(db.decisions.for_example(example_id))
            if session is not None:
                assert {i: session.entries[i].status for i in ids} == {i: s for i, (s, _e) in stored_state(db).items()}
            states.append(stored_state(db))
        db.close()

        data = journal.read_bytes()
        header = data[:data.index(b"\n") + 1]
        base = len(setup) if setup.startswith(header) else len(header)  # else compacted since the setup
        if len(data) > base:  # a kill inside a write: the journal ends part-way into a line
            journal.write_bytes(data[:base + int(cut * (len(data) - base))])
        with Database(folder) as reopened:
            assert stored_state(reopened) in states  # the state before or after some decision, never half
            assert_consistent(reopened, settings)


def test_a_half_decision_left_by_an_earlier_version_is_repaired_in_one_line(project) -> None:
    """Databases written before decisions were one line may hold an event whose status write was lost."""
    from store.records import Decision

    settings = project.settings
    with Database(project.db_path) as db:
        ids = [e.id for e in db.examples.add_many([make_example(f"answer {i} " * 6) for i in range(3)])]
        db.decisions.add(Decision(example_id=ids[0], action="accept"))  # the old first write, then the kill
        db.decisions.add(Decision(example_id=ids[2], action="edit", edited_text="mine"))
        journal = Path(project.db_path) / JOURNAL_NAME
        lines_before = journal.read_bytes().count(b"\n")
        session = ReviewSession(db, settings)
        assert journal.read_bytes().count(b"\n") == lines_before + 1  # both repairs in one journal line
        assert session.entries[ids[0]].status == "accepted"
        assert_consistent(db, settings)


def test_decide_with_an_edit_is_one_change(project, tmp_path, capsys) -> None:
    """`decide N reject --edit-file F` with a bad reason stores neither the edit nor the verdict."""
    from core.cli import main

    (example_id,) = [e.id for e in _add_examples(project, 1)]
    edit = tmp_path / "edit.txt"
    edit.write_text("my own words", encoding="utf-8")
    root = ["--project", str(project.root)]
    assert main(root + ["decide", str(example_id), "reject", "--reason", "bogus", "--edit-file", str(edit)]) == 2
    with Database(project.db_path) as db:
        assert len(db.decisions) == 0 and db.examples.get(example_id).edited_text == ""
    assert main(root + ["decide", str(example_id), "accept", "--edit-file", str(edit)]) == 0
    with Database(project.db_path) as db:
        assert [d.action for d in db.decisions.in_order()] == ["edit", "accept"]
        assert stored_state(db)[example_id] == ("accepted", "my own words")


def _add_examples(project, count: int) -> list:
    with Database(project.db_path) as db:
        return db.examples.add_many([make_example(f"answer {i} " * 6) for i in range(count)])
