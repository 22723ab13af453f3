"""What a key in `[keymap]` may be, checked without Textual, so a bad keymap is refused when the settings load.

Textual accepts any string as a key and silently never fires a binding whose key
no terminal sends (`"ctrl+alt+shift+zz"`), and an empty item (`"f2,,"`) breaks
the screen that declares it.  So the settings refuse, with the file, the binding
id and the reason, a key list that is not made of: modifiers from `MODIFIERS`
(each at most once) joined by `+` to one key, which is a name Textual knows
(`escape`, `f5`, `pageup`, `question_mark`, ...) or one printable character.

Quit (`ctrl+q`) is the one way out of the studio that works on every screen,
so a keymap may neither move quit away from it nor give it to another binding.
The rules live here, in `core`, so that the command line refuses the same file
as the studio; `tests/tui/test_app_shell.py` checks that Textual agrees with them.
"""

from __future__ import annotations

import unicodedata

MODIFIERS = ("ctrl", "alt", "shift", "meta", "super", "hyper")

QUIT_BINDING_ID = "app.quit"
QUIT_KEY = "ctrl+q"

MAX_KEYS_PER_BINDING = 8
MAX_KEYMAP_VALUE_CHARS = 500  # 8 keys of six modifiers and the longest name fit

_NAMED_KEYS = (
    "escape", "enter", "return", "tab", "space", "backspace", "delete", "insert",
    "home", "end", "pageup", "pagedown", "up", "down", "left", "right",
    *(f"f{n}" for n in range(1, 25)),
)

# Textual names a non-alphanumeric character by its Unicode name, with a few replacements.
_NAME_REPLACEMENTS = {
    "solidus": "slash", "reverse_solidus": "backslash", "commercial_at": "at",
    "hyphen_minus": "minus", "plus_sign": "plus", "low_line": "underscore",
}


def character_key_name(character: str) -> str:
    """The name Textual gives a printable character's key: `?` -> `question_mark`, `a` -> `a`."""
    if character.isalnum():
        return character
    try:
        name = unicodedata.name(character).lower().replace("-", "_").replace(" ", "_")
    except ValueError:
        return character
    return _NAME_REPLACEMENTS.get(name, name)


def _ascii_punctuation_names() -> frozenset[str]:
    return frozenset(character_key_name(chr(code)) for code in range(33, 127) if not chr(code).isalnum())


KEY_NAMES: frozenset[str] = frozenset(_NAMED_KEYS) | _ascii_punctuation_names()


def key_problem(key: str) -> str | None:
    """Why one key ("ctrl+f", "question_mark", "?") is not valid, or None when it is."""
    if not key:
        return "an empty key (two commas in a row, or a comma at an end)"
    if len(key) == 1:
        if key.isprintable() and not key.isspace():
            return None
        return f"{key!r} is not a printable character (name it, e.g. space or tab)"
    *modifiers, name = key.split("+")
    seen: set[str] = set()
    for modifier in modifiers:
        if modifier not in MODIFIERS:
            if not modifier:
                return f"{key!r} has an empty part between '+' signs (write ctrl+plus for the + key)"
            return f"{modifier!r} in {key!r} is not a modifier (use {', '.join(MODIFIERS)})"
        if modifier in seen:
            return f"{key!r} repeats the modifier {modifier}"
        seen.add(modifier)
    if not name:
        return f"{key!r} ends with '+' and names no key (write ctrl+plus for the + key)"
    if len(name) == 1:
        if name.isprintable() and not name.isspace():
            return None
        return f"{name!r} in {key!r} is not a printable character"
    if name in KEY_NAMES:
        return None
    return (f"{name!r} in {key!r} is neither one character nor a key name "
            f"(e.g. escape, enter, tab, space, up, pageup, f1-f24, question_mark)")


def split_keys(value: str) -> list[str]:
    """A binding's comma-separated key list as Textual reads it (items stripped, empties kept)."""
    return [item.strip() for item in value.split(",")]


def keymap_value_problem(binding_id: str, value: str) -> str | None:
    """Why `binding_id = value` cannot stand in `[keymap]`, or None when it can."""
    if not binding_id.strip():
        return "a binding id must not be empty"
    if len(value) > MAX_KEYMAP_VALUE_CHARS:
        return f"the key list is {len(value)} characters long (at most {MAX_KEYMAP_VALUE_CHARS})"
    if not value.strip():
        return "no key given (to keep the default key, delete the line)"
    keys = split_keys(value)
    if len(keys) > MAX_KEYS_PER_BINDING:
        return f"{len(keys)} keys for one binding (at most {MAX_KEYS_PER_BINDING})"
    for key in keys:
        problem = key_problem(key)
        if problem is not None:
            return problem
    if binding_id == QUIT_BINDING_ID and QUIT_KEY not in keys:
        return f"quit must keep {QUIT_KEY}, the way out of every screen (add keys after it: \"{QUIT_KEY},f10\")"
    if binding_id != QUIT_BINDING_ID and QUIT_KEY in keys:
        return f"{QUIT_KEY} is reserved for quit (choose another key)"
    return None
