"""The project database: the journal folder, its schema version, and one repository per aggregate."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, ContextManager, Union

from store.books import BookRepository
from store.comparisons import Answer, Comparison, ComparisonRepository, PairVerdict
from store.decisions import DecisionRepository
from store.examples import ExampleRepository
from store.finder import DismissalRepository, TeacherScoring, TeacherScoringRepository
from store.jobs import JobRepository
from store.errors import StoreCorruptError
from store.journal import JournalDB, StoreError
from store.passages import PassageRepository
from store.records import Book, Decision, Example, Job, Passage, Record, Run, SplitAssignment, TemplateVersion
from store.runs import RunRepository
from store.splits import SplitLedgerRepository
from store.templates import TemplateVersionRepository

SCHEMA_VERSION = 1
RECORD_CLASSES: tuple[type[Record], ...] = (Book, Passage, TemplateVersion, Job, Example, Decision, Run,
                                            Answer, Comparison, PairVerdict, TeacherScoring, SplitAssignment)

# Migration n takes a database at schema n-1 to schema n.  Each runs once, in order,
# and the version is recorded after it (so a crash mid-way reruns an idempotent step).
MIGRATIONS: dict[int, Callable[[JournalDB], None]] = {
    1: lambda db: None,  # the first schema: nothing to change
}


class SchemaTooNewError(StoreError):
    """The database was written by a newer Interiority."""


class Database:
    """All of a project's records.  Open once per process; `close()` releases the lock.

    `read_only=True` takes no lock, so it opens beside the studio: it reads the state as
    of the open, never writes, compacts or migrates, and refuses any change with one sentence.
    """

    def __init__(self, path: Union[str, Path], read_only: bool = False, **storage_kwargs: Any) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self.db = JournalDB(self.path, read_only=read_only, **storage_kwargs)
        try:
            self._check_documents()
            if read_only:
                self._check_readable_schema()
            else:
                self._migrate()
        except BaseException:
            self.db.close()
            raise
        self.books = BookRepository(self.db)
        self.passages = PassageRepository(self.db)
        self.templates = TemplateVersionRepository(self.db)
        self.jobs = JobRepository(self.db)
        self.examples = ExampleRepository(self.db)
        self.decisions = DecisionRepository(self.db)
        self.runs = RunRepository(self.db)
        self.dismissals = DismissalRepository(self.db)
        self.comparisons = ComparisonRepository(self.db)  # evaluation: answers, pairings, verdicts
        self.ratings = TeacherScoringRepository(self.db)  # the finder's paragraph ratings by a teacher
        self.split_ledger = SplitLedgerRepository(self.db)  # the split each passage or book first got in a build

    def _check_documents(self) -> None:
        """Refuse, with one sentence, documents that parse but cannot be records (wrong JSON types)."""
        for record_class in RECORD_CLASSES:
            table = self.db.table(record_class.table)
            for key, doc in table._read_table().items():
                problem = record_class.doc_problem(doc)
                if problem:
                    raise StoreCorruptError(self.path, f"{record_class.table} record {key}: {problem}")

    def _stored_version(self) -> int:
        doc = self.db.table("meta").get(doc_id=1)
        if not doc:
            return 0
        version = doc.get("schema_version", 0)
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise StoreCorruptError(self.path, f"the schema version is {str(version)[:20]!r}, not a whole number")
        return version

    def _check_readable_schema(self) -> None:
        """Read-only opens cannot migrate: refuse a schema they would misread, with the fix."""
        version = self._stored_version()
        if version > SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"The database at {self.path} has schema {version}, newer than this Interiority "
                f"understands ({SCHEMA_VERSION}). Upgrade Interiority to open it."
            )
        has_records = any(len(self.db.table(c.table)._read_table()) for c in RECORD_CLASSES)
        if version < SCHEMA_VERSION and has_records:
            raise StoreError(
                f"The database at {self.path} has schema {version} and needs an upgrade that a read-only "
                f"command cannot make; open the project once in the studio (or run a command that changes "
                f"it) and try again."
            )

    def _migrate(self) -> None:
        meta = self.db.table("meta")
        version = self._stored_version()
        has_meta = meta.get(doc_id=1) is not None
        if version > SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"The database at {self.path} has schema {version}, newer than this Interiority "
                f"understands ({SCHEMA_VERSION}). Upgrade Interiority to open it."
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[target](self.db)
            if not has_meta:
                meta.insert({"schema_version": target})
                has_meta = True
            else:
                meta.update({"schema_version": target}, doc_ids=[1])

    @property
    def schema_version(self) -> int:
        return self._stored_version()

    def teacher_spent(self, teacher: str) -> float:
        """The project's lifetime spend on `teacher`: generation and backfill jobs, judging, paragraph ratings.

        WHY one sum: the budget cap is per teacher over everything the project asks of it, so the queue,
        the judge and the finder's ratings each start from this figure, and none can spend what the others
        already did (worst cases of requests still in flight included).
        """
        return (self.jobs.spent(teacher) + self.comparisons.verdicts.teacher_spent(teacher)
                + self.ratings.spent(teacher))

    def transaction(self) -> ContextManager[None]:
        """`with db.transaction():` -- changes to any records in the block are one journal line.

        Readers (other threads, a reopen after a kill) see all of them or none.  Use it for
        every logical change that touches more than one document, e.g. a decision event and
        its example's cached status.
        """
        return self.db.transaction()

    def take_warnings(self) -> list[str]:
        """Sentences about trouble that did not fail the change that met it, then forget them.

        Why: a compaction that fails (disk full) after a change was made durable must not
        turn that change into an error exit -- a script would retry and store it twice.
        Callers show these after reporting success.
        """
        warnings = list(self.db.journal.warnings)
        self.db.journal.warnings.clear()
        return warnings

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
