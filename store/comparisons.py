"""The evaluation aggregate: cached model answers, comparisons (blind pairings) and their verdict events.

Why here: answers are costly (a 70B model answers slowly) and a repeated comparison must cost nothing,
so each answer is stored under a key that names everything that made it (model identity with its adapter
hash, the user turns, decoding settings, seed).  Verdicts, like review decisions, are an append-only event
log: undo is an event, so it is exact and unlimited, and a person's and the teacher's verdicts on the same
pairs can be set side by side later (Cohen's kappa).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable, Literal, Optional, get_args

from store.journal import JournalDB
from store.records import Record
from store.repository import Repository

VerdictChoice = Literal["left", "right", "tie", "both-bad", "undo"]
VERDICT_CHOICES: tuple[VerdictChoice, ...] = get_args(VerdictChoice)
JudgeKind = Literal["human", "teacher"]
PENDING_VERDICT = "pending"  # a teacher request in flight: its worst case is held until an answer settles it


@dataclass
class Answer(Record):
    """One model's replies to one scripted conversation (a reply after each user turn)."""

    table: ClassVar[str] = "eval_answers"
    key: str = ""  # sha256 of (model fingerprint, turns, settings, seed)
    model: str = ""  # what the user typed ("base", a run name, a path)
    fingerprint: str = ""
    probe_set: str = ""
    probe_id: str = ""
    turns: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    seconds: float = 0.0

    @property
    def final(self) -> str:
        return self.replies[-1] if self.replies else ""

    def conversation(self) -> list[dict[str, str]]:
        """The whole conversation as chat messages, user and assistant turns interleaved."""
        messages: list[dict[str, str]] = []
        for index, turn in enumerate(self.turns):
            messages.append({"role": "user", "content": turn})
            if index < len(self.replies):
                messages.append({"role": "assistant", "content": self.replies[index]})
        return messages


@dataclass
class Comparison(Record):
    """Two models' answers to the same probes, paired blind: `pairs[i]` = {probe_set, probe_id, a, b, a_left}.

    `a`/`b` are answer keys; `a_left` (drawn from `seed`) says which side model A is shown on, and stays
    hidden from the reviewer until `revealed`.
    """

    table: ClassVar[str] = "eval_comparisons"
    name: str = ""
    model_a: dict[str, Any] = field(default_factory=dict)  # {"label", "fingerprint", "model_path", "adapter_path"}
    model_b: dict[str, Any] = field(default_factory=dict)
    probe_sets: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    pairs: list[dict[str, Any]] = field(default_factory=list)
    revealed: bool = False


@dataclass
class PairVerdict(Record):
    """An append-only verdict event on one pair of a comparison (an undo cancels the latest standing one)."""

    table: ClassVar[str] = "eval_verdicts"
    comparison_id: int = 0
    pair: int = 0
    judge: str = "human"  # JudgeKind
    verdict: str = ""  # VerdictChoice
    a_left: bool = True  # the order the judge saw: True when model A was on the left / shown first
    reason: str = ""
    seconds: float = 0.0
    cost_usd: float = 0.0
    teacher: str = ""
    session: str = ""
    # The Message Batch a "pending" teacher event was sent in ("submitting" until the API names it), so a
    # rerun polls that batch instead of paying for the pair-order twice (core.evaluation.judge_batch).
    batch_id: str = ""


class AnswerRepository(Repository[Answer]):
    record_class = Answer

    def by_keys(self, keys: Iterable[str]) -> dict[str, Answer]:
        """The stored answers among `keys` (one pass over the table, whatever the number of keys)."""
        wanted = set(keys)
        found: dict[str, Answer] = {}
        for doc_id, doc in self.scan(lambda d: d.get("key") in wanted):
            found[str(doc["key"])] = Answer.from_doc(doc, doc_id)
        return found


class VerdictRepository(Repository[PairVerdict]):
    record_class = PairVerdict

    def for_comparison(self, comparison_id: int, judge: Optional[str] = None) -> list[PairVerdict]:
        """The events of one comparison (of one judge when given), in the order they were recorded."""
        found = self.where(lambda d: d.get("comparison_id") == comparison_id
                           and (judge is None or d.get("judge") == judge))
        return sorted(found, key=lambda v: v.id)

    def teacher_spent(self, teacher: str) -> float:
        """What judging with `teacher` has cost: real costs, and the worst cases of requests still pending.

        Newest first: a verdict (or failure) settles the pending reservation made before it for the same
        pair-order, so a reservation is counted only while nothing has answered it.
        """
        settled: set[tuple[int, int, bool]] = set()
        total = 0.0
        events = sorted((v for v in self.all() if v.judge == "teacher" and v.teacher == teacher), key=lambda v: -v.id)
        for event in events:
            key = (event.comparison_id, event.pair, event.a_left)
            if event.verdict == PENDING_VERDICT:
                if key not in settled:
                    total += event.cost_usd
            else:
                total += event.cost_usd
                settled.add(key)
        return total


class ComparisonRepository(Repository[Comparison]):
    record_class = Comparison

    def __init__(self, db: JournalDB) -> None:
        super().__init__(db)
        self.answers = AnswerRepository(db)
        self.verdicts = VerdictRepository(db)

    def by_name(self, name: str) -> Optional[Comparison]:
        found = self.where_eq(name=name)
        return max(found, key=lambda c: c.id) if found else None

    def latest_for(self, label: str) -> Optional[Comparison]:
        """The newest comparison that involves the model called `label` (a run name)."""
        found = self.where(lambda d: label in (d.get("model_a", {}).get("label"), d.get("model_b", {}).get("label")))
        return max(found, key=lambda c: c.id) if found else None

    def matching(self, fingerprint_a: str, fingerprint_b: str, seed: int, settings: dict[str, Any],
                 probe_sets: list[str]) -> Optional[Comparison]:
        """The newest comparison of exactly these models, seed, decoding settings and probe sets (or None).

        Why: comparing the same two models again continues that comparison (its verdicts stand) instead of
        starting a second blind review of the same answers.
        """
        found = self.where(lambda d: d.get("model_a", {}).get("fingerprint") == fingerprint_a
                           and d.get("model_b", {}).get("fingerprint") == fingerprint_b
                           and d.get("seed") == seed and d.get("settings") == settings
                           and d.get("probe_sets") == probe_sets)
        return max(found, key=lambda c: c.id) if found else None
