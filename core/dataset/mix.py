"""Mixes: how many examples each source group contributes to a build of a given size.

A mix is a set of weighted source groups.  The method's preset (`METHOD_MIX`) is its
3,000-example recipe; `balanced` gives every group present an equal share; a TOML
file names the user's own.  Targets for a size are apportioned with the
Sainte-Lague divisor method, seat by seat, because a divisor method is
house-monotone: a bigger build never gives a group fewer examples than a smaller one,
which is what makes staged builds nest (largest-remainder rounding can violate that,
the "Alabama paradox").
"""

from __future__ import annotations

import heapq
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from core.errors import UserError
from core.library.authors import author_key, book_group_name, canonical_groups, fold
from store.records import Book

METHOD_MIX_SIZE = 3000
METHOD_MIX: dict[str, int] = {
    "War and Peace": 600,
    "Mrs Dalloway": 500,
    "Proust": 500,
    "Dostoevsky": 400,
    "contemporary memoirs": 400,
    "phenomenology": 300,
    "first-person philosophy": 300,
}
# Extra words that identify a preset group in a book's title or author (spelling variants).
METHOD_ALIASES: dict[str, list[str]] = {
    "War and Peace": ["war and peace"],
    "Mrs Dalloway": ["mrs dalloway"],
    "Proust": ["proust"],
    "Dostoevsky": ["dostoevsky", "dostoyevsky", "dostoevski", "dostoievsky", "dostoyevski"],
    "contemporary memoirs": ["memoir"],
    "phenomenology": ["phenomenology"],
    "first-person philosophy": [],
}


class MixError(UserError):
    """A mix file or mix name that cannot be used."""


def normalize_name(text: str) -> str:
    """Lower case, punctuation to spaces, single spaces: "Mrs. Dalloway" -> "mrs dalloway"."""
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())


def book_group(book: Book) -> str:
    """The source group a book names: its `group`, else its author, else "Unknown" (as spelt; see `Mix.names`)."""
    return book_group_name(book)


def _folded_words(text: str) -> list[str]:
    return [f for f in (fold(w) for w in normalize_name(text).split()) if f]


def _contains(words: list[str], term: list[str]) -> bool:
    """True when `term` occurs in `words` as consecutive words."""
    return bool(term) and any(words[i:i + len(term)] == term for i in range(len(words) - len(term) + 1))


@dataclass
class Mix:
    """Weighted source groups.  `weights` is empty for `balanced` until groups are known.

    `names` maps each group name as books spell it to the group it counts as, after author names
    are normalised (`core.library.authors`): "Feodor Dostoevsky" and "Fyodor Dostoyevsky" are one
    group, under the spelling most books use.
    """

    name: str
    weights: dict[str, float] = field(default_factory=dict)
    aliases: dict[str, list[str]] = field(default_factory=dict)
    balanced: bool = False
    names: dict[str, str] = field(default_factory=dict)

    def resolve_group(self, book: Book) -> Optional[str]:
        """The mix group a book feeds, or None when the mix has no place for it."""
        own = book_group(book)
        if self.balanced:
            return self.names.get(own) or self._same_writer(own, list(self.weights)) or own
        wanted = normalize_name(own)
        for group in self.weights:
            if normalize_name(group) == wanted:
                return group
        same = self._same_writer(own, list(self.weights))
        if same is not None:
            return same
        title, author = _folded_words(book.title), _folded_words(book.author)
        for group in self.weights:
            for term in [group] + self.aliases.get(group, []):
                words = _folded_words(term)
                if _contains(title, words) or _contains(author, words):
                    return group
        return None

    @staticmethod
    def _same_writer(own: str, groups: list[str]) -> Optional[str]:
        """The one group whose name means the same writer as `own` (two full names, spelt differently)."""
        key = author_key(own)
        if key.initial_only:
            return None
        matches = [g for g in groups if author_key(g) == key]
        return matches[0] if len(matches) == 1 else None

    def with_groups(self, groups: Iterable[str]) -> "Mix":
        """A balanced mix made concrete over the groups present, author spellings merged (others unchanged).

        `groups` holds one name per book, so the spelling most books use names the merged group.
        """
        if not self.balanced:
            return self
        names = canonical_groups(groups)
        return Mix(name=self.name, weights={g: 1.0 for g in sorted(set(names.values()))}, balanced=True,
                   names=names)

    def merged_spellings(self) -> dict[str, list[str]]:
        """Groups that several spellings were merged into: display name -> the other spellings."""
        out: dict[str, list[str]] = {}
        for spelling, group in sorted(self.names.items()):
            if spelling != group:
                out.setdefault(group, []).append(spelling)
        return out

    def shares(self) -> dict[str, float]:
        total = sum(self.weights.values())
        return {g: (w / total if total else 0.0) for g, w in self.weights.items()}

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "balanced": self.balanced, "weights": dict(self.weights),
                "shares": {g: round(s, 4) for g, s in self.shares().items()},
                "merged_spellings": self.merged_spellings()}


def method_mix() -> Mix:
    return Mix(name="method", weights={g: float(n) for g, n in METHOD_MIX.items()},
               aliases={g: list(a) for g, a in METHOD_ALIASES.items()})


def balanced_mix() -> Mix:
    return Mix(name="balanced", balanced=True)


def load_mix_file(path: Path) -> Mix:
    """A mix from TOML: `[mix]` group = weight (counts or shares), optional `[match]` group = [words]."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MixError(f"The mix file {path} does not exist; pass method, balanced or a TOML file.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MixError(f"The mix file {path} is not valid TOML ({exc}); fix it and build again.") from None
    table = data.get("mix")
    if not isinstance(table, dict) or not table:
        raise MixError(f"The mix file {path} needs a [mix] table of group = weight, e.g. \"Proust\" = 500.")
    weights: dict[str, float] = {}
    for group, weight in table.items():
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0 or weight != weight:
            raise MixError(f"{path}: mix.{group} must be a number of at least 0, got {weight!r}.")
        weights[str(group)] = float(weight)
    if sum(weights.values()) <= 0:
        raise MixError(f"{path}: every weight in [mix] is 0; give at least one group a positive weight.")
    aliases: dict[str, list[str]] = {}
    match = data.get("match", {})
    if not isinstance(match, dict):
        raise MixError(f"{path}: [match] must map a group to a list of title or author words.")
    for group, words in match.items():
        if group not in weights:
            raise MixError(f"{path}: match.{group} names a group that is not in [mix].")
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise MixError(f"{path}: match.{group} must be a list of strings.")
        aliases[str(group)] = list(words)
    return Mix(name=str(path), weights=weights, aliases=aliases)


def resolve_mix(mix: "Mix | str | Path | None") -> Mix:
    """`method`, `balanced`, a TOML path, or a Mix as it is."""
    if isinstance(mix, Mix):
        return mix
    if mix is None or str(mix) == "balanced":
        return balanced_mix()
    if str(mix) == "method":
        return method_mix()
    path = Path(mix)
    if path.suffix.lower() != ".toml" and not path.exists():
        raise MixError(f"Unknown mix {str(mix)!r}; use method, balanced or a path to a .toml mix file.")
    return load_mix_file(path)


def apportion(weights: dict[str, float], size: int) -> dict[str, int]:
    """Split `size` seats among groups in proportion to `weights` (Sainte-Lague, seat by seat).

    Ties go to the group whose name sorts first, so the result is deterministic.
    In practice each group lands within one seat of its exact share (Sainte-Lague is the
    divisor method closest to plain rounding).
    """
    seats = {group: 0 for group in weights}
    heap = [(-weight, group) for group, weight in sorted(weights.items()) if weight > 0]
    heapq.heapify(heap)
    for _ in range(max(0, size) if heap else 0):
        _, group = heapq.heappop(heap)
        seats[group] += 1
        heapq.heappush(heap, (-weights[group] / (2 * seats[group] + 1), group))
    return seats


def general_count(book_examples: int, ratio: float) -> int:
    """General rows so that they make `ratio` of the final build."""
    if ratio <= 0 or book_examples <= 0:
        return 0
    return int(round(book_examples * ratio / (1.0 - ratio)))
