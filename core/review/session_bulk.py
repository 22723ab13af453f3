"""What the review session does to many examples at once: bulk accept / reject over the list (see
`core.review.bulk`) and the near-duplicate clusters (keep the best, reject the rest).

A mixin of `ReviewSession`, kept in its own module so that the session's module holds the index, the
navigation and single decisions; both write through the session's `_write_many` (one journal change).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Callable, Mapping, Optional, Sequence

from core.review.bulk import BULK_ACTIONS, BulkPlan
from core.review.log import DUPLICATE_REASON, ReviewError, check_reason
from core.review.session_types import CardEntry, DecisionResult, FacetValue
from core.settings import Settings
from store.database import Database
from store.records import DecisionAction


class SessionBulkActions:
    """Bulk decisions and cluster decisions; needs the attributes and methods `ReviewSession` defines."""

    db: Database
    settings: Settings
    session_id: str
    clock: Callable[[], float]
    entries: dict[int, CardEntry]
    filters: dict[str, FacetValue]
    search_text: str
    project_reviews: int

    if TYPE_CHECKING:
        @property
        def careful(self) -> bool: ...

        def listed(self) -> set[int]: ...

        def apply_filters(self, filters: Mapping[str, Optional[FacetValue]]) -> int: ...

        def _write(self, example_id: int, action: DecisionAction, reason: str = "", edited_text: str = "",
                   edited_student: Optional[list[dict[str, str]]] = None) -> DecisionResult: ...

        def _write_many(self, items: Sequence[tuple[int, DecisionAction, str, str, list[dict[str, str]]]],
                        seconds: float = 0.0, bulk: str = "") -> list[DecisionResult]: ...

    # -- bulk decisions over the list ----------------------------------------------------------------

    def plan_bulk(self, action: str, reason: str = "") -> BulkPlan:
        """What accepting / rejecting every example of the list would change (see `core.review.bulk`)."""
        if action not in BULK_ACTIONS:
            raise ReviewError(f"Unknown bulk action {action!r}; use accept or reject.")
        listed = self.listed()
        target = "accepted" if action == "accept" else "rejected"
        ids = tuple(sorted(i for i in listed if self.entries[i].status != target))
        if action == "reject":
            reason = check_reason(reason, self.settings.review.reject_reasons)
        refused = None
        if action == "accept" and self.careful:
            refused = (f"Bulk accept waits for the end of the careful start (review {self.project_reviews + 1} of "
                       f"{self.settings.review.careful_reviews}): accept cards one by one until then.")
        elif not listed:
            refused = "No example matches the filters and the search: nothing to do; change them first."
        elif not ids:
            refused = f"Every example of this list is {target} already: nothing to do."
        return BulkPlan(action, reason, ids, len(listed), dict(self.filters), self.search_text, refused)

    def bulk(self, plan: BulkPlan) -> DecisionResult:
        """Write the plan's decisions, one per example, as one journal change; one `undo()` reverts them all."""
        if plan.refused:
            return DecisionResult(False, plan.refused)
        key = f"{self.session_id}/{int(self.clock() * 1000)}-{uuid.uuid4().hex[:4]}"
        action: DecisionAction = "accept" if plan.action == "accept" else "reject"
        ids = [i for i in plan.ids if i in self.entries]
        results = self._write_many([(i, action, plan.reason, "", []) for i in ids], bulk=key)
        self.apply_filters(self.filters)
        word = "Accepted" if action == "accept" else f"Rejected ({plan.reason})"
        return DecisionResult(True, f"{word} {len(results):,} examples; u undoes all of them at once.",
                              ids[0] if ids else 0, results[-1].status if results else "",
                              results[-1].decision if results else None, len(results))

    # -- near-duplicate clusters ------------------------------------------------------------------------

    def cluster_of(self, example_id: int) -> list[int]:
        """The example's near-duplicate cluster (itself included), from the flags on the examples."""
        seen = {example_id}
        frontier = [example_id]
        while frontier:
            current = frontier.pop()
            for flag in self.db.examples.get(current).flags:
                if flag.get("code") == "near-duplicate":
                    for other in flag.get("others", []):
                        if other not in seen and other in self.entries:
                            seen.add(other)
                            frontier.append(other)
        return sorted(seen)

    def keep_best(self, keep_id: int, cluster: Optional[Sequence[int]] = None) -> list[DecisionResult]:
        """Accept `keep_id` and reject the rest of its cluster as near-duplicates (each one undoable)."""
        members = list(cluster) if cluster is not None else self.cluster_of(keep_id)
        results = []
        if self.entries[keep_id].status != "accepted":
            results.append(self._write(keep_id, "accept"))
        for other in members:
            if other != keep_id and self.entries[other].status != "rejected":
                results.append(self._write(other, "reject", reason=DUPLICATE_REASON))
        return results

    def reject_cluster(self, cluster: Sequence[int]) -> list[DecisionResult]:
        return [self._write(m, "reject", reason=DUPLICATE_REASON) for m in cluster
                if self.entries[m].status != "rejected"]
