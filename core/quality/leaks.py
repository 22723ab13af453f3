"""`exercise-leak`: a student user turn that gives away the teacher's writing exercise.

The student conversation must read like something a person says to an AI (issue 14): a situation, a
question, a remark.  A user turn that mentions a passage, a book, a novel, a chapter, an author, a
template or a prompt, asks for an inner monologue or for "the character", or repeats the template's own
task wording teaches the tuned model to expect a writing brief, which is what the student conversation
exists to avoid.

Matching is on whole words, tolerant of inflection ("passages", "authors", "chapters"), and the grey cases
are decided as follows (each one has a test):

- "write" fires only as a request to write or compose ("write me...", "could you write", "I'd like you to
  write", a sentence starting with "Write"), not as something the person did: "I wrote to my sister
  yesterday and she hasn't answered" is life, not the exercise.  "creative writing" and "a writing
  exercise" always fire.
- figurative or verb senses that natural speech uses are let through: "the passage of time", "a new
  chapter (of my life)", "a novel idea" (novel followed by a content word is the adjective), "book a
  table / a flight" (book followed by an object), "a prompt reply".
- titles: the book's title from the store and the corpus titles; a one-word title ("Ulysses", "Emma")
  fires only capitalized, as a name.
- author names: the book's author from the store (full name, and the surname alone) plus the corpus
  authors; a surname that is also a common first name or English word (Joyce, Carroll, James, ...) fires
  only with the first name ("James Joyce"), so "my aunt Joyce" is not a leak.
- the template's wording: 4+ consecutive words of a template's task or system text, of which at least three
  are content words (not stop words): "what it feels like" and "the passage of time" (in the continuity
  template) are ordinary English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Optional

from core.quality.copying import words

# The authors of the corpus the project ships with (/work/shared/corpus), with common spellings.
CORPUS_AUTHORS = ("Leo Tolstoy", "Lev Tolstoy", "Leo Tolstoi", "Fyodor Dostoevsky", "Fyodor Dostoyevsky",
                  "Fyodor Dostoevski", "Virginia Woolf", "Marcel Proust", "James Joyce", "Lewis Carroll")
# Surnames that are also first names or ordinary words: they leak only together with the first name.
AMBIGUOUS_SURNAMES = frozenset({
    "joyce", "carroll", "james", "may", "wells", "hardy", "grant", "young", "white", "black", "brown",
    "green", "king", "wood", "woods", "little", "bell", "rice", "hope", "love", "page", "west", "lord",
    "mann", "moore", "ford", "dick", "frank", "mark", "henry", "scott", "austin", "lewis", "miller", "smith",
    "rose", "march", "gay", "long", "hill", "hall", "day", "north", "south", "bird", "fox", "lamb", "swift",
    "sterne", "stone", "read", "reed", "church", "mercy", "faith", "grace", "joy", "chase", "cook", "baker",
})
# The corpus's titles: a user turn naming the book gives the exercise away as surely as "the passage".
CORPUS_TITLES = ("War and Peace", "Anna Karenina", "Crime and Punishment", "The Brothers Karamazov",
                 "Notes from Underground", "Mrs Dalloway", "Mrs. Dalloway", "Swann's Way", "In Search of Lost Time",
                 "Ulysses", "Alice's Adventures in Wonderland", "Alice in Wonderland")
TEMPLATE_RUN = 4  # consecutive words of a template's wording
TEMPLATE_CONTENT_WORDS = 3  # of which at least this many are not stop words ("the passage of time": 2)

STOP_WORDS = frozenset("""
a about above after again against all am an and any are aren't as at be because been before being below
between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each
few for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers
herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more
most mustn't my myself no nor not of off on once only or other ought our ours ourselves out over own same
shan't she she'd she'll she's should shouldn't so some such than that that's the their theirs them
themselves then there there's these they they'd they'll they're they've this those through to too under
until up very was wasn't we we'd we'll we're we've were weren't what what's when when's where where's
which while who who's whom why why's with won't would wouldn't you you'd you'll you're you've your yours
yourself yourselves just also still even really much many something anything nothing everything someone
anyone everyone thing things way one ones like get got go goes going gone make makes made know knew
think thought say said says tell told feel felt seem seems want need let now then well yes yeah oh okay
ok maybe though though quite rather every another back lot lots kind sort bit
""".split())

_WRITE = r"(?:write|compose|rewrite|narrate|draft)"
_TERMS: tuple[tuple[str, str], ...] = (
    ("passage", r"\bpassages?\b(?!\s+of\s+(?:the\s+)?(?:time|years?|days|months|seasons))"),
    ("book", r"(?<!\bto\s)\bbooks?\b(?!\s+(?:a|an|the|my|our|your|his|her|their|me|us|it|them|tickets?|flights?"
             r"|tables?|rooms?|seats?|hotels?|appointments?|in|for)\b)"),
    ("novel", r"\bnovels\b|\bnovel\b(?=\s*(?:$|[^\w\s]|(?:by|about|of|is|was|and|or|but|that|which|where|when|i|i'm"
              r"|he|she|they|we|you|it|in|on|from|with|has|had|i've|i'd)\b))"),
    ("chapter", r"(?<!\bnew\s)\bchapters?\b(?!\s+(?:of|in)\s+(?:my|our|your|his|her|their)\s+li(?:fe|ves)\b)"),
    ("author", r"\bauthors?\b|\bauthored\b"),
    ("inner monologue", r"\b(?:inner\s+|interior\s+)?monologues?\b"),
    ("stream of consciousness", r"\bstreams?\s+of\s+consciousness\b"),
    ("template", r"\btemplates?\b"),
    ("prompt", r"\bprompts?\b(?!\s+(?:reply|replies|response|answer|action|payment|attention|service|delivery|care"
               r"|treatment)\b)"),
    ("the character", r"\b(?:the|this|that|these|those|your|main|fictional)\s+characters?\b"),
    ("narrator", r"\bnarrators?\b|\bprotagonists?\b"),
    ("first person", r"\b(?:first|third|second)[-\s]person\b"),
    ("creative writing", r"\bcreative\s+writing\b|\bwriting\s+(?:exercise|prompt|task|assignment)s?\b"),
    ("a request to write", r"(?:^|[.!?:;]\s+|\n)\s*(?:(?:ok(?:ay)?|so|now|please|just|hey|hi)[,\s]+)*" + _WRITE + r"\b"
                           r"|\b(?:can|could|would|will|won't|wouldn't)\s+you\s+(?:please\s+|maybe\s+|just\s+)?"
                           + _WRITE + r"\b"
                           r"|\b(?:want|need|like|love|asking|ask)\s+you\s+to\s+" + _WRITE + r"\b"
                           r"|\b" + _WRITE + r"\s+(?:me|us)\b|\bplease\s+" + _WRITE + r"\b"
                           r"|\b(?:write|writing|written)\s+(?:from\s+the\s+(?:point|perspective|inside)|as\s+if"
                           r"|in\s+the\s+voice)\b"),
)
_TERM_PATTERNS = tuple((label, re.compile(pattern, re.IGNORECASE)) for label, pattern in _TERMS)
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|<[^<>]*>")


@dataclass(frozen=True)
class Leak:
    """One thing a user turn gives away: what kind, and the words that did it."""

    kind: str  # "term", "author", "title" or "template"
    label: str  # e.g. "passage", "Tolstoy", the template id
    words: str  # the matched words as written in the turn


def _name_pattern(name: str, case_sensitive: bool = False) -> re.Pattern[str]:
    body = r"\s+".join(re.escape(part) for part in name.split())
    return re.compile(rf"\b{body}(?:'s|\u2019s)?(?!\w)", 0 if case_sensitive else re.IGNORECASE)


def title_pattern(title: str) -> Optional[re.Pattern[str]]:
    """The pattern for a book title: case-insensitive, or as a capitalized name when it is one word."""
    title = re.sub(r"\s+", " ", title).strip(" .,;:")
    if len(title) < 4:
        return None
    return _name_pattern(title, case_sensitive=" " not in title)


def author_names(author: str) -> list[tuple[str, bool]]:
    """(name, case_sensitive) to look for: the full name always, the surname alone when it is unambiguous.

    Accepts "Leo Tolstoy" and the catalogue form "Tolstoy, Leo, graf, 1828-1910".
    """
    cleaned = re.sub(r"[\d\-\u2013()]+", " ", author).strip(" ,.")
    if not cleaned:
        return []
    if "," in cleaned:
        parts = [p.strip() for p in cleaned.split(",") if p.strip()]
        surname, given = parts[0], (parts[1] if len(parts) > 1 else "")
    else:
        tokens = [t for t in cleaned.split() if t.rstrip(".").lower() not in {"jr", "sr", "graf", "count"}]
        if not tokens:
            return []
        surname, given = tokens[-1], " ".join(tokens[:-1])
    names: list[tuple[str, bool]] = []
    if given:
        names.append((f"{given.split()[0]} {surname}", False))
    if len(surname) >= 4 and surname.lower() not in AMBIGUOUS_SURNAMES:
        names.append((surname, False))
    return names


class LeakDetector:
    """Finds exercise leaks in user turns.

    Args:
        authors: author names to look for besides the corpus authors (e.g. every book's author in the store).
        template_texts: the templates' task and system texts whose wording must not reach a user turn,
            as (template id, text).
        titles: book titles to look for besides the corpus titles.
    """

    def __init__(self, authors: Iterable[str] = (), template_texts: Iterable[tuple[str, str]] = (),
                 titles: Iterable[str] = ()) -> None:
        self._author_patterns: dict[str, re.Pattern[str]] = {}
        self._title_patterns: dict[str, re.Pattern[str]] = {}
        for author in (*CORPUS_AUTHORS, *authors):
            self.add_author(author)
        for title in (*CORPUS_TITLES, *titles):
            self.add_title(title)
        self._template_grams: dict[tuple[str, ...], str] = {}
        for template_id, text in template_texts:
            for part in _PLACEHOLDER.split(text):
                keys = [w for w, _s, _e in words(part)]
                for i in range(len(keys) - TEMPLATE_RUN + 1):
                    gram = tuple(keys[i:i + TEMPLATE_RUN])
                    if sum(1 for w in gram if w not in STOP_WORDS) >= TEMPLATE_CONTENT_WORDS:
                        self._template_grams.setdefault(gram, template_id)

    def add_author(self, author: str) -> None:
        """Look for this author's name too (a book imported after the detector was made)."""
        for name, _case in author_names(author):
            if name.lower() not in self._author_patterns:
                self._author_patterns[name.lower()] = _name_pattern(name)

    def add_title(self, title: str) -> None:
        """Look for this book title too."""
        pattern = title_pattern(title)
        if pattern is not None:
            self._title_patterns.setdefault(title.lower(), pattern)

    def find(self, text: str, author: str = "", title: str = "") -> list[Leak]:
        """Every leak in one user turn, in the order of the checks (terms, authors, titles, template wording).

        `author`, `title`: the example's own book's, looked for in addition to the known ones.
        """
        text = text.replace("\u2019", "'")  # curly apostrophes: "Swann\u2019s Way" is "Swann's Way"
        leaks: list[Leak] = []
        for label, pattern in _TERM_PATTERNS:
            match = pattern.search(text)
            if match:
                leaks.append(Leak("term", label, match.group().strip(" .!?:;\n")))
        patterns = dict(self._author_patterns)
        if author:
            for name, _case in author_names(author):
                if name.lower() not in patterns:
                    patterns[name.lower()] = _name_pattern(name)
        for name, pattern in patterns.items():
            match = pattern.search(text)
            if match:
                leaks.append(Leak("author", name, match.group()))
        titles = dict(self._title_patterns)
        own = title_pattern(title) if title else None
        if own is not None:
            titles.setdefault(title.lower(), own)
        for name, pattern in titles.items():
            match = pattern.search(text)
            if match:
                leaks.append(Leak("title", name, match.group()))
        template = self._template_run(text)
        if template is not None:
            leaks.append(template)
        return leaks

    def _template_run(self, text: str) -> Optional[Leak]:
        if not self._template_grams:
            return None
        found = words(text)
        keys = [w for w, _s, _e in found]
        for i in range(len(keys) - TEMPLATE_RUN + 1):
            template_id = self._template_grams.get(tuple(keys[i:i + TEMPLATE_RUN]))
            if template_id is not None:
                end = i + TEMPLATE_RUN
                while end < len(keys) and tuple(keys[end - TEMPLATE_RUN + 1:end + 1]) in self._template_grams:
                    end += 1
                return Leak("template", template_id, text[found[i][1]:found[end - 1][2]])
        return None


def describe(leaks: list[Leak]) -> str:
    """The leaks in a few words each, for a flag's detail."""
    parts = []
    for leak in leaks:
        if leak.kind == "term":
            parts.append(f"mentions {leak.label} (\u201c{leak.words}\u201d)")
        elif leak.kind == "author":
            parts.append(f"names the author \u201c{leak.words}\u201d")
        elif leak.kind == "title":
            parts.append(f"names the book \u201c{leak.words}\u201d")
        else:
            parts.append(f"repeats template {leak.label}'s wording \u201c{leak.words}\u201d")
    return "; ".join(parts)
