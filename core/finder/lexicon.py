"""The word families the local scorer counts, each with the reason it bears on inner life.

Why word lists and not a model: the scorer must run with no network and no download, over a
whole library in a second or two, and explain itself ("thought, remembered" is a reason a
reader can check).  The lists were written from what renders a mind in prose (verbs of
cognition, perception and feeling, hedges, self-correction) and what renders the outside world
(speech tags, public affairs, things); their weights were then fitted on the tune half of the
labelled set (`core/finder/weights.py`).  A word belongs to one family only, so that one count
never feeds two features.
"""

from __future__ import annotations

# Knowing, remembering, supposing: the verbs that put a sentence inside a head.
COGNITION = """
think thinks thinking thought thoughts know knew known knowing remember remembered remembering
recollect recollected recollection recall recalled forget forgot forgotten wonder wondered wondering
understand understood realise realised realize realized believe believed imagine imagined imagining
fancy fancied suppose supposed guess guessed dream dreamed dreamt dreaming dreams consider considered
reflect reflected reflecting ponder pondered brooding brood decide decided doubt doubted doubts
suspect suspected suspicion conscious consciousness aware idea ideas notion reasoned reasoning
hope hoped hoping wish wished wishing want wanted wanting expect expected regret regretted
""".split()

# Perceiving: a scene filtered through someone's senses rather than told flatly.
PERCEPTION = """
see saw seen seeing hear heard hearing listen listened listening notice noticed noticing watch
watched watching glimpse glimpsed perceive perceived smell smelt smelled taste tasted sound sounds
seemed seem seems seeming appear appeared appearance
""".split()

# Feeling, named: emotions and states a character undergoes.
FEELING = """
feel feels felt feeling feelings sensation sensations love loved loving fear feared afraid dread
dreaded shame ashamed joy joyful happy happiness unhappy misery miserable anguish agony pity despair
hate hated hatred jealous jealousy anger angry furious fury grief longing longed desire desired
horror horrified suffer suffered suffering tender tenderness delight delighted lonely loneliness
sad sadness sorrow bliss ecstasy terror terrified anxious anxiety uneasy uneasiness spite spiteful
humiliation humiliated envy envied bitterness bitter rapture emotion emotions pain painful
tormenting torment yearning wretched embarrassed confused bewilderment excitement excited agitation
agitated nervous irritated irritation vexed vexation annoyed wounded exquisite
""".split()

# Where feeling and thought live: nouns of the inner world.
MIND_NOUNS = """
heart soul mind memory memories spirit imagination self inner secret secretly within depths
""".split()

# Hedges and approximations: a mind unsure of itself ("perhaps", "somehow", "as though").
HEDGES = """
perhaps somehow almost vague vaguely probably possibly maybe might scarcely hardly strange
strangely queer somewhat
""".split()

# Negation: the inner voice argues, denies, corrects ("not that he said anything").
NEGATION = """
not no never nothing nobody none nor neither n't cannot
""".split()

# Speech tags: the paragraph reports a conversation from outside.
SPEECH_TAGS = """
said says say asked ask replied answered cried shouted exclaimed muttered added observed remarked
continued interrupted called retorted repeated declared inquired protested began
""".split()

# The public world: history, war, money, institutions -- told from outside.
PUBLIC = """
army armies troops regiment regiments battalion battalions general generals battle war campaign
emperor emperors napoleon french russian russians soldiers officer officers enemy commander staff
government minister ministers court jury prosecutor police roubles money thousand hundred office
company cavalry infantry artillery division corps march marched advance positions position
""".split()

# Concrete things: furniture, clothes, streets, animals -- the outside world, seen plainly.
CONCRETE = """
table chair door doors window windows room rooms house houses street streets road horse horses
carriage cart coat hat boots dress cap table-cloth plate glass glasses bottle candle stove floor
wall walls stairs staircase yard gate bench sofa bed pipe letter letters box knife fork cup tea
dinner supper paper pen book coins
""".split()

# Bodily action and movement: what a camera would film -- plot told from outside.
ACTION = """
went go goes going gone came come comes coming rode ride riding took take takes taking gave give
given put sat sit sitting stood stand standing walked walk walking ran run running turned turning
opened open closed shut entered left rose got get brought bring handed stepped drove galloped moved
followed reached pulled threw picked held led carried returned arrived jumped seized struck fired
shook bowed kissed nodded waved pointed rushed hurried dragged lifted laid placed sent rode fetched
galloping marching crossed climbed mounted dismounted knocked poured ate drank
""".split()

# Present tense and the modals of deliberation: in past-tense narration, "is", "must", "can" outside
# quotes are a mind's own time ("He must be cautious"; "Knows there are no catapults").
PRESENT = """
is am are isn't aren't does doesn't don't can can't cannot will won't shall must mustn't
""".split()

# Deixis of the here and now: free indirect discourse keeps the character's "now" and "here"
# inside a past-tense sentence ("But it was her street, this"; "she dreaded, now, to learn").
DEIXIS = "now here today tomorrow yesterday tonight".split()

# Interjections outside quotes: the inner voice exclaiming ("O jumping Jupiter!", "Oh, the horror").
INTERJECTIONS = "oh o ah alas aha hm hmm ugh pooh bah heavens".split()

FAMILIES: dict[str, list[str]] = {
    "cognition": COGNITION,
    "perception": PERCEPTION,
    "feeling": FEELING,
    "mind": MIND_NOUNS,
    "hedge": HEDGES,
    "negation": NEGATION,
    "speech_tag": SPEECH_TAGS,
    "public": PUBLIC,
    "concrete": CONCRETE,
    "action": ACTION,
    # contractions too: "I'm off that" is the same narrating I as "I am"
    "first_person": "i me my myself mine i'm i've i'd i'll".split(),
    "third_person": "he she him her his hers himself herself he's she's he'd she'd he'll she'll".split(),
    "modal_past": "had would".split(),
    "present": PRESENT,
    "deixis": DEIXIS,
    "interjection": INTERJECTIONS,
}
FAMILY_NAMES: tuple[str, ...] = tuple(FAMILIES)


def word_families() -> dict[str, int]:
    """Each listed word mapped to its family's index in `FAMILY_NAMES` (first family wins)."""
    table: dict[str, int] = {}
    for index, name in enumerate(FAMILY_NAMES):
        for word in FAMILIES[name]:
            table.setdefault(word, index)
    return table
