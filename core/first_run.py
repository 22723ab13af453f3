"""The studio's path for a newcomer: seven steps, each ticked off from the project's own state.

The Library screen shows the sentence of the first step not yet done; the help
screen shows them all as a checklist.  Nothing here is stored: a step is done
when the project shows it was done, so the list can never drift from the work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.project import Project
    from store.database import Database


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    how: str  # one sentence: what to do next, with the keys
    done: bool


def _has_build(project: "Project") -> bool:
    exports = project.exports
    return exports.is_dir() and any((entry / "card.json").exists() for entry in exports.iterdir() if entry.is_dir())


def first_run_steps(project: "Project", db: "Database") -> list[Step]:
    """The seven steps of the loop, in order, with `done` read from the project."""
    # Counted over the raw documents: the library calls this on every visit, with thousands of passages.
    passage_count = len(db.passages)
    tagged = db.passages.count(lambda d: bool(d.get("verdict") or d.get("tags") or d.get("phenomenology")))
    return [
        Step("import", "Import a book",
             "In Library (1) type the path of a .txt or .epub file in the box at the bottom (i goes there, Tab completes) and press Enter, or a Project Gutenberg number in the box beside it (g).",
             len(db.books) > 0),
        Step("highlight", "Highlight passages",
             "Open the book with Enter, move the cursor with the arrow keys, press v to mark, extend with w / ) / }, and Enter to make it a passage.",
             passage_count > 0),
        Step("tag", "Tag them",
             "With the cursor in a passage, give it a verdict (+ valuable, - not, = unsure), tags (t), a phenomenology (p), a note (e) and templates (T).",
             tagged > 0),
        Step("generate", "Generate examples",
             "In Queue (3) press e to enqueue the tagged passages and g to start (the teacher is Claude with ANTHROPIC_API_KEY set, or a local MLX model: teacher.local_model in interiority.toml).",
             len(db.examples) > 0),
        Step("review", "Review them",
             "In Review (4) accept with a, reject with r and a reason, edit with e, undo with u.",
             len(db.decisions) > 0),
        Step("build", "Build a dataset",
             "In Build (5) choose a size and mix, preview it with F5, and build the splits and exports with F8.",
             _has_build(project)),
        Step("train", "Train and evaluate",
             "In Train (6) pick the build and a local MLX model folder, start with F5, watch the loss, then evaluate with F8.",
             len(db.runs) > 0),
    ]


def next_step(project: "Project", db: "Database") -> Step | None:
    """The first step not yet done, or None when the whole loop has been walked once."""
    for step in first_run_steps(project, db):
        if not step.done:
            return step
    return None
