"""`interiority.toml`: documented defaults, validated with errors that name the key, the file and the fix.

The file comes from outside (hand-edited, copied, or hostile), so reading it
must end in `Settings` or one `SettingsError` sentence, never another exception:
a FIFO or a folder in its place, a file too large, TOML nested thousands deep
(`tomllib` recurses and raises `RecursionError`), integers too long to print or
to turn into a float, and key lists Textual would accept but never fire
(see `core.keys`).  `tests/core/test_settings_fuzz.py` holds that promise with
Hypothesis.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union, get_args, get_origin, get_type_hints

from core.errors import SettingsError
from core.keys import keymap_value_problem

DEFAULT_REJECT_REASONS = [
    "formulaic", "explains-emotion", "fake-profundity", "cliche",
    "off-passage", "too-long", "too-short", "other",
]

# USD per million tokens (standard API prices); batch jobs cost `batch_discount` of these.
DEFAULT_PRICES: dict[str, dict[str, float]] = {
    "claude-opus-4-6": {"input": 5.0, "output": 25.0, "cache_write": 6.25, "cache_read": 0.50},
    "claude-sonnet-4-6": {"input": 3.0, "output": 15.0, "cache_write": 3.75, "cache_read": 0.30},
    "claude-opus-4-5": {"input": 5.0, "output": 25.0, "cache_write": 6.25, "cache_read": 0.50},
    "claude-sonnet-4-5": {"input": 3.0, "output": 15.0, "cache_write": 3.75, "cache_read": 0.30},
    "claude-haiku-4-5": {"input": 1.0, "output": 5.0, "cache_write": 1.25, "cache_read": 0.10},
}
PRICE_FIELDS = ("input", "output", "cache_write", "cache_read")


@dataclass
class TeacherSettings:
    provider: str = "anthropic"  # "anthropic" (Claude through the API) or "mlx" (a local model folder)
    model: str = "claude-sonnet-4-6"
    max_tokens: int = 1024
    temperature: float = 1.0
    timeout_s: float = 120.0
    base_url: str = ""  # empty: ANTHROPIC_BASE_URL or the SDK's default
    api_key_file: str = ""  # a 0600 file holding the key, used when ANTHROPIC_API_KEY is unset
    local_model: str = ""  # MLX model folder for provider = "mlx"
    batch_discount: float = 0.5  # Message Batches cost this share of the live price


@dataclass
class QueueSettings:
    concurrency: int = 8
    samples: int = 1
    max_retries: int = 6
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    budget_usd: float = 20.0
    batch_poll_s: float = 30.0


@dataclass
class ReaderSettings:
    measure: int = 72  # readable width in columns, centred


@dataclass
class ReviewSettings:
    careful_reviews: int = 200  # the first N reviews of a project go slower
    careful_pause_s: float = 1.0
    reject_reasons: list[str] = field(default_factory=lambda: list(DEFAULT_REJECT_REASONS))


@dataclass
class QualitySettings:
    extra_cliches: list[str] = field(default_factory=list)  # phrases added to the templates' AVOID lists
    cliche_score: float = 88.0  # rapidfuzz partial_ratio at or above which a phrase hits
    opening_words: int = 4
    opening_share: float = 0.02  # an opening used by more than this share of examples is flagged
    near_duplicate_ratio: float = 85.0  # rapidfuzz ratio at or above which two examples are near-duplicates
    min_words: int = 40
    max_words: int = 600


@dataclass
class DatasetSettings:
    valid_ratio: float = 0.1
    test_ratio: float = 0.1
    general_ratio: float = 0.15
    seed: int = 1234
    tokenizer_model: str = ""  # a local model folder whose tokenizer counts tokens for the card


@dataclass
class TrainingSettings:
    local_model: str = ""  # default MLX model folder to fine-tune
    python: str = ""  # interpreter for the worker; empty: this one


@dataclass
class Settings:
    teacher: TeacherSettings = field(default_factory=TeacherSettings)
    queue: QueueSettings = field(default_factory=QueueSettings)
    reader: ReaderSettings = field(default_factory=ReaderSettings)
    review: ReviewSettings = field(default_factory=ReviewSettings)
    quality: QualitySettings = field(default_factory=QualitySettings)
    dataset: DatasetSettings = field(default_factory=DatasetSettings)
    training: TrainingSettings = field(default_factory=TrainingSettings)
    prices: dict[str, dict[str, float]] = field(default_factory=lambda: {k: dict(v) for k, v in DEFAULT_PRICES.items()})
    keymap: dict[str, str] = field(default_factory=dict)  # binding id -> key(s), e.g. reader.search = "ctrl+f"
    source: Optional[Path] = None

    def price_for(self, model: str) -> dict[str, float]:
        """The price row for a model; an unknown model costs like the most expensive one (never under-count)."""
        if model in self.prices:
            return self.prices[model]
        for name, row in self.prices.items():
            if model.startswith(name):
                return row
        return max(self.prices.values(), key=lambda r: r["output"])


# Range checks: (minimum, maximum) inclusive; None means open.
RANGES: dict[str, tuple[Optional[float], Optional[float]]] = {
    "teacher.max_tokens": (1, 128000), "teacher.temperature": (0.0, 1.0), "teacher.timeout_s": (1, 3600),
    "teacher.batch_discount": (0.0, 1.0),
    "queue.concurrency": (1, 512), "queue.samples": (1, 100), "queue.max_retries": (0, 50),
    "queue.backoff_base_s": (0.0, 600), "queue.backoff_max_s": (0.0, 3600), "queue.budget_usd": (0.0, None),
    "queue.batch_poll_s": (0.1, 3600),
    "reader.measure": (20, 400),
    "review.careful_reviews": (0, None), "review.careful_pause_s": (0.0, 60),
    "quality.cliche_score": (50, 100), "quality.opening_words": (1, 20), "quality.opening_share": (0.0, 1.0),
    "quality.near_duplicate_ratio": (50, 100), "quality.min_words": (0, None), "quality.max_words": (1, None),
    "dataset.valid_ratio": (0.0, 0.5), "dataset.test_ratio": (0.0, 0.5), "dataset.general_ratio": (0.0, 0.9),
}
CHOICES: dict[str, tuple[str, ...]] = {"teacher.provider": ("anthropic", "mlx")}

SECTIONS = ("teacher", "queue", "reader", "review", "quality", "dataset", "training")


MAX_SETTINGS_BYTES = 1_000_000  # a settings file is a few kilobytes; refuse to parse a huge one
MAX_NESTING = 8  # the deepest legal document is [prices."model"] = 3 levels; lists of strings add 1


def _shown(value: Any, limit: int = 60) -> str:
    """`repr(value)` cut to `limit` characters; safe for any parsed value (huge ints, deep lists)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return "a number with more than 60 digits"
    if _depth(value) > MAX_NESTING:
        return "a deeply nested value"
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        return f"a {type(value).__name__}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,60}")


def _name(name: str) -> str:
    """A key or table name as an error shows it: plain names as they are, others quoted and cut."""
    return name if _PLAIN_NAME.fullmatch(name) else _shown(name, limit=40)


def _depth(value: Any) -> int:
    """How deeply lists and tables nest in `value` (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level + 1)
        if deepest > MAX_NESTING:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def _type_name(tp: Any) -> str:
    return {int: "a whole number", float: "a number", str: "a string", bool: "true or false"}.get(
        tp, "a list of strings")


def _coerce(key: str, value: Any, tp: Any, where: str) -> Any:
    origin = get_origin(tp)
    if origin is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SettingsError(f"{where}: {key} must be a list of strings, got {_shown(value)}.")
        return list(value)
    if tp is bool:
        if not isinstance(value, bool):
            raise SettingsError(f"{where}: {key} must be true or false, got {_shown(value)}.")
        return value
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        try:
            value = float(value)
        except OverflowError:
            raise SettingsError(f"{where}: {key} is far too large a number; use a sensible value.") from None
    if tp in (int, float) and (isinstance(value, bool) or not isinstance(value, tp)):
        raise SettingsError(f"{where}: {key} must be {_type_name(tp)}, got {_shown(value)}.")
    if tp is str and not isinstance(value, str):
        raise SettingsError(f"{where}: {key} must be {_type_name(tp)}, got {_shown(value)}.")
    if tp is float and not math.isfinite(value):
        raise SettingsError(f"{where}: {key} must be a finite number, got {_shown(value)}.")
    low, high = RANGES.get(key, (None, None))
    if low is not None and value < low or high is not None and value > high:
        span = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise SettingsError(f"{where}: {key} must be {span}, got {_shown(value)}.")
    if key in CHOICES and value not in CHOICES[key]:
        raise SettingsError(f"{where}: {key} must be one of {', '.join(CHOICES[key])}, got {_shown(value)}.")
    return value


def settings_from_dict(data: dict[str, Any], where: str = "interiority.toml") -> Settings:
    """Validate a parsed TOML document into `Settings`; every error names the key."""
    if not isinstance(data, dict):
        raise SettingsError(f"{where}: the settings must be a TOML document of [sections].")
    if _depth(data) > MAX_NESTING:
        raise SettingsError(f"{where}: values nest more than {MAX_NESTING} levels deep; "
                            f"no setting needs that (see the defaults written by a new project).")
    settings = Settings()
    for name, value in data.items():
        if name in SECTIONS:
            if not isinstance(value, dict):
                raise SettingsError(f"{where}: [{name}] must be a table.")
            section = getattr(settings, name)
            hints = get_type_hints(type(section))
            known = {f.name for f in dataclasses.fields(section)}
            for key, item in value.items():
                if key not in known:
                    raise SettingsError(
                        f"{where}: unknown setting {name}.{_name(key)}; known in [{name}]: {', '.join(sorted(known))}.")
                setattr(section, key, _coerce(f"{name}.{key}", item, hints[key], where))
        elif name == "prices":
            if not isinstance(value, dict):
                raise SettingsError(f"{where}: [prices] must be a table of models.")
            for model, row in value.items():
                shown_model = _name(model)
                if not isinstance(row, dict):
                    raise SettingsError(f"{where}: [prices.{shown_model}] must be a table with {', '.join(PRICE_FIELDS)}.")
                merged = dict(settings.prices.get(model, {}))
                for key, price in row.items():
                    if key not in PRICE_FIELDS:
                        raise SettingsError(f"{where}: unknown price {shown_model}.{_name(key)}; use {', '.join(PRICE_FIELDS)}.")
                    merged[key] = _coerce(f"prices.{shown_model}.{key}", price, float, where)
                    if merged[key] < 0:
                        raise SettingsError(f"{where}: prices.{shown_model}.{key} must not be negative.")
                missing = [k for k in PRICE_FIELDS if k not in merged]
                if missing:
                    raise SettingsError(f"{where}: prices.{shown_model} lacks {', '.join(missing)} (USD per million tokens).")
                settings.prices[model] = merged
        elif name == "keymap":
            if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
                raise SettingsError(f"{where}: [keymap] maps binding ids to keys, e.g. reader.search = \"ctrl+f\".")
            for binding_id, keys in value.items():
                problem = keymap_value_problem(binding_id, keys)
                if problem is not None:
                    raise SettingsError(f"{where}: [keymap] {_name(binding_id)} = {_shown(keys)} is refused: {problem}.")
            settings.keymap.update(value)
        else:
            raise SettingsError(
                f"{where}: unknown section [{_name(name)}]; known: {', '.join(SECTIONS + ('prices', 'keymap'))}.")
    if settings.queue.backoff_max_s < settings.queue.backoff_base_s:
        raise SettingsError(f"{where}: queue.backoff_max_s must be at least queue.backoff_base_s.")
    if settings.dataset.valid_ratio + settings.dataset.test_ratio >= 0.9:
        raise SettingsError(f"{where}: dataset.valid_ratio + dataset.test_ratio must leave room for training.")
    if settings.quality.max_words <= settings.quality.min_words:
        raise SettingsError(f"{where}: quality.max_words must be greater than quality.min_words.")
    return settings


def _read_settings_text(path: Path) -> str:
    """The file's text, refusing what is not a small regular UTF-8 file (a FIFO would block forever)."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise SettingsError(f"{path} is not a regular file; replace it with a text file (or delete it "
                                f"to start from defaults).")
        if info.st_size > MAX_SETTINGS_BYTES:
            raise SettingsError(f"{path} is {info.st_size:,} bytes, more than a settings file can be "
                                f"({MAX_SETTINGS_BYTES:,}); delete it to start from defaults.")
        raw = path.read_bytes()[: MAX_SETTINGS_BYTES + 1]
    except FileNotFoundError:  # a link to nothing (a missing file never gets here)
        raise SettingsError(f"{path} is a link to a missing file; fix the link or delete it to start from "
                            f"defaults.") from None
    except OSError as exc:
        raise SettingsError(f"Cannot read {path} ({exc.strerror or exc}); make it readable for your user.") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SettingsError(f"{path} is not UTF-8 text; save it as UTF-8.") from None


def parse_settings_text(text: str, where: str = "interiority.toml") -> Settings:
    """TOML text -> `Settings`, or a `SettingsError` sentence naming `where` (never another exception)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{where} is not valid TOML ({exc}); fix that line or delete the file to start from defaults.") from None
    except RecursionError:
        raise SettingsError(f"{where} nests arrays or tables too deeply to read; no setting needs more than "
                            f"{MAX_NESTING} levels.") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        what = "an integer with more than 4,300 digits" if "digits" in str(exc) else "a value that cannot be read"
        raise SettingsError(f"{where} holds {what}; fix it or delete the file to start from defaults.") from None
    return settings_from_dict(data, where=where)


def load_settings(path: Union[str, Path]) -> Settings:
    """The settings of `path`, or the defaults when it does not exist."""
    path = Path(path)
    if not os.path.lexists(path):
        return Settings(source=path)
    settings = parse_settings_text(_read_settings_text(path), where=str(path))
    settings.source = path
    return settings


# What a running studio can take from an edited file without reopening: the teacher it talks to,
# the queue's limits and the prices that turn tokens into cost.  (Keys, reader and review settings
# are read once by the screens that use them.)
RELOADABLE_SECTIONS = ("teacher", "queue", "prices")


def settings_stamp(path: Optional[Path]) -> Optional[tuple[int, int, int]]:
    """What tells one version of the settings file from the next (None: no such file).

    Why a stamp: a watcher stats the file cheaply and reads it only when this changes.
    """
    if path is None:
        return None
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size, info.st_ino)


def changed_sections(current: Settings, fresh: Settings) -> list[str]:
    """The reloadable sections whose values differ between the loaded settings and the file's."""
    return [name for name in RELOADABLE_SECTIONS if getattr(current, name) != getattr(fresh, name)]


def reload_sections(current: Settings) -> list[str]:
    """Re-read `current.source` with `load_settings` and copy the changed reloadable sections in place.

    In place, because the studio, its project and its screens share this one `Settings` object.
    A bad file raises its `SettingsError` sentence and changes nothing.  Returns the sections changed.
    """
    if current.source is None:
        return []
    fresh = load_settings(current.source)
    changed = changed_sections(current, fresh)
    for name in changed:
        setattr(current, name, getattr(fresh, name))
    return changed


DEFAULT_TOML = '''# Interiority project settings. Every key is optional; the values shown are the defaults.
# A bad key or value stops the app with a message naming it.

[teacher]
provider = "anthropic"        # "anthropic" (Claude via ANTHROPIC_API_KEY) or "mlx" (a local model folder)
model = "claude-sonnet-4-6"   # Anthropic model id (check its prices under [prices])
max_tokens = 1024
temperature = 1.0
timeout_s = 120.0
base_url = ""                 # empty: ANTHROPIC_BASE_URL or api.anthropic.com
api_key_file = ""             # a file with mode 0600 holding the key, if ANTHROPIC_API_KEY is unset
local_model = ""              # MLX model folder used when provider = "mlx"
batch_discount = 0.5          # Message Batches cost this share of live prices

[queue]
concurrency = 8               # requests in flight
samples = 1                   # examples per passage x template
max_retries = 6               # on 429 / 529 / 5xx / timeouts, with exponential backoff and jitter
backoff_base_s = 1.0
backoff_max_s = 60.0
budget_usd = 20.0             # the queue stops before crossing this
batch_poll_s = 30.0

[reader]
measure = 72                  # readable width in columns

[review]
careful_reviews = 200         # the first reviews of a project require a pause on each card
careful_pause_s = 1.0
reject_reasons = ["formulaic", "explains-emotion", "fake-profundity", "cliche", "off-passage", "too-long", "too-short", "other"]

[quality]
extra_cliches = []            # phrases to flag besides the templates' AVOID lists
cliche_score = 88.0           # fuzzy match score (0-100) that counts as a hit
opening_words = 4             # an "opening" is this many first words
opening_share = 0.02          # flagged when more than this share of examples share it
near_duplicate_ratio = 85.0   # rapidfuzz ratio (0-100) for near-duplicates
min_words = 40
max_words = 600

[dataset]
valid_ratio = 0.1
test_ratio = 0.1
general_ratio = 0.15          # share of general instruction data mixed in (the method says 10-20%)
seed = 1234
tokenizer_model = ""          # a local model folder whose tokenizer counts tokens for dataset cards

[training]
local_model = ""              # default MLX model folder to fine-tune
python = ""                   # interpreter for the training worker; empty: the app's own

# [prices."claude-sonnet-4-6"]  # USD per million tokens
# input = 3.0
# output = 15.0
# cache_write = 3.75
# cache_read = 0.30

[keymap]
# binding id = "key", e.g.
# "reader.search" = "ctrl+f"
'''
