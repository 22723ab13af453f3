"""One logical change is one journal line: transactions, bulk updates, read-only scans."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from store import Database, Decision, Example, Job
from store.journal import JOURNAL_NAME


def _lines(path: Path) -> int:
    return (path / JOURNAL_NAME).read_bytes().count(b"\n")


def test_a_transaction_across_tables_is_one_line_and_reads_its_own_writes(tmp_path: Path) -> None:
    with Database(tmp_path) as db:
        example = db.examples.add(Example(job_id=1))
        before = _lines(tmp_path)
        with db.transaction():
            decision = db.decisions.add(Decision(example_id=example.id, action="accept"))
            changed = db.examples.update(example.id, status="accepted")
            assert changed.status == "accepted"  # the block sees its own changes
            assert db.decisions.get(decision.id).action == "accept"
        assert _lines(tmp_path) == before + 1
    with Database(tmp_path) as db:
        assert db.examples.get(example.id).status == "accepted"
        assert [d.action for d in db.decisions.for_example(example.id)] == ["accept"]


def test_a_block_that_raises_writes_and_changes_nothing(tmp_path: Path) -> None:
    with Database(tmp_path) as db:
        example = db.examples.add(Example(job_id=1))
        size = (tmp_path / JOURNAL_NAME).stat().st_size
        with pytest.raises(RuntimeError):
            with db.transaction():
                db.decisions.add(Decision(example_id=example.id, action="reject"))
                db.examples.update(example.id, status="rejected")
                raise RuntimeError("reviewer changed their mind")
        assert (tmp_path / JOURNAL_NAME).stat().st_size == size
        assert db.examples.get(example.id).status == "pending"
        assert len(db.decisions) == 0
        later = db.decisions.add(Decision(example_id=example.id, action="skip"))
    with Database(tmp_path) as db:
        assert [d.id for d in db.decisions.all()] == [later.id]


def test_other_threads_see_nothing_until_commit(tmp_path: Path) -> None:
    with Database(tmp_path) as db:
        example = db.examples.add(Example(job_id=1))
        inside, release = threading.Event(), threading.Event()
        seen: list[tuple[str, int]] = []

        def writer() -> None:
            with db.transaction():
                db.decisions.add(Decision(example_id=example.id, action="accept"))
                db.examples.update(example.id, status="accepted")
                inside.set()
                release.wait(5)

        thread = threading.Thread(target=writer)
        thread.start()
        assert inside.wait(5)
        seen.append((db.examples.get(example.id).status, len(db.decisions)))
        release.set()
        thread.join(5)
        seen.append((db.examples.get(example.id).status, len(db.decisions)))
        assert seen == [("pending", 0), ("accepted", 1)]


def test_a_kill_inside_the_transaction_line_leaves_none_of_it(tmp_path: Path) -> None:
    path = tmp_path / "db"
    with Database(path) as db:
        example = db.examples.add(Example(job_id=1))
        good = (path / JOURNAL_NAME).stat().st_size
        with db.transaction():
            db.decisions.add(Decision(example_id=example.id, action="accept"))
            db.examples.update(example.id, status="accepted")
        full = (path / JOURNAL_NAME).read_bytes()
    # Cut inside the line: none of it.  Cut just before its newline: the line is whole and its
    # checksum proves it, so all of it.
    for cut, wanted in ((good + 1, ("pending", 0)), ((good + len(full)) // 2, ("pending", 0)),
                        (len(full) - 2, ("pending", 0)), (len(full) - 1, ("accepted", 1))):
        copy = tmp_path / f"cut{cut}"
        shutil.copytree(path, copy)
        (copy / JOURNAL_NAME).write_bytes(full[:cut])
        with Database(copy) as db:
            assert (db.examples.get(example.id).status, len(db.decisions)) == wanted


def test_nested_blocks_join_the_outer_one(tmp_path: Path) -> None:
    with Database(tmp_path) as db:
        before = _lines(tmp_path)
        with db.transaction():
            db.jobs.add(Job(passage_id=1))
            with db.transaction():
                db.jobs.add(Job(passage_id=2))
            db.jobs.add(Job(passage_id=3))
        assert _lines(tmp_path) == before + 1
        assert [j.passage_id for j in db.jobs.all()] == [1, 2, 3]


def test_update_many_is_one_line_and_skips_missing_ids(tmp_path: Path) -> None:
    with Database(tmp_path) as db:
        jobs = db.jobs.add_many([Job(passage_id=i, status="failed") for i in range(5)])
        before = _lines(tmp_path)
        changed = db.jobs.update_many([j.id for j in jobs[:3]] + [999], status="pending", last_error="")
        assert changed == [j.id for j in jobs[:3]]
        assert _lines(tmp_path) == before + 1
        assert db.jobs.update_many([998]) == []
        assert _lines(tmp_path) == before + 1
        retried = db.jobs.update_where(lambda d: d.get("status") == "failed", status="pending")
        assert retried == [j.id for j in jobs[3:]]
        assert _lines(tmp_path) == before + 2
    with Database(tmp_path) as db:
        assert {j.status for j in db.jobs.all()} == {"pending"}


def test_scan_and_view_are_read_only(tmp_path: Path) -> None:
    with Database(tmp_path) as db:
        db.jobs.add_many([Job(passage_id=i, status="done" if i % 2 else "pending") for i in range(6)])
        done = [(job_id, doc["passage_id"]) for job_id, doc in db.jobs.scan(lambda d: d["status"] == "done")]
        assert done == [(2, 1), (4, 3), (6, 5)]
        view = db.jobs.view(2)
        assert view is not None and view["status"] == "done"
        with pytest.raises(TypeError):
            view["status"] = "pending"  # type: ignore[index]
        assert db.jobs.view(99) is None
        assert len(list(db.jobs.scan())) == 6
