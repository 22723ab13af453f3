"""`no-callback` on hand-written continuity conversations: 22 whose later answers start afresh (the flag
fires) and 24 whose later answers return to something said before, by a shared word or an explicit back
reference (it does not); plus the known limit (a return through meaning alone)."""

from __future__ import annotations

import pytest

from core.quality.callbacks import callbacks, content_lemmas, lemma, no_callback_flag


def convo(*contents: str) -> list[dict[str, str]]:
    return [{"role": "user" if i % 2 == 0 else "assistant", "content": c} for i, c in enumerate(contents)]


# Later answers that never return to the earlier exchange(s).
NO_CALLBACK = [
    convo("My dog died on Sunday.", "Oh. The house must sound wrong without his nails on the floor.",
          "What should I cook tonight?", "Pasta. Butter, pepper, a lot of cheese. Nothing that asks much."),
    convo("I failed my driving test.", "That stings, the examiner writing while you sit there.",
          "Is it normal to hate summer?", "Plenty of people do. Heat makes a body impatient."),
    convo("My sister is getting married.", "And you are glad, and also counting the ways it changes her.",
          "Do plants need music?", "No evidence says so. Water and light matter far more."),
    convo("I moved to Berlin in March.", "A new city eats the first months: forms, keys, bakeries.",
          "How long should tea steep?", "Three minutes for black, less for green. Taste and adjust."),
    convo("The results come back tomorrow.", "Then tonight is the long part. Waiting has its own weather.",
          "Why is the sky blue?", "Short wavelengths scatter more in air, so blue reaches us from all over."),
    convo("My father won't speak to me.", "A silence like that has weight; it sits at every meal.",
          "Recommend a podcast?", "Try one about history, episodes short enough for a commute."),
    convo("I quit my job today.", "There is a kind of vertigo in that, a floor gone missing.",
          "What's a good name for a goldfish?", "Bubbles. Or Admiral, if he swims with dignity."),
    convo("I can't stop checking my phone.", "The small bright pull of it, every few minutes.",
          "What rhymes with orange?", "Nothing perfect. Door hinge, sporange, if you cheat."),
    convo("My grandmother has dementia.", "She is there and not there, and you visit both of her.",
          "Best way to clean windows?", "Vinegar, newspaper, a dry cloth afterwards for streaks."),
    convo("I got dumped by text.", "Twelve words on a screen for a year of evenings. That is cruel.",
          "How do volcanoes form?", "Magma rises where plates pull apart or dive under each other."),
    convo("My best friend moved abroad.", "The city shrinks when a person like that leaves it.",
          "Is coffee bad for you?", "In moderation most studies find little harm; sleep suffers if late."),
    convo("I burned the cake for the party.", "The smell arrives first, then the sinking.",
          "Which planet has rings?", "Saturn most famously, though Jupiter, Uranus and Neptune have faint ones."),
    convo("I'm scared of flying next week.", "The body refuses to trust a metal tube in the sky.",
          "Good socks for hiking?", "Merino wool, snug at the heel, no cotton."),
    convo("My son started school today.", "You walked home with an empty hand where his was.",
          "How do I reset a router?", "Hold the small button on the back for ten seconds."),
    convo("I lost my wedding ring.", "Your finger keeps finding the bare place.",
          "What's the capital of Peru?", "Lima, on the Pacific coast."),
    convo("Nobody came to my exhibition.", "Rows of paintings and the door that stayed shut.",
          "Can cats eat cheese?", "A little won't hurt most, though many are lactose intolerant."),
    convo("My brother is in prison.", "Visiting hours, the plastic chairs, his hands on the table.",
          "How many legs does a spider have?", "Eight, on the body's front section."),
    convo("I think I'm depressed.", "A grey that gets into everything, even mornings.",
          "Tips for growing basil?", "Sun, regular water, pinch the flowers off early."),
    convo("My house was flooded.", "The waterline on the walls, the ruined photographs.",
          "Who invented the telephone?", "Bell patented it in 1876; others worked on similar devices."),
    convo("I cheated on the exam.", "And now the grade looks at you from the page.",
          "What's a haiku?", "Three lines, five, seven, five syllables, often about a season."),
    convo("I'm turning forty soon.", "A number with a door in it.",
          "Is it going to snow in April?", "Possible in northern places; forecasts can say.",
          "Where do swallows go in winter?", "South, to Africa, thousands of kilometres each way."),
    convo("My mum is in hospital.", "The corridors, the vending machine, the waiting.",
          "Why do onions make you cry?", "They release a gas that irritates the eyes.",
          "How old is the universe?", "Around 13.8 billion years, by current measurements."),
]

# Later answers that come back to an earlier turn: a shared word (lemma) or an explicit back reference.
WITH_CALLBACK = [
    convo("My dog died on Sunday.", "The house must sound wrong without him.",
          "What should I cook tonight?", "Something warm. And maybe leave his bowl where it is for now, the dog's."),
    convo("I failed my driving test.", "That stings.",
          "Is it normal to hate summer?", "Yes. Though maybe you're mostly hating that test."),
    convo("My sister is getting married.", "You're glad, and counting what changes.",
          "Do plants need music?", "No. But you asked that the way people ask when they're still thinking about something else."),
    convo("I moved to Berlin in March.", "A new city eats the first months.",
          "How long should tea steep?", "Three minutes. Is tea one of the things that feels like home in Berlin?"),
    convo("The results come back tomorrow.", "Tonight is the long part.",
          "Why is the sky blue?", "Scattering. You said tomorrow, didn't you, so the question is company."),
    convo("My father won't speak to me.", "A silence like that sits at every meal.",
          "Recommend a podcast?", "Something with voices in it, maybe, to fill the silence."),
    convo("I quit my job today.", "A floor gone missing.",
          "What's a good name for a goldfish?", "Bubbles. A goldfish is a good first thing to look after without a job."),
    convo("I can't stop checking my phone.", "The small bright pull of it.",
          "What rhymes with orange?", "Nothing does. I mentioned the pull earlier; is it worse at night?"),
    convo("My grandmother has dementia.", "You visit both of her.",
          "Best way to clean windows?", "Vinegar. Is this for your grandmother's place?"),
    convo("I got dumped by text.", "Twelve words for a year of evenings.",
          "How do volcanoes form?", "Pressure builds until it has to go somewhere. Like you, again."),
    convo("My best friend moved abroad.", "The city shrinks.",
          "Is coffee bad for you?", "Not much. Did you and your friend have a coffee place?"),
    convo("I burned the cake for the party.", "The smell arrives first.",
          "Which planet has rings?", "Saturn. I keep coming back to your party, though: did anyone notice?"),
    convo("I'm scared of flying next week.", "The body refuses to trust it.",
          "Good socks for hiking?", "Merino. Are you hiking where you're flying to?"),
    convo("My son started school today.", "An empty hand where his was.",
          "How do I reset a router?", "Hold the button ten seconds. Busy hands help, when the house is quiet after school drop-off."),
    convo("I lost my wedding ring.", "Your finger keeps finding the bare place.",
          "What's the capital of Peru?", "Lima. That thing about the ring, though: have you looked in the car?"),
    convo("Nobody came to my exhibition.", "The door that stayed shut.",
          "Can cats eat cheese?", "A little. Your exhibition deserved a room full of people, you know."),
    convo("My brother is in prison.", "The plastic chairs, his hands.",
          "How many legs does a spider have?", "Eight. When you said brother, I pictured you younger."),
    convo("I think I'm depressed.", "A grey that gets into everything.",
          "Tips for growing basil?", "Sun and water. Something green against the grey could help."),
    convo("My house was flooded.", "The waterline on the walls.",
          "Who invented the telephone?", "Bell. Did the flood reach your photographs?"),
    convo("I start chemo on Monday.", "The appointment letter on the fridge.",
          "Any good films lately?", "A few. Pick something long and kind for after Monday."),
    convo("My neighbour plays drums at night.", "Every beat through the wall.",
          "What tea helps you sleep?", "Chamomile. Earplugs too, for those drums."),
    convo("I cheated on the exam.", "And now the grade looks at you.",
          "What's a haiku?", "Five, seven, five. You could write one about that exam, if it helps."),
    convo("I'm turning forty soon.", "A number with a door in it.",
          "Is it going to snow in April?", "Possible.",
          "Where do swallows go in winter?", "South. Forty years of them leaving and coming back, for you."),
    convo("My mum is in hospital.", "The corridors, the waiting.",
          "Why do onions make you cry?", "A gas.",
          "How old is the universe?", "Very old. As I said before, the waiting is the hard part; how is she?"),
]


@pytest.mark.parametrize("turns", NO_CALLBACK, ids=[f"none-{i}" for i in range(len(NO_CALLBACK))])
def test_later_answers_that_start_afresh_are_flagged(turns: list[dict[str, str]]) -> None:
    flag = no_callback_flag(turns, "continuity")
    assert flag is not None, callbacks(turns)
    assert flag["code"] == "no-callback"
    assert ("(turn 4)" if len(turns) == 4 else "(turns 4, 6)") in flag["detail"]


@pytest.mark.parametrize("turns", WITH_CALLBACK, ids=[f"back-{i}" for i in range(len(WITH_CALLBACK))])
def test_later_answers_that_return_are_not_flagged(turns: list[dict[str, str]]) -> None:
    assert no_callback_flag(turns, "continuity") is None, callbacks(turns)


# Known limits of a word-overlap test: a callback through meaning alone (exhibition -> paintings, flooded ->
# water) shares no word, and the flag fires.  Kept here so a better test can be measured against them.
MEANING_ONLY = [
    convo("Nobody came to my exhibition.", "The door that stayed shut.",
          "Can cats eat cheese?", "A little. Your paintings deserved a room full of people, you know."),
    convo("My house was flooded.", "The waterline on the walls.",
          "Who invented the telephone?", "Bell. Did the water reach your photographs?"),
]


def test_known_limit_callbacks_through_meaning_alone_are_flagged() -> None:
    assert all(no_callback_flag(turns, "continuity") is not None for turns in MEANING_ONLY)


def test_enough_hand_written_cases() -> None:
    assert len(NO_CALLBACK) >= 20 and len(WITH_CALLBACK) >= 20


def test_only_continuity_conversations_and_only_later_answers() -> None:
    assert no_callback_flag(NO_CALLBACK[0], "single") is None
    assert no_callback_flag(NO_CALLBACK[0], "conversation") is None
    assert no_callback_flag(convo("hello", "hi"), "continuity") is None  # one exchange: nothing to return to


def test_the_current_question_does_not_count_as_remembering() -> None:
    # The second answer repeats the second question's words only: that is answering, not returning.
    turns = convo("My garden flooded.", "Mud over everything.",
                  "How do I make bread?", "Bread wants flour, water, salt, yeast and patience.")
    assert no_callback_flag(turns, "continuity") is not None


def test_lemmas_match_inflections_and_skip_stop_words() -> None:
    assert lemma("rained") == lemma("raining") == lemma("rain")
    assert lemma("stories") == lemma("story")
    assert lemma("stopped") == lemma("stop")
    assert lemma("the") == "" and lemma("thinking") == "" and lemma("It's") == ""
    assert content_lemmas("I really think the garden is flooding") == {lemma("garden"), lemma("flooding")}
