"""Backfill: give examples made before student conversations existed the user turn their answer responds to.

Instruction backtranslation: the teacher reads an existing answer and writes the natural message a person
might have sent to an AI, to which that answer is the reply.  The answer itself is kept exactly (the
reviewer's edit, if any, still applies on top of it).  A backfill is a job like any other (kind
"backfill"): queued, estimated, reserved against the budget, retried, resumed after a kill, and keyed per
example and teacher, so a backfill that is done is never asked (or paid for) twice.  The result sets the
example's `student` and `student_shape` and marks the job done in one journal line.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Optional

from core.student import USER_TURNS
from core.templates import Prompt, Template, TemplateError
from store.database import Database
from store.records import Job, StudentShape

BACKFILL_FILE = "_backfill.md"
MAX_PROMPT_BYTES = 200_000


def default_backfill_system() -> str:
    """The packaged backfill prompt (a project may override it with templates/_backfill.md)."""
    return (resources.files("core") / "templates_seed" / BACKFILL_FILE).read_text(encoding="utf-8").strip()


def load_backfill_system(templates_dir: Path) -> str:
    """The project's `templates/_backfill.md` when it has one, else the packaged prompt."""
    path = Path(templates_dir) / BACKFILL_FILE
    if not path.is_file():
        return default_backfill_system()
    try:
        if path.stat().st_size > MAX_PROMPT_BYTES:
            raise TemplateError(f"{path}: too large for a prompt (at most {MAX_PROMPT_BYTES:,} bytes); shorten it.")
        text = path.read_text(encoding="utf-8").strip()
    except UnicodeDecodeError:
        raise TemplateError(f"{path}: not UTF-8 text; save it as UTF-8.") from None
    except OSError as exc:
        raise TemplateError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    if not text:
        raise TemplateError(f"{path}: the backfill prompt is empty; write it or delete the file to use the default.")
    return text


def backfill_shape(shape: StudentShape) -> StudentShape:
    """The shape of a backfilled conversation: one user turn, so a template asking for more becomes single."""
    return shape if USER_TURNS[shape][0] == 1 else "single"


def backfill_key(example_id: int, teacher: str) -> str:
    """The idempotency key of an example's backfill with a teacher (also its batch `custom_id`)."""
    raw = f"backfill\x1f{example_id}\x1f{teacher}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


def backfill_prompt(system: str, answer: str, template: Optional[Template]) -> Prompt:
    """The request for one answer: the backfill prompt (cached), then what the answer was written for."""
    context = ""
    if template is not None:
        context = f"It was written for: {template.name}."
        if template.student_guidance:
            context += f" The user turn for this kind of answer: {template.student_guidance}"
        context += "\n\n"
    return Prompt(system_parts=(system,),
                  user_parts=("The answer, exactly as the model should learn to give it:\n\n",
                              f"<answer>\n{answer.strip()}\n</answer>\n\n{context}Write the user turn it answers."))


@dataclass
class BackfillPlan:
    """What a backfill would queue: the jobs (not stored yet), and what was left out and why."""

    jobs: list[Job] = field(default_factory=list)
    already_queued: int = 0  # a backfill job exists for the example with this teacher (pending, running, done)
    failed: int = 0  # its backfill job failed: `--retry-failed` (or r in the studio) sends it again
    rejected: int = 0  # rejected in review: never exported, so not worth paying for
    without_answer: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"to_queue": len(self.jobs), "already_queued": self.already_queued, "failed": self.failed,
                "rejected": self.rejected, "without_answer": self.without_answer}


def plan_backfill(db: Database, teacher: str, example_ids: Optional[Iterable[int]] = None) -> BackfillPlan:
    """The backfill jobs missing for the examples without a student conversation (nothing is written)."""
    wanted = {int(i) for i in example_ids} if example_ids is not None else None
    keys = db.jobs.keys()
    plan = BackfillPlan()
    for example in db.jobs.examples_without_student():
        if wanted is not None and example.id not in wanted:
            continue
        if not example.completion.strip():
            plan.without_answer += 1
            continue
        if example.status == "rejected":
            plan.rejected += 1
            continue
        key = backfill_key(example.id, teacher)
        found = keys.get(key)
        if found is not None and found[1] == "failed":
            plan.failed += 1
            continue
        if found is not None and found[1] != "cancelled":
            plan.already_queued += 1
            continue
        plan.jobs.append(Job(kind="backfill", passage_id=example.passage_id, template_id=example.template_id,
                             template_version=example.template_version, teacher=teacher,
                             idempotency_key=key, example_id=example.id))
    return plan


def enqueue_backfill(db: Database, plan: BackfillPlan) -> int:
    """Store a plan's jobs (cancelled ones made pending again) in one journal line each; returns how many."""
    keys = db.jobs.keys()
    revive = [keys[job.idempotency_key][0] for job in plan.jobs if job.idempotency_key in keys]
    new = [job for job in plan.jobs if job.idempotency_key not in keys]
    if new:
        db.jobs.add_many(new)
    if revive:
        db.jobs.set_many(revive, status="pending")
    return len(new) + len(revive)
