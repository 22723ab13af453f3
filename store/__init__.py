"""Persistence on TinyDB: a crash-safe journal storage, typed records, one repository per aggregate."""

from store.database import Database, SCHEMA_VERSION
from store.journal import StoreCorruptError, StoreError, StoreLockedError, StoreWriteError
from store.records import Book, Decision, Example, Job, Passage, Run, TemplateVersion
from store.repository import NotFoundError

__all__ = [
    "Database", "SCHEMA_VERSION", "StoreError", "StoreCorruptError", "StoreLockedError", "StoreWriteError",
    "Book", "Decision", "Example", "Job", "Passage", "Run", "TemplateVersion", "NotFoundError",
]
