"""Typed records at the `store/` boundary.

Every record is a dataclass with an `id` (the TinyDB document id, 0 until it is
stored) and `created`/`updated` times.  `to_doc` / `from_doc` convert to the
JSON documents kept in the journal; unknown keys in a document are ignored so
that an older program can read a newer database's documents it does not know.
"""

from __future__ import annotations

import dataclasses
import time
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Mapping, Optional, TypeVar, Union, get_args, get_origin

R = TypeVar("R", bound="Record")

# The closed sets of values, as types (mypy checks every assignment) and as tuples (for menus
# and validation); the tuples are derived so the two cannot drift.
Verdict = Literal["valuable", "not", "unsure"]
JobStatus = Literal["pending", "running", "done", "failed", "cancelled"]
DecisionAction = Literal["accept", "reject", "edit", "skip", "undo"]
ExampleStatus = Literal["pending", "accepted", "rejected", "skipped"]
RunStatus = Literal["created", "running", "stopping", "stopped", "done", "failed"]
# What a template's student conversation looks like (see core/student.py): one natural user turn and the
# answer ("single"), a user message and a reply with inner texture ("conversation"), or 2-4 user turns in
# which later answers return to earlier thoughts ("continuity").
StudentShape = Literal["single", "conversation", "continuity"]
JobKind = Literal["generate", "backfill"]
Unset = Literal[""]  # a field not filled in yet (a passage not judged, a blank decision)
SplitName = Literal["train", "valid", "test"]  # a dataset build's splits
SplitGrouping = Literal["passage", "book"]  # what a build keeps whole inside one split

VERDICTS: tuple[Verdict, ...] = get_args(Verdict)
JOB_STATES: tuple[JobStatus, ...] = get_args(JobStatus)
DECISION_ACTIONS: tuple[DecisionAction, ...] = get_args(DecisionAction)
EXAMPLE_STATES: tuple[ExampleStatus, ...] = get_args(ExampleStatus)
RUN_STATES: tuple[RunStatus, ...] = get_args(RunStatus)
STUDENT_SHAPES: tuple[StudentShape, ...] = get_args(StudentShape)
JOB_KINDS: tuple[JobKind, ...] = get_args(JobKind)
SPLIT_NAMES: tuple[SplitName, ...] = get_args(SplitName)
SPLIT_GROUPINGS: tuple[SplitGrouping, ...] = get_args(SplitGrouping)


def now() -> float:
    return time.time()


@dataclass
class Record:
    """Base of all stored records."""

    table: ClassVar[str] = ""
    id: int = 0
    created: float = field(default_factory=now)
    updated: float = field(default_factory=now)

    def to_doc(self) -> dict[str, Any]:
        doc = dataclasses.asdict(self)
        doc.pop("id", None)
        return doc

    @classmethod
    def from_doc(cls: type[R], doc: Mapping[str, Any], doc_id: int) -> R:
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: _copy(v) for k, v in doc.items() if k in names and k != "id"}
        return cls(id=int(doc_id), **kwargs)

    @classmethod
    def doc_problem(cls, doc: Mapping[str, Any]) -> Optional[str]:
        """Why a stored document cannot be this record (a field of the wrong JSON type), or None.

        Why: a document edited by hand or damaged in a way that still parses (`"attempts":
        "lots"`) would otherwise become a traceback far away from the store.  Only JSON types
        are checked, not the values of Literal fields, so a newer status an older program
        does not know still opens (the schema version guards real format changes).
        """
        kinds_of = _field_kinds(cls)
        for name, value in doc.items():
            kinds = kinds_of.get(name)
            # Exact types: parsed JSON has no subclasses, and `True` must not pass for an int.
            if kinds is not None and type(value) not in kinds:
                wanted = " or ".join(sorted({_JSON_NAMES.get(k, k.__name__) for k in kinds}))
                return f"field {name!r} is {_JSON_NAMES.get(type(value), type(value).__name__)}, not {wanted}"
        return None


_JSON_NAMES: dict[type, str] = {str: "text", int: "a whole number", float: "a number", bool: "true/false",
                                 list: "a list", dict: "an object", type(None): "null"}
_KINDS_CACHE: dict[type, dict[str, frozenset[type]]] = {}


def _kinds(hint: Any) -> Optional[tuple[type, ...]]:
    """The JSON-level Python types a field's annotation allows (None: anything)."""
    origin = get_origin(hint)
    if hint is Any:
        return None
    if origin is Literal:
        return tuple({type(arg) for arg in get_args(hint)})
    if origin in (Union, types.UnionType):
        found: list[type] = []
        for arg in get_args(hint):
            kinds = _kinds(arg)
            if kinds is None:
                return None
            found.extend(kinds)
        return tuple(dict.fromkeys(found))
    if hint is type(None):
        return (type(None),)
    if hint is float:
        return (int, float)
    base = origin or hint
    return (base,) if base in (int, str, bool, list, dict) else None


def _field_kinds(cls: type) -> dict[str, frozenset[type]]:
    cached = _KINDS_CACHE.get(cls)
    if cached is None:
        hints = typing.get_type_hints(cls)
        cached = {}
        for f in dataclasses.fields(cls):
            kinds = _kinds(hints[f.name])
            if kinds is not None and f.name != "id":
                cached[f.name] = frozenset(kinds)
        _KINDS_CACHE[cls] = cached
    return cached


def _copy(value: Any) -> Any:
    # Documents live in the store's memory: never hand out its lists or dicts.
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


@dataclass
class Book(Record):
    """An imported book; its normalized text lives in `library/<text_file>`."""

    table: ClassVar[str] = "books"
    title: str = ""
    author: str = ""
    group: str = ""  # source group for dataset mixes; defaults to the author
    source_kind: str = "text"  # text | gutenberg | epub
    source_path: str = ""
    gutenberg_number: Optional[int] = None
    sha256: str = ""  # of the original file's bytes
    text_file: str = ""  # relative to the project's library/
    index_file: str = ""  # paragraph index (JSON) relative to library/
    chars: int = 0
    paragraph_count: int = 0
    chapter_count: int = 0
    part_count: int = 0
    encoding: str = "utf-8"
    position: list[int] = field(default_factory=lambda: [0, 0])  # (paragraph, char) reading position


@dataclass
class Passage(Record):
    """A highlighted span `[start, end)` of a book's normalized text."""

    table: ClassVar[str] = "passages"
    book_id: int = 0
    start: int = 0
    end: int = 0
    text: str = ""
    phenomenology: str = ""
    tags: list[str] = field(default_factory=list)
    verdict: Union[Verdict, Unset] = ""  # "" (not judged) or one of VERDICTS
    note: str = ""
    template_ids: list[str] = field(default_factory=list)


@dataclass
class TemplateVersion(Record):
    """One content version of an elicitation template, kept so every example can show its source."""

    table: ClassVar[str] = "templates"
    template_id: str = ""
    version: str = ""  # content hash
    name: str = ""
    content: str = ""  # the whole template file as it was


@dataclass
class Job(Record):
    """One passage x template x sample request to a teacher."""

    table: ClassVar[str] = "jobs"
    kind: JobKind = "generate"  # "backfill": ask for the user turn an existing example's answer responds to
    passage_id: int = 0
    template_id: str = ""
    template_version: str = ""
    sample: int = 0
    teacher: str = ""  # e.g. "anthropic:claude-sonnet-4-6" or "mlx:/path/to/model"
    status: JobStatus = "pending"
    attempts: int = 0
    last_error: str = ""
    batch_id: str = ""
    idempotency_key: str = ""
    cost_usd: float = 0.0
    usage: dict[str, int] = field(default_factory=dict)
    example_id: int = 0  # the example made (generate) or completed (backfill)
    started_at: float = 0.0
    finished_at: float = 0.0


@dataclass
class Example(Record):
    """A generated training example: the teacher's request (provenance) and the student conversation.

    Two conversations live here and must never be confused.  `messages` is the elicitation: the
    teacher's system prompt, the template's task with the source passage, and the teacher's raw answer.
    It is provenance only.  `student` is what the tuned model should learn: natural user turn(s) and
    answers with inner life, alternating user/assistant and ending with the assistant (see
    core/student.py).  Builds export only `final_student`; an example without a student conversation
    (made before student conversations existed) is excluded until a backfill gives it one.
    """

    table: ClassVar[str] = "examples"
    job_id: int = 0
    passage_id: int = 0
    book_id: int = 0
    template_id: str = ""
    template_version: str = ""
    teacher: str = ""
    messages: list[dict[str, str]] = field(default_factory=list)  # the teacher request + raw answer (provenance)
    student: list[dict[str, str]] = field(default_factory=list)  # [{"role": "user"|"assistant", "content"}]
    student_shape: Union[StudentShape, Unset] = ""
    request_hash: str = ""  # sha256 of the teacher request (system + user), for provenance in the card
    usage: dict[str, int] = field(default_factory=dict)  # input, output, cache_read, cache_write
    cost_usd: float = 0.0
    flags: list[dict[str, Any]] = field(default_factory=list)  # {"code": ..., "detail": ...}
    status: ExampleStatus = "pending"  # cached fold of decisions; the decisions table is the truth
    edited_text: str = ""  # cached fold (legacy): the reviewer's version of the last answer
    edited_student: list[dict[str, str]] = field(default_factory=list)  # cached fold: the reviewer's turns

    @property
    def completion(self) -> str:
        """The original final answer: the student conversation's last assistant turn (else the teacher's)."""
        for message in reversed(self.student or self.messages):
            if message.get("role") == "assistant":
                return message.get("content", "")
        return ""

    @property
    def final_text(self) -> str:
        """The final answer as training will see it (the reviewer's edit when there is one)."""
        for message in reversed(self.final_student):
            if message.get("role") == "assistant":
                return message.get("content", "")
        return self.edited_text or self.completion

    @property
    def has_student(self) -> bool:
        return bool(self.student)

    @property
    def final_student(self) -> list[dict[str, str]]:
        """The student conversation as it will be exported: the reviewer's version of every turn if edited.

        An edit made before turns could be edited (`edited_text` only) replaces the last answer.
        """
        if self.edited_student:
            return [dict(turn) for turn in self.edited_student]
        turns = [dict(turn) for turn in self.student]
        if self.edited_text and turns:
            for turn in reversed(turns):
                if turn.get("role") == "assistant":
                    turn["content"] = self.edited_text
                    break
        return turns


@dataclass
class Decision(Record):
    """An append-only review event."""

    table: ClassVar[str] = "decisions"
    example_id: int = 0
    action: Union[DecisionAction, Unset] = ""  # one of DECISION_ACTIONS
    reason: str = ""
    edited_text: str = ""  # an edit of the last answer only (kept for older events)
    edited_student: list[dict[str, str]] = field(default_factory=list)  # an edit of any turns: the whole conversation
    seconds: float = 0.0  # reviewer time on the card
    session: str = ""
    bulk: str = ""  # the key shared by the events of one bulk accept/reject ("" for a decision on one card)


@dataclass
class Run(Record):
    """A training run; its files live in `runs/<name>/`."""

    table: ClassVar[str] = "runs"
    name: str = ""
    build: str = ""
    base_model: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    status: RunStatus = "created"
    run_dir: str = ""
    iteration: int = 0
    total_iterations: int = 0
    last_train_loss: Optional[float] = None
    last_val_loss: Optional[float] = None
    tokens_per_s: float = 0.0
    peak_memory_gb: float = 0.0
    error: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    evaluation: dict[str, Any] = field(default_factory=dict)
    checklist: dict[str, Any] = field(default_factory=dict)
    curves: dict[str, Any] = field(default_factory=dict)  # {"train": [[it, loss]...], "val": [[it, loss]...]}


@dataclass
class ReviewNote(Record):
    """Something a reviewer wrote down about the teacher (e.g. the failure patterns named after the careful start)."""

    table: ClassVar[str] = "review_notes"
    kind: str = ""  # "failure_patterns"
    text: str = ""
    after_reviews: int = 0  # accept/reject decisions in the project when it was written
    session: str = ""


@dataclass
class SplitAssignment(Record):
    """The split a passage (`group_by` "passage") or a book ("book") was first given by a written build.

    WHY stored: a build's splits are planned over its whole pool, so accepting more examples changed
    the quotas and moved passages between splits; a model trained on one build was then tested on
    text it had trained on when compared on a later build's held-out split.  The first written build
    that holds a passage (or book) fixes its split for every later build (`core/dataset/split.py`).
    """

    table: ClassVar[str] = "split_ledger"
    group_by: SplitGrouping = "passage"
    key: int = 0  # the passage id (group_by "passage") or the book id ("book")
    split: SplitName = "train"
    build: str = ""  # the build that first wrote it
    seed: int = 0  # that build's seed (provenance; the split itself no longer depends on it)
