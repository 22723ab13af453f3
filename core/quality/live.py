"""Flags for examples as they arrive from the generation queue.

The flagger's index (phrases, openings, near-duplicate signatures) is built once
from the examples already in the project, on the first arrival, and then grows
one example at a time.  The queue calls it from its own thread in the studio,
so every call holds a lock; a flagging failure is logged and never fails the job
(the example is stored either way, and `interiority flag` can recompute later).
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Optional

from core.quality.flagger import QualityFlagger, flag_example, inputs_from_store, load_project_templates
from store.database import Database
from store.records import Example

log = logging.getLogger(__name__)


class LiveFlagger:
    """`on_example` hook for `GenerationQueue`: flags each new example and its earlier near-duplicates."""

    def __init__(self, project: Any, db: Database) -> None:
        self.project = project
        self.db = db
        self._flagger: Optional[QualityFlagger] = None
        self._lock = threading.Lock()

    def _ready(self, arriving_id: int) -> QualityFlagger:
        if self._flagger is None:
            flagger = QualityFlagger(self.project.settings, load_project_templates(self.project, self.db),
                                     authors=[book.author for book in self.db.books])
            flagger.build(inputs_from_store(self.db, [e for e in self.db.examples if e.id != arriving_id]))
            self._flagger = flagger
        return self._flagger

    def __call__(self, example: Example) -> list[dict[str, Any]]:
        with self._lock:
            try:
                return flag_example(self.db, self._ready(example.id), example)
            except Exception:  # noqa: BLE001 - see the module docstring
                log.exception("quality flags for example %s could not be computed", getattr(example, "id", "?"))
                return []
