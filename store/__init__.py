"""Persistence on TinyDB: a crash-safe journal storage, typed records, one repository per aggregate.

The rule for documents: outside `store/`, never touch `.table` or `_read_table` (TinyDB tables and
raw documents); use repository methods.  Records go in and out as the dataclasses of
`store.records`.  For hot paths, `Repository.scan(predicate)` / `view(id)` give read-only views
without building records; `update_many(ids, **fields)` / `update_where(predicate, **fields)` change
many records in one journal line; `with db.transaction():` makes any multi-record change (several
documents, several tables) one journal line, all or nothing for readers and for a kill.  If an
aggregate lacks what a call site needs, add a method to its `store/<aggregate>.py`.
"""

from store.database import Database, SCHEMA_VERSION
from store.journal import StoreCorruptError, StoreError, StoreLockedError, StoreWriteError
from store.records import (Book, Decision, DecisionAction, Example, ExampleStatus, Job, JobStatus, Passage, Run,
                           RunStatus, TemplateVersion, Verdict)
from store.repository import NotFoundError

__all__ = [
    "Database", "SCHEMA_VERSION", "StoreError", "StoreCorruptError", "StoreLockedError", "StoreWriteError",
    "Book", "Decision", "Example", "Job", "Passage", "Run", "TemplateVersion", "NotFoundError",
    "DecisionAction", "ExampleStatus", "JobStatus", "RunStatus", "Verdict",
]
