"""Cliche families: an opening construction plus a class of verbs or nouns, matched with context.

A fixed phrase list only catches phrases close to its entries: "Something stirs within me" and "something
inside me shifted" are the same formula with no long substring in common.  A family is one regular
expression over a light form of the text (lower case, punctuation kept) that spells out the inflections
(stir/stirs/stirred/stirring, hit/hits/struck) and the open classes (feelings, abstract nouns).

Context decides between the formula and the literal phrase: "a wave of grief" is the formula, "a wave of
the hand" is not, so families demand the figurative complement where one exists ("a wave of" + a
feeling, "looking back" + a comma or "on"/"now", "in that moment" not followed by "of").  Where the
figurative and literal uses share their words, literal cues near the match ("the tapestry of the hunt
on the castle wall", "the wave washed over me and the sea") lower the score under the flag's threshold.

Speed: a family runs only when the text holds one of its trigger words (a set lookup), so 10,000
examples of ~800 characters cost well under a second.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

# Feelings and states: what a figurative "wave of", "flood of", "surge of" carries.
FEELINGS = (
    r"emotions?|feelings?|grief|sadness|sorrow|joy|relief|guilt|shame|longing|nostalgia|panic|fear|dread|"
    r"anxiety|calm|peace|warmth|tenderness|love|anger|rage|fury|despair|melancholy|regret|gratitude|"
    r"exhaustion|fatigue|hope|loneliness|emptiness|unease|euphoria|tranquill?ity|serenity|contentment|"
    r"resignation|recognition|understanding|memor(?:y|ies)|nausea|dizziness|affection|desire|yearning|"
    r"excitement|bitterness|pride|embarrassment|humiliation|doubt|certainty|clarity|reali[sz]ation|"
    r"awareness|sensations?|happiness|elation|bliss|terror|horror|jealousy|envy|resentment|disappointment|"
    r"homesickness|vulnerability|compassion|empathy|shock|disbelief|loss|pain|ache|heartache|helplessness|"
    r"frustration|irritation|annoyance|impatience|self-doubt|self-loathing|insecurity|confusion|wonder|awe|"
    r"serenity|numbness|heaviness|lightness|sentiment|unhappiness|misery|anguish|agony|apprehension|"
    r"trepidation|foreboding|déjà vu|deja vu|emotion"
)
# Abstract nouns that make "the echoes of ..." a figure rather than a sound.
ECHOED = (
    r"(?:my |her |his |our |their |that |those |a |an |the |this |these |old |long-?ago |distant |[\w-]+'s )*"
    r"(?:past|childhood|memor(?:y|ies)|grief|loss|laughter|youth|years?|yesterdays?|history|time|love|"
    r"longing|pain|trauma|conversations?|words|dreams?|lives|life|summers?|regrets?|promises|"
    r"feelings?|emotions?|hopes?|fears?|mistakes|choices|moments?|happiness|sorrow|voices? from)"
)
_INFL = r"(?:s|es|ed|d|ing)?"  # a regular verb's endings after its stem, used as  stir(?:r)?{_INFL}


def _words(*items: str) -> str:
    return "|".join(items)


@dataclass(frozen=True)
class Family:
    """One formula: its canonical phrase, the expression that finds it, and what lowers its score.

    Args:
        phrase: the canonical wording shown in the flag ("something stirs within me").
        pattern: a regular expression over the light form (see `match_form`).
        triggers: words of which at least one occurs in every match (the cheap pre-filter).
        opening: only counts as the first words of a text (then it is a formulaic opening).
        literal: an expression for cues near the match that mean a literal use; each cue lowers the score.
        literal_after: whether cues after the match count (the sea before "washed over me" is literal, the
            "waves" after "washed over me in waves" are the figure's own).
        covers: normalized phrases of the seed list or AVOID lists that this family replaces.
    """

    phrase: str
    pattern: str
    triggers: tuple[str, ...]
    opening: bool = False
    literal: str = ""
    covers: tuple[str, ...] = ()
    literal_after: bool = True  # whether cues after the match count too (not for "washed over me in waves")
    compiled: "re.Pattern[str]" = field(init=False, repr=False, compare=False)
    compiled_literal: "Optional[re.Pattern[str]]" = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", re.compile(self.pattern))
        object.__setattr__(self, "compiled_literal", re.compile(self.literal) if self.literal else None)


_BEGAN = r"(?:(?:begins?|began|starts?|started|seemed|seems) to )?"
_STIR = (r"(?:stir|shift|move|crack|open|loosen|settle|tighten|unfurl|awaken|change|break|soften|click|give|twist|"
         r"snap|lift|clench)(?:r|p|k)?(?:s|es|ed|d|ing)?")
_ME = r"(?:me|my (?:[\w-]+ )?(?:chest|heart|soul|being|body|mind|spirit|stomach|gut|bones))"
_OVER = r"(?:over|through|into|across|upon|on)"

FAMILIES: tuple[Family, ...] = (
    Family("something stirs within me",
           r"\bsomething (?:deep |old |new |small |strange |inside |within |in me )?(?:[\w-]+ly )?" + _BEGAN
           + _STIR + r"\b(?: [\w-]+){0,2}? ?(?:deep )?(?:within|inside|in) (?:of )?" + _ME
           + r"|\bsomething (?:deep )?(?:within|inside|in) (?:of )?" + _ME + r",? (?:[\w-]+ly )?" + _BEGAN + _STIR
           + r"\b|\bsomething (?:deep )?(?:within|inside|in) (?:of )?" + _ME + r" (?:gave way|broke|woke)",
           ("something",), covers=("something shifted inside me",)),
    Family("it dawns on me",
           r"\b(?:dawn(?:s|ed|ing)?|(?:begins?|began|begun|starts?|started) to dawn) (?:on|upon) (?:me|us)\b",
           ("dawn", "dawns", "dawned", "dawning"),
           literal=r"\b(?:day|morning|sun|light|sky|grey|gray|cold|bright)\b[^.]{0,12}$",
           covers=("it dawned on me",)),
    Family("the realization hits me like",
           r"\b(?:reali[sz]ation|truth|recognition|enormity|finality|"
           r"weight of (?:it|this|that|everything|what)|memory|grief|loss)\b(?: [\w'-]+){0,6}? "
           r"(?:hit|hits|hitting|strikes|struck|striking|slam(?:s|med|ming)? into|crash(?:es|ed|ing)? "
           r"(?:over|into|down on)|wash(?:es|ed|ing)? over|settl(?:es|ed|ing) over|sweep(?:s|ing)? over|"
           r"swept over|land(?:s|ed|ing)? on|dropp?(?:s|ed|ing)? on) me\b(?:,? (?:like|with|all at once|"
           r"full force|square))?",
           ("realization", "realisation", "truth", "recognition", "enormity", "finality", "weight", "memory",
            "grief", "loss")),
    Family("a tapestry of",
           r"\b(?:a|an|this|my|our|life'?s) (?:[\w-]+,? ){0,2}?"
           r"(?:tapestr(?:y|ies)|mosaic|kaleidoscope|symphony|patchwork) of\b",
           ("tapestry", "tapestries", "mosaic", "kaleidoscope", "symphony", "patchwork"),
           literal=r"\b(?:walls?|hung|hangs|hanging|loom|woven|weaver|stitch\w*|tiles?|floor|chapel|church|"
                   r"cathedral|museum|castle|orchestra|concert|conductor|composer|played|glass|saint|hunt|"
                   r"unicorn|gobelins?|carpet|mass|fiddle|piano|violin|movement|score|beethoven|mozart|"
                   r"haydn|wagner)\b",
           covers=("a tapestry of", "in the tapestry of", "a symphony of", "a kaleidoscope of")),
    Family("as though the universe",
           r"\b(?:as (?:though|if)|like) (?:the (?:whole |entire |very |vast )?(?:universe|cosmos)|"
           r"the stars themselves)\b",
           ("universe", "cosmos", "stars")),
    Family("a profound stillness settles over my soul",
           r"\b(?:profound|deep|strange|quiet|eerie|heavy|blessed|great|sudden|gentle|soft|familiar) "
           r"(?:stillness|calm|calmness|peace|silence|quiet|serenity|tranquill?ity|hush|numbness|heaviness|"
           r"emptiness|warmth|sadness|melancholy|weariness|contentment)\b(?: [\w'-]+){0,3}? "
           r"(?:settl|descend|fall|fell|wash|spread|creep|crept|come|came|steal|stole|envelop|wrap|blanket|"
           r"wash)\w* (?:over|upon|on|through|into|around)? ?(?:me|my (?:[\w-]+ )?(?:soul|being|heart|"
           r"spirit|mind|chest|body))\b|\bover my (?:very |whole |weary |tired )?(?:soul|being|spirit)\b",
           ("stillness", "calm", "calmness", "peace", "silence", "quiet", "serenity", "tranquility",
            "tranquillity", "hush", "numbness", "heaviness", "emptiness", "warmth", "sadness", "melancholy",
            "weariness", "contentment", "soul", "being", "spirit")),
    Family("a breath I didn't know I was holding",
           r"\bbreath (?:that )?(?:i|she|he|we) (?:didn'?t|did not|hadn'?t|had not|never|don'?t|do not|"
           r"wasn'?t|was not)(?: [\w']+){1,4}? holding\b",
           ("breath",), covers=("i let out a breath i didn t know i was holding",)),
    Family("in that moment",
           r"\bin (?:that|this) (?:very |single |brief |quiet |exact |one |same |fleeting |small |"
           r"strange |suspended )?(?:moment|instant)(?!\w)(?! of\b)(?! in which\b)(?! when\b)"
           r"(?!,? (?:he|she|they|the \w+ (?:said|cried|was))\b)",
           ("moment", "instant"), covers=("in this moment",)),
    Family("as I sat there",
           r"\bas i (?:sit|sat|sitting|stand|stood|lie|lay|wait|waited|linger|lingered|sat alone|stand alone)"
           r" (?:there|here)\b",
           ("sit", "sat", "stand", "stood", "lie", "lay", "wait", "waited", "linger", "lingered"),
           covers=("as i sit here",)),
    Family("time seemed to stand still",
           r"\b(?:time|the world|everything|the whole world) (?:itself )?(?:seemed to |seems to"
           r" |seemed |appeared to |had |has |almost |just |all but |felt like it |felt as if it )*"
           r"(?:stop|stops|stopped|stand still|stood still|stands still|standing still|froze|freezes|frozen|"
           r"freeze|slow(?:s|ed)? (?:down|to a crawl)|held its breath|holds its breath|hold its breath|"
           r"ceased to exist)\b",
           ("time", "world", "everything"),
           literal=r"^time (?:had )?stopped (?:at|ticking|working|going|for the)\b",
           covers=("time seemed to stand still",)),
    Family("I couldn't help but",
           r"\b(?:i|we|she|he|you|one) (?:couldn'?t|could not|can'?t|cannot|can not) (?:help|stop myself) "
           r"but\b",
           ("help", "stop"), covers=("i can t help but",)),
    Family("a wave of <feeling>",
           r"\b(?:waves?|surges?|flood|floods|tide|tsunami|torrent) of (?:[\w-]+,? ){0,2}?"
           r"(?:" + FEELINGS + r")\b",
           ("wave", "waves", "surge", "surges", "flood", "floods", "tide", "tsunami", "torrent"),
           covers=("a wave of",)),
    Family("washed over me",
           r"\b(?:wash|washes|washed|washing|flood|floods|flooded|flooding|sweep|sweeps|swept|sweeping|crash|"
           r"crashes|crashed|crashing|surge|surges|surged|surging|ripple|rippled|ripples|rippling|course|"
           r"coursed|courses|coursing) (?:over|through) " + _ME + r"\b",
           ("wash", "washes", "washed", "washing", "flood", "floods", "flooded", "flooding", "sweep",
            "sweeps", "swept", "sweeping", "crash", "crashes", "crashed", "crashing", "surge", "surges",
            "surged", "surging", "ripple", "rippled", "ripples", "rippling", "course", "coursed", "courses",
            "coursing"),
           literal=r"\b(?:sea|surf|water|waters|waves?|tide|rain|spray|river|shower|bath|bucket|breakers|"
                   r"foam|salt)\b",
           covers=("washed over me",), literal_after=False),
    Family("I find myself",
           r"\bi (?:find|found|am finding|'m finding|keep finding|kept finding|often find|sometimes find)"
           r" myself (?:[\w-]+ing|drawn|lost|caught|pulled|back|once again|again|unable|wanting|wishing)\b",
           ("find", "found", "finding"), covers=("i find myself",)),
    Family("I find myself",  # the same words as a text's first: a teacher's tic even when literal
           r"^i (?:find|found|am finding|'m finding|keep finding|kept finding) myself\b",
           ("find", "found", "finding"), opening=True),
    Family("the echoes of",
           r"\b(?:the|an|faint|distant|old) (?:faint |distant |lingering |quiet |soft |old )?echo(?:es)? of "
           + ECHOED + r"\b|\b(?:the|an) (?:faint |distant |lingering |old )?echo(?:es)? of (?:that|those|our|"
           r"my|an?) (?:old |last |long |first )?[\w-]+",
           ("echo", "echoes"), covers=("the echoes of",),
           literal=r"\b(?:bells?|footsteps|steps|shots?|guns?|cannons?|thunder|hammers?|horns?|drums?|knock\w*|"
                   r"doors?|engines?|trains?|organ|shouts?|cries|cry|cliffs?|valley|hills?|mountains?|"
                   r"corridors?|cave|vault|well)\b"),
    Family("looking back",
           r"^looking back(?:,| now\b| on\b| upon\b| i\b| it\b| all\b| across the years\b| over\b(?! (?:his|her|my|"
           r"their|its|the|a|your|our) (?:shoulders?|wall|fence|side|edge|rail|bridge|hedge)))",
           ("looking",), opening=True, covers=("looking back", "looking back now")),
    Family("looking back now",
           r"\blooking back now\b|\blooking back on (?:it|those|that|this|all|my life|the years)\b,? i\b",
           ("looking",)),
    Family("a testament to", r"\ba (?:[\w-]+ )?testament to\b", ("testament",), covers=("a testament to",)),
    Family("every fiber of my being", r"\bevery (?:fibre|fiber|cell|inch) of my (?:being|body|soul)\b",
           ("fibre", "fiber", "cell", "inch"), covers=("every fiber of my being",)),
    Family("the weight of it all",
           r"\bthe (?:full |whole |sheer |crushing )?weight of (?:it all|everything|all of it|all this|all that"
           r"|the world|my (?:grief|choices|decisions|past|memories))\b",
           ("weight",), covers=("the weight of it all",)),
    Family("a profound sense of",
           r"\b(?:a|an) (?:profound|overwhelming|deep|sudden|strange|renewed|newfound) sense of (?:[\w-]+ )?"
           r"(?:" + FEELINGS + r"|belonging|purpose|peace|loss|wonder|connection|dislocation|unreality|"
           r"rightness|déjà vu)\b|\ba sense of profound\b",
           ("sense",), covers=("a sense of profound", "a profound sense of")),
    Family("in the grand scheme of things", r"\bin the (?:grand|great|larger|bigger) scheme of things\b",
           ("scheme",), covers=("in the grand scheme of things",)),
    Family("the ebb and flow", r"\b(?:the|an|this) (?:endless |constant |gentle )?ebb and flow\b", ("ebb",),
           covers=("the ebb and flow",)),
    Family("a bittersweet reminder", r"\bbittersweet (?:reminder|symphony|ache|feeling|memory|truth)\b",
           ("bittersweet",), covers=("a bittersweet reminder",)),
    Family("my heart skipped a beat", r"\bmy heart (?:skip|skips|skipped|skipping) a beat\b", ("heart",),
           covers=("my heart skipped a beat",)),
    Family("a lump in my throat", r"\ba lump (?:in|forming in|forms in|formed in|rose in|rising in) my throat\b",
           ("lump",), covers=("a lump in my throat",)),
    Family("the silence was deafening",
           r"\bsilence (?:was|is|grew|became|felt|seemed) (?:almost )?deafening\b|\bdeafening silence\b",
           ("deafening",), covers=("the silence was deafening",)),
    Family("delve into", r"\bdelv(?:e|es|ed|ing) (?:into|deeper)\b", ("delve", "delves", "delved", "delving"),
           covers=("delve into",)),
    Family("navigate the complexities",
           r"\bnavigat(?:e|es|ed|ing) (?:the |these |those |my |our )?(?:complexit|intricac|nuances|"
           r"labyrinth|maze)\w*", ("navigate", "navigates", "navigated", "navigating"),
           covers=("navigate the complexities",)),
    Family("I am reminded that",
           r"\bi(?: am|'m| was) (?:once again |suddenly |gently )?reminded (?:that|of how|once again|yet again)\b",
           ("reminded",), covers=("i am reminded that",)),
    Family("a dance of light and shadow",
           r"\b(?:a|the) (?:[\w-]+ )?dance of (?:light and (?:shadow|dark)|shadows? and light)\b",
           ("dance",), covers=("a dance of light and shadow",)),
    Family("it's strange how",
           r"^(?:it'?s|it is) (?:strange|funny|odd|curious|remarkable|interesting|amazing) how\b",
           ("strange", "funny", "odd", "curious", "remarkable", "interesting", "amazing"), opening=True,
           covers=("it s strange how",)),
    Family("it is a strange thing",
           r"^(?:it'?s|it is) (?:such )?a (?:strange|funny|curious|peculiar) thing\b|\bmemory is (?:such )?a "
           r"(?:funny|strange|curious|fickle|tricky|odd|slippery|treacherous) thing\b",
           ("thing",), covers=("it is a strange thing", "memory is a funny thing")),
    Family("there is something about",
           r"^there(?:'s| is) something (?:about|so|strangely|oddly|quietly|deeply|almost|sacred|"
           r"comforting|beautiful)\b", ("something",), opening=True, covers=("there is something about",)),
    Family("in the quiet of",
           r"^in the (?:quiet|stillness|hush|silence) of (?:the |this |my |that )?(?:early |late )?"
           r"(?:morning|night|evening|room|kitchen|house|dawn|afternoon|apartment|my mind|moment)\b",
           ("quiet", "stillness", "hush", "silence"), opening=True, covers=("in the quiet of",)),
    Family("I've always",
           r"^i(?:'ve| have) always (?:been|felt|wondered|found|thought|believed|known|loved|struggled)\b",
           ("always",), opening=True, covers=("i ve always",)),
    Family("sometimes I wonder",
           r"^sometimes,? i (?:wonder|think|find myself|catch myself)\b", ("sometimes",), opening=True,
           covers=("sometimes i wonder",)),
    Family("as I reflect on",
           r"\bas i (?:reflect|reflected|sit and reflect|look back|think back|ponder|pondered) "
           r"(?:on|upon|about)\b", ("reflect", "reflected", "look", "think", "ponder", "pondered"),
           covers=("as i reflect on",)),
)

# Hedges: one is a voice, most sentences hedged is performed uncertainty.
_HEDGE = re.compile(r"\b(?:maybe|perhaps|possibly|probably|i think|i suppose|i guess|it seems|i'?m not sure|"
                    r"i don'?t know|(?<!a )(?<!the )(?<!this )(?<!that )(?:sort|kind) of)\b")
_HEDGE_WORDS = frozenset(("maybe", "perhaps", "possibly", "probably", "think", "suppose", "guess", "seems", "sure",
                          "know", "sort", "kind"))  # a word of every hedge above
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
MIN_HEDGE_SENTENCES = 3
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2014": " - ",
                         "\u2013": " - "})
_LEAD = re.compile(r"^[^\w]+")
_CONTRACTED = re.compile(r"\b(\w+) (t|s|m|re|ve|ll|d)\b")


def match_form(text: str) -> str:
    """The form the families read: lower case, straight quotes, single spaces, punctuation kept, and
    leading quotes or dashes dropped so that the text's first word sits at offset 0."""
    lowered = " ".join(text.translate(_QUOTES).lower().split())
    return _LEAD.sub("", lowered) if lowered and not lowered[0].isalnum() else lowered


def form_from_normalized(normalized: str) -> str:
    """The light form rebuilt from `normalize()` output (apostrophes come back, punctuation cannot)."""
    return _CONTRACTED.sub(lambda m: m.group(1) + "'" + m.group(2)
                           if m.group(2) != "t" or m.group(1).endswith("n") else m.group(0), normalized)


@dataclass(frozen=True)
class FamilyHit:
    family: Family
    start: int
    end: int
    matched: str
    score: float


LITERAL_PENALTY = 45.0  # one literal cue near a match takes it from 100 under the threshold
MIN_SCORE = 60.0
_CONTEXT_BEFORE = 60
_CONTEXT_AFTER = 80
OPENING_CHARS = 16


class FamilyMatcher:
    """Finds family hits in a text's light form; `find(form)` returns the hits, best-scored per family."""

    def __init__(self, families: tuple[Family, ...] = FAMILIES) -> None:
        self.families = families
        self._by_trigger: dict[str, list[int]] = {}
        for index, family in enumerate(families):
            for word in family.triggers:
                self._by_trigger.setdefault(word, []).append(index)

    def find(self, form: str, words: Optional[set[str]] = None) -> list[FamilyHit]:
        if words is None:
            words = set(re.findall(r"[\w']+", form))
        candidates: set[int] = set()
        for word in words & self._by_trigger.keys():
            candidates.update(self._by_trigger[word])
        hits: list[FamilyHit] = []
        for index in sorted(candidates):
            family = self.families[index]
            if family.opening:
                match = family.compiled.match(form)
                if match:
                    hits.append(FamilyHit(family, match.start(), match.end(), match.group(0), 100.0))
                continue
            best: Optional[FamilyHit] = None
            for match in family.compiled.finditer(form):
                score = 100.0 - LITERAL_PENALTY * _literal_cues(family, form, match.start(), match.end())
                if score >= MIN_SCORE and (best is None or score > best.score):
                    best = FamilyHit(family, match.start(), match.end(), match.group(0), score)
            if best is not None:
                hits.append(best)
        return _without_overlaps(hits)


def _literal_cues(family: Family, form: str, start: int, end: int) -> int:
    """How many of the family's literal cues stand in the same sentence around the match."""
    if family.compiled_literal is None:
        return 0
    before = form[max(0, start - _CONTEXT_BEFORE):start]
    cut = max(before.rfind(". "), before.rfind("? "), before.rfind("! "))
    before = before[cut + 2:] if cut >= 0 else before
    after = form[end:end + _CONTEXT_AFTER]
    stop = re.search(r"[.!?](?: |$)", after)
    after = after[:stop.start()] if stop else after
    cues = len(family.compiled_literal.findall(form[start:end] + (after if family.literal_after else "")))
    cues += len(family.compiled_literal.findall(before))
    return cues


def _without_overlaps(hits: list[FamilyHit]) -> list[FamilyHit]:
    """One hit per stretch of text ("a wave of grief washed over me" is one formula, flagged once)."""
    kept: list[FamilyHit] = []
    for hit in sorted(hits, key=lambda h: (h.start, -(h.end - h.start))):
        if kept and hit.start < kept[-1].end:
            continue
        kept.append(hit)
    return kept


def hedge_density(form: str, words: Optional[list[str]] = None) -> Optional[tuple[int, int]]:
    """`(hedged sentences, sentences)` when hedges stand in most sentences of a text of 3 or more, else
    None.  Needs the punctuation of the light form: the normalized text has no sentence ends.

    `words` (the normalized words, when the caller has them) make the common case cheap: dense hedging
    needs two hedge words at least, and most texts hold fewer.
    """
    if words is not None and sum(1 for word in words if word in _HEDGE_WORDS) < 2:
        return None
    sentences = [s for s in _SENTENCE_END.split(form) if len(s.split()) >= 2]
    if len(sentences) < MIN_HEDGE_SENTENCES:
        return None
    hedged = sum(1 for sentence in sentences if _HEDGE.search(sentence))
    return (hedged, len(sentences)) if hedged * 2 > len(sentences) else None


def covered_phrases(families: tuple[Family, ...] = FAMILIES) -> dict[str, Family]:
    """Normalized seed or AVOID phrases that a family replaces, and the family that does."""
    return {phrase: family for family in families for phrase in family.covers}
