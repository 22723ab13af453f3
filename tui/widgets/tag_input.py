"""Typing tags: completion from the tags already used, for the tagging sidebar.

Why a module of its own: ranking and completing tags has rules of its own (issue 18, bug 11), apart
from the sidebar (tag_sidebar.py), which lays the field out and stores what it adds (and had reached
the 500-line limit).
An inline prefix completion (`TagSuggester`) plus a fuzzy list ranked by rapidfuzz and by use (`rank_tags`).
"""

from __future__ import annotations

from typing import Callable, Iterable, Optional

from rapidfuzz import fuzz, process
from textual.binding import Binding
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input

MAX_FUZZY_MATCHES = 6
FUZZY_CUTOFF = 75.0  # WRatio for typos: "dred" scores 89 against "dread", "mem" 72 against the unrelated "shame"


def is_subsequence(query: str, text: str) -> bool:
    """True when the characters of `query` appear in `text` in order ("mmr" in "memory")."""
    rest = iter(text)
    return all(character in rest for character in query)


def rank_tags(query: str, counts: dict[str, int], limit: int = MAX_FUZZY_MATCHES,
              exclude: Iterable[str] = ()) -> list[str]:
    """Tags already used that match `query`, best first; an empty query lists the most used tags.

    Three tiers, so that what the user typed the start of is never pushed down by a
    fuzzy hit (issue 18, bug 11: "mmr" found nothing while "mem" completed):
    tags that start with the query, then tags holding its letters in order
    ("mmr" in "memory", the way fzf matches), then rapidfuzz's `WRatio` for typos
    ("dred" for "dread").  Within a tier the more used tag comes first, then the
    better score, then the name.  Matching ignores case.
    """
    skip = {tag.casefold() for tag in exclude}
    choices = [tag for tag in counts if tag.casefold() not in skip]
    typed = " ".join(query.split()).casefold()
    if not typed:
        return sorted(choices, key=lambda t: (-counts[t], t))[:limit]
    scores = {tag: score for tag, score, _index in process.extract(
        typed, choices, scorer=fuzz.WRatio, processor=str.casefold, limit=None, score_cutoff=0)}

    def tier(tag: str) -> int:
        folded = tag.casefold()
        if folded.startswith(typed):
            return 0
        if is_subsequence(typed.replace(" ", ""), folded):
            return 1
        return 2 if scores.get(tag, 0.0) >= FUZZY_CUTOFF else 3

    ranked = sorted(choices, key=lambda t: (tier(t), -counts[t], -scores.get(t, 0.0), t))
    return [tag for tag in ranked if tier(tag) < 3][:limit]


def split_tags(text: str) -> list[str]:
    """Tags typed in one go, comma separated; inner spaces kept, surrounding ones dropped."""
    return [" ".join(part.split()) for part in text.split(",") if part.strip()]


def complete_tag(value: str, counts: dict[str, int]) -> Optional[str]:
    """The most used tag that starts with `value` (any case), spelled with the user's typed prefix."""
    if not value:
        return None
    typed = value.casefold()
    matches = [tag for tag in counts if tag.casefold().startswith(typed) and len(tag) > len(value)]
    if not matches:
        return None
    best = max(matches, key=lambda t: (counts[t], -len(t)))
    return value + best[len(value):]


class TagSuggester(Suggester):
    """Inline completion: the most used tag that starts with what has been typed."""

    def __init__(self, counts: Callable[[], dict[str, int]]) -> None:
        super().__init__(use_cache=False, case_sensitive=False)
        self.counts = counts

    async def get_suggestion(self, value: str) -> Optional[str]:
        return complete_tag(value, self.counts())


class TagInput(Input):
    """The tag field: Tab completes from the fuzzy list, Down moves into it, Backspace on empty removes a tag."""

    BINDINGS = [
        Binding("tab", "complete", "Complete tag", id="tag.complete", show=False),
        Binding("down", "enter_matches", "Matching tags", id="tag.matches", show=False),
    ]

    class CompleteFromMatches(Message):
        pass

    class EnterMatches(Message):
        pass

    class RemoveLast(Message):
        pass

    def suggestion_for_value(self) -> Optional[str]:
        """The inline completion, computed the same way as the suggester (no private Input state)."""
        suggester = self.suggester
        if not isinstance(suggester, TagSuggester):
            return None
        return complete_tag(self.value, suggester.counts())

    def action_complete(self) -> None:
        self.post_message(self.CompleteFromMatches())

    def action_enter_matches(self) -> None:
        self.post_message(self.EnterMatches())

    def action_delete_left(self) -> None:
        if not self.value:
            self.post_message(self.RemoveLast())
            return
        super().action_delete_left()
