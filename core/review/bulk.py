"""Bulk accept / reject over the filtered list: many decisions, one journal transaction, one undo.

A reviewer who filtered down to "flag=cliche, template=monologue" and read a dozen of them may decide the
rest at once.  Each example still gets its own decision event in the append-only log (the fold, the
analytics and `interiority decide N undo` keep working per example), but:

- the events are written in ONE `db.transaction()`, so a process killed in the middle leaves all of them or
  none (the journal writes one line at commit);
- they share a bulk key (`Decision.bulk`), so one `u` (`interiority decide undo`) undoes the whole bulk
  action, also after the studio was reopened, and their `session` stays the reviewing session (what the
  analytics group by);
- they carry no reviewer time, and count neither towards the careful start nor towards fatigue: nobody read
  those cards one by one.

A bulk accept is refused during the careful start, whose purpose is to read each card.

The command line does the same through the same session: `interiority decide --all-matching accept|reject`
with the studio's filters and search as options, and `interiority decide undo` (no example id) as the
project-wide `u`, which reverts a bulk action whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

from core.review.session_types import FacetValue

BULK_ACTIONS = ("accept", "reject")


@dataclass(frozen=True)
class BulkPlan:
    """What a bulk action would do, computed before the reviewer confirms it."""

    action: str  # "accept" or "reject"
    reason: str  # the reject reason ("" for accept)
    ids: tuple[int, ...]  # the examples it changes (those of the list not already in that state)
    listed: int  # examples in the list
    filters: Mapping[str, FacetValue] = field(default_factory=dict)
    search: str = ""
    refused: Optional[str] = None  # the sentence why it cannot be done, when it cannot

    def question(self, book_titles: Mapping[int, str], undo_hint: str = "one u undoes them all") -> str:
        """The confirmation, stating the count and what the list is (`undo_hint`: how to undo it, in the
        words of where it is asked: the studio's key or the command line's)."""
        shown = [f"{facet}={book_titles.get(value, value) if facet == 'book' and isinstance(value, int) else value}"
                 for facet, value in self.filters.items()]
        if self.search:
            shown.append(f"search \u201c{self.search}\u201d")
        what = ", ".join(shown) if shown else "no filters"
        verb = "Accept" if self.action == "accept" else f"Reject ({self.reason})"
        already = self.listed - len(self.ids)
        note = f" ({already:,} of the list already are)" if already else ""
        return (f"{verb} all {len(self.ids):,} examples of this list ({what}){note}? "
                f"Each gets its own decision; {undo_hint}.")
