"""Author names as source groups: one group per writer however a header spells them, and user merges.

WHY a normaliser: a book's source group defaults to the author read from its header, and Project
Gutenberg's headers spell Russian writers in the English forms of their day ("Feodor Dostoevsky",
"Lyof N. Tolstoi", "Leo Tolstoy") beside modern transliterations ("Fyodor Dostoyevsky", "Lev Tolstoy").
Two spellings became two source groups, so a balanced mix gave one writer two shares.

How: `author_key` reduces a name to (surname, first given name), each folded by a few rules that
undo the differences between the common romanisations of Cyrillic (the BGN/PCGN, Library of
Congress, French and German habits): y/j/i for й and ы, "ie"/"ye" for е, "io"/"eo"/"yo" for ё,
-sky/-ski/-skii/-skij for -ский, -off/-eff for -ов/-ев, w for в, kh/tch for х/ч, x for кс, doubled
letters.  Given names that differ by more than spelling (Leo and Lev, Theodore and Fyodor) are
mapped by a small table of the anglicised forms Gutenberg uses.  Middle names, patronymics,
titles ("Count", "graf") and dates are ignored; "Surname, Given" is read as the catalogue writes it.

`canonical_groups` then gives every spelling one display name: the spelling most books use.  An
initial ("F. M. Dostoevsky") or a bare surname joins the one full name it can only mean; when two
writers share the surname it joins neither.  The user has the last word: `merge_groups` sets the
books' own `group` (the existing `Book.group` field, through its repository).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Optional

from core.library.errors import LibraryError
from core.library.text import require_text
from store.database import Database
from store.records import Book

# Anglicised and transliterated forms of the same Russian given names (Gutenberg uses the former).
_GIVEN_NAMES: dict[str, tuple[str, ...]] = {
    "lev": ("leo", "lev", "lyof", "lyov", "lew"),
    "fedor": ("theodore", "theodor", "fyodor", "feodor", "fedor", "fiodor", "fjodor", "fedya"),
    "nikolai": ("nicholas", "nikolai", "nikolay", "nicolai", "nikolaj", "nicolas"),
    "aleksandr": ("alexander", "aleksandr", "alexandr", "alexandre", "aleksander"),
    "mikhail": ("michael", "mikhail", "michail", "mihail"),
    "petr": ("peter", "pyotr", "piotr", "petr"),
    "aleksei": ("alexis", "alexei", "alexey", "aleksei", "aleksey", "alexej"),
    "maksim": ("maxim", "maksim", "maxime"),
    "ivan": ("ivan", "iwan"),
}
_TITLES = frozenset({"count", "countess", "graf", "grafinya", "sir", "lady", "lord", "mr", "mrs", "ms", "miss",
                     "dr", "prince", "princess", "baron", "baroness", "jr", "sr", "junior", "senior", "st"})
# Cyrillic letters to Latin (the BGN/PCGN forms before folding), for names read from EPUB metadata.
_CYRILLIC = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                     ["a", "b", "v", "g", "d", "e", "yo", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r",
                      "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"]))
# (pattern, replacement), applied in order to one lower-case ASCII word.
_FOLDS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), r) for p, r in (
    (r"tch", "ch"),          # Tchekhov -> Chekhov
    (r"kh", "k"),            # Chekhov / Chekov
    (r"ph", "f"),
    (r"w", "v"),             # Dostojewski, Turgeniew
    (r"x", "ks"),            # Alexei / Aleksei
    (r"[jy]", "i"),          # Dostoyevsky, Tolstoj, -skij
    (r"ff$", "v"),           # Turgenieff, Tchekhoff
    (r"(?<=[^aeiou])[ie]o", "e"),  # Fyodor / Feodor / Fiodor -> Fedor
    (r"i(?=e)", ""),         # Dostoievsky, Turgeniev -> Dostoevsky, Turgenev
    (r"(.)\1+", r"\1"),      # doubled letters; -skii -> -ski
))


def _latin(text: str) -> str:
    """`text` with Cyrillic transliterated and accents dropped ("Фёдор" -> "Fyodor", "Honoré" -> "Honore")."""
    text = "".join(_CYRILLIC.get(c, c) if c.islower() else _CYRILLIC.get(c.lower(), c).capitalize() for c in text)
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def fold(word: str) -> str:
    """One word reduced to the letters every common romanisation of it shares (see the module docstring)."""
    out = re.sub(r"[^a-z]", "", _latin(word).lower())
    for pattern, replacement in _FOLDS:
        out = pattern.sub(replacement, out)
    return out


# Each variant, as typed and as folded, to its name (so a spelling the table lacks still folds onto it).
_GIVEN = {form: key for key, variants in _GIVEN_NAMES.items() for variant in variants
          for form in (variant, fold(variant))}


def _words(text: str) -> list[str]:
    # Dates such as "(1821-1881)" or "1828-1910" are not part of a name; other digits are ("Author 2").
    plain = re.sub(r"\([^)]*\)|\b\d{3,4}\s*[-\u2013]\s*\d{0,4}\b|\b\d{4}\b", " ", _latin(text))
    return [w for w in re.split(r"[^A-Za-z0-9']+", plain) if w.strip("'")]


@dataclass(frozen=True)
class AuthorKey:
    """A name as (folded surname, folded first given name); `given` is "" or one letter for an initial."""

    surname: str
    given: str

    @property
    def initial_only(self) -> bool:
        return len(self.given) <= 1


def author_key(name: str) -> AuthorKey:
    """The writer a name means, however it is spelt: "Lyof N. Tolstoi" and "Leo Tolstoy" give one key."""
    head, _, tail = name.partition(",")
    if tail.strip():  # "Tolstoy, Leo, graf": the catalogue order, surname first
        surnames = [w for w in _words(head) if w.lower() not in _TITLES]
        givens = [w for w in _words(tail) if w.lower() not in _TITLES]
        words = givens[:1] + surnames[-1:]
    else:
        words = [w for w in _words(name) if w.lower() not in _TITLES] or _words(name)
    words = [w.strip("'") for w in words]
    if not words:
        return AuthorKey(surname=" ".join(name.lower().split()), given="")
    surname = fold(words[-1]) or words[-1].lower()
    if len(words) == 1:
        return AuthorKey(surname=surname, given="")
    first = words[0].lower()
    folded = fold(first) or first
    given = _GIVEN.get(first) or _GIVEN.get(folded) or folded
    return AuthorKey(surname=surname, given=given)


def canonical_groups(names: Iterable[str]) -> dict[str, str]:
    """Every name given, mapped to the display name of its writer's group.

    `names` may repeat (one per book): the spelling most books use becomes the display name,
    ties going to the alphabetically first, so the choice is reproducible.
    """
    counts: Counter[str] = Counter(n.strip() for n in names if n and n.strip())
    keys = {name: author_key(name) for name in counts}
    full_by_surname: dict[str, set[AuthorKey]] = defaultdict(set)
    for key in keys.values():
        if not key.initial_only:
            full_by_surname[key.surname].add(key)

    def joined(key: AuthorKey) -> AuthorKey:
        if not key.initial_only:
            return key
        fits = [k for k in full_by_surname.get(key.surname, set()) if not key.given or k.given[0] == key.given]
        return fits[0] if len(fits) == 1 else key

    members: dict[AuthorKey, list[str]] = defaultdict(list)
    for name in sorted(counts):
        members[joined(keys[name])].append(name)
    out: dict[str, str] = {}
    for spellings in members.values():
        display = min(spellings, key=lambda n: (-counts[n], keys[n].initial_only, n))
        for name in spellings:
            out[name] = display
    return out


@dataclass
class SourceGroup:
    """One source group of the library: its display name, the spellings merged into it, its books."""

    name: str
    spellings: list[str] = field(default_factory=list)
    book_ids: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "spellings": self.spellings, "books": self.book_ids}


def book_group_name(book: Book) -> str:
    """A book's own group as stored: its `group`, else its author, else "Unknown" (before normalising)."""
    return (book.group or book.author or "Unknown").strip() or "Unknown"


def source_groups(books: Iterable[Book]) -> list[SourceGroup]:
    """The library's source groups after normalising author spellings, largest first."""
    books = list(books)
    names = canonical_groups(book_group_name(b) for b in books)
    groups: dict[str, SourceGroup] = {}
    for book in sorted(books, key=lambda b: b.id):
        own = book_group_name(book)
        group = groups.setdefault(names[own], SourceGroup(name=names[own]))
        group.book_ids.append(book.id)
        if own not in group.spellings:
            group.spellings.append(own)
    return sorted(groups.values(), key=lambda g: (-len(g.book_ids), g.name))


def source_group_of(books: Iterable[Book], book_id: int) -> str:
    """The display name of the source group `book_id` is counted in (what builds and `interiority groups` show).

    WHY: a book's own `group` is one spelling; when other books spell the same writer another way more
    often, the group goes by theirs, and saying the book's own spelling named a group no list shows.
    """
    for group in source_groups(books):
        if book_id in group.book_ids:
            return group.name
    return ""


class GroupError(LibraryError):
    """A group name to merge or set that is empty or matches no book."""


def merge_groups(db: Database, names: Iterable[str], into: str) -> list[Book]:
    """Put every book of the groups `names` (any spelling of them) into the group `into`; returns those books.

    A name matches a group by its display name, by one of its spellings, or by the writer it means
    ("Dostoyevsky, Fyodor" finds the group "Fyodor Dostoevsky").
    """
    target = " ".join(require_text(into or "", "group name").split())
    if not target:
        raise GroupError("Give the merged group a name, e.g. --into \"Fyodor Dostoevsky\".")
    wanted = [" ".join(require_text(n, "group name").split()) for n in names if n and n.strip()]
    if not wanted:
        raise GroupError("Name the groups to merge, e.g. `interiority groups merge \"Feodor Dostoevsky\" "
                         "\"Lev Tolstoy\" --into NAME`; `interiority groups` lists them.")
    books = list(db.books)
    groups = source_groups(books)
    chosen: dict[int, Book] = {}
    by_id = {b.id: b for b in books}
    for name in wanted:
        found = find_group(groups, name)
        if found is None:
            listed = ", ".join(g.name for g in groups) or "none yet"
            raise GroupError(f"No source group is called {name!r} (groups: {listed}); "
                             f"run `interiority groups` and use a name it lists.")
        for book_id in found.book_ids:
            chosen[book_id] = by_id[book_id]
    return [set_book_group(db, book.id, target) for book in sorted(chosen.values(), key=lambda b: b.id)]


def find_group(groups: list[SourceGroup], name: str) -> Optional[SourceGroup]:
    """The group called `name` (display name or a spelling, case-insensitive), else the one writer it means."""
    lowered = name.casefold()
    for group in groups:
        if group.name.casefold() == lowered or any(s.casefold() == lowered for s in group.spellings):
            return group
    key = author_key(name)
    matches = [g for g in groups if any(author_key(s) == key for s in g.spellings)]
    if not matches and key.initial_only:  # "Woolf" or "V. Woolf": the one group of a writer of that surname
        matches = [g for g in groups if any(_means(key, author_key(s)) for s in g.spellings)]
    return matches[0] if len(matches) == 1 else None


def _means(short: AuthorKey, full: AuthorKey) -> bool:
    """Whether a bare surname or an initial (`short`) can mean the writer `full` (as `canonical_groups` joins)."""
    return (short.surname == full.surname and not full.initial_only
            and (not short.given or full.given[:1] == short.given))


def set_book_group(db: Database, book_id: int, group: str) -> Book:
    """Set one book's source group ("" goes back to its author)."""
    from core.library.deleting import get_book

    book = get_book(db, book_id)
    clean = " ".join(require_text(group or "", "group name").split())
    return db.books.update(book.id, group=clean or book.author.strip())
