"""The review guidelines one key away: what the template told the teacher to avoid, and what reviewers
have learned about how this teacher fails.

Deciding a card is comparing it against a standard; the standard is the template's AVOID list (and its
"avoid when"), the failure patterns reviewers named after their careful start (`core.review.notes`), and
the reasons examples of this template were rejected for so far (`core.review.stats`).  Read when the
reviewer asks (a template file and the decision log), in the screen's worker, never on a key press.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from core.review.notes import failure_patterns
from core.review.stats import review_stats
from store.database import Database


@dataclass(frozen=True)
class Guidelines:
    template: str
    avoid: tuple[str, ...]  # the template's AVOID list
    avoid_when: str
    failure_patterns: tuple[str, ...]  # named by reviewers, oldest first
    reject_reasons: tuple[tuple[str, int], ...]  # this template's reject reasons, most common first
    template_problem: str = ""  # why the template could not be read, when it could not

    @property
    def text(self) -> str:
        """The guidelines as plain text (the panel shows it)."""
        lines = [f"Template {self.template or '(none)'}"]
        if self.template_problem:
            lines.append(f"  {self.template_problem}")
        if self.avoid_when:
            lines.append(f"  Not when: {self.avoid_when}")
        lines.append("AVOID (the teacher was told not to write these):")
        lines.extend(f"  \u2022 {phrase}" for phrase in self.avoid)
        if not self.avoid:
            lines.append("  (none listed)")
        lines.append("Failure patterns reviewers named:")
        if self.failure_patterns:
            lines.extend(f"  \u2022 {text}" for text in self.failure_patterns)
        else:
            lines.append("  (none yet: p names them)")
        lines.append("This template's reject reasons so far:")
        if self.reject_reasons:
            lines.extend(f"  {reason:<24} {count:,}" for reason, count in self.reject_reasons)
        else:
            lines.append("  (no rejections yet)")
        return "\n".join(lines)


def review_guidelines(project: Any, db: Database, template_id: str) -> Guidelines:
    """The guidelines for reviewing an example of `template_id` in this project."""
    avoid: tuple[str, ...] = ()
    avoid_when = ""
    problem = ""
    template: Optional[Any] = None
    if project is not None and template_id:
        from core.errors import UserError
        from core.templates import load_templates

        try:
            # No `db`: the panel only reads; remembering template versions is for what the teacher is sent.
            template = next((t for t in load_templates(project) if t.id == template_id), None)
        except UserError as exc:
            problem = f"The templates could not be read ({exc})."
        if template is None and not problem:
            problem = f"No template {template_id!r} in the project's templates any more."
    if template is not None:
        avoid, avoid_when = tuple(template.avoid), str(template.avoid_when)
    reasons = review_stats(db).reject_reasons_by_template.get(template_id or "(none)", {})
    return Guidelines(template_id, avoid, avoid_when, tuple(note.text for note in failure_patterns(db)),
                      tuple(reasons.items()), problem)
