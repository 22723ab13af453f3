"""Probe sets: the prompts every compared model answers, kept as editable files in `probes/`.

Why files: the probes are the yardstick of every decision ("was 500 examples worth it?"), so a person
must be able to read, change and version them like the templates.  On first use the folder is filled
from `probes_seed/` (inner-life, continuity, capability); held-out prompts come from a build's test split
and are written as a file too, so the same prompts are used every time that build is compared.

The format (`NAME.probes`, UTF-8)::

    # a comment line
    kind: inner-life            (held-out | inner-life | continuity | capability)

    == probe-id
    check: number 1081          (capability probes only: number | exact A|B | bullets N | json k1,k2)
    The user's turn, one or more lines.
    --                          (continuity and held-out: the next user turn; the model's reply goes between)
    The second user turn.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Optional, get_args

from core.errors import UserError
from core.evaluation.checks import Check, CheckKind, argument_problem
from core.paths import inside, safe_name
from core.project import Project

ProbeKind = Literal["held-out", "inner-life", "continuity", "capability"]
PROBE_KINDS: tuple[ProbeKind, ...] = get_args(ProbeKind)
SUFFIX = ".probes"
FOLDER = "probes"
SEED_DIR = Path(__file__).resolve().parent / "probes_seed"
DEFAULT_SETS = ("inner-life", "continuity", "capability")
HELD_OUT_PREFIX = "held-out:"
MAX_FILE_BYTES = 2_000_000
MAX_TURN_CHARS = 8_000
MAX_TURNS = 8
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class ProbeFileError(UserError):
    """A probe file that cannot be read: the sentence names the file, the line and the fix."""


@dataclass(frozen=True)
class Probe:
    """One scripted conversation: the user turns in order (the model answers after each)."""

    id: str
    turns: tuple[str, ...]
    check: Optional[Check] = None

    @property
    def prompt(self) -> str:
        """The first user turn (what a table shows)."""
        return self.turns[0]


@dataclass(frozen=True)
class ProbeSet:
    name: str
    kind: ProbeKind
    probes: tuple[Probe, ...] = field(default_factory=tuple)


def _fail(source: str, line: int, problem: str) -> ProbeFileError:
    return ProbeFileError(f"{source}, line {line}: {problem}.")


def parse_probes(text: str, source: str = "probe file", name: str = "probes") -> ProbeSet:
    """Parse the text of a probe file; raise `ProbeFileError` naming the line and the fix."""
    kind: Optional[ProbeKind] = None
    probes: list[Probe] = []
    seen: set[str] = set()
    current_id = ""
    current_line = 0
    check: Optional[Check] = None
    turns: list[list[str]] = []

    def finish(at_line: int) -> None:
        if not current_id:
            return
        texts = ["\n".join(lines).strip() for lines in turns]
        if any(not t for t in texts):
            raise _fail(source, current_line, f"probe {current_id!r} has an empty user turn; write the turn or "
                                              f"remove the extra '--'")
        assert kind is not None
        if kind in ("inner-life", "capability") and len(texts) > 1:
            raise _fail(source, current_line, f"probe {current_id!r} has {len(texts)} turns but {kind} probes "
                                              f"are single-turn; remove the '--' lines or use kind: continuity")
        if kind == "continuity" and len(texts) < 2:
            raise _fail(source, current_line, f"continuity probe {current_id!r} has one turn; separate 2 to "
                                              f"{MAX_TURNS} user turns with '--' lines")
        if len(texts) > MAX_TURNS:
            raise _fail(source, current_line, f"probe {current_id!r} has {len(texts)} turns; keep at most "
                                              f"{MAX_TURNS}")
        long = [t for t in texts if len(t) > MAX_TURN_CHARS]
        if long:
            raise _fail(source, current_line, f"a turn of probe {current_id!r} has {len(long[0]):,} characters; "
                                              f"keep turns under {MAX_TURN_CHARS:,}")
        if kind == "capability" and check is None:
            raise _fail(source, current_line, f"capability probe {current_id!r} has no 'check:' line; add one "
                                              f"right after '== {current_id}' (e.g. 'check: number 42')")
        probes.append(Probe(current_id, tuple(texts), check))

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if line.startswith("#"):
            continue
        if kind is None:
            if not line.strip():
                continue
            match = re.fullmatch(r"kind:\s*(\S+)", line.strip())
            if not match or match.group(1) not in PROBE_KINDS:
                raise _fail(source, number, f"the file must start with 'kind: KIND' (one of "
                                            f"{', '.join(PROBE_KINDS)}), not {line.strip()[:60]!r}")
            kind = match.group(1)  # type: ignore[assignment]
            continue
        if line.startswith("=="):
            finish(number)
            probe_id = line[2:].strip()
            if not _ID.match(probe_id):
                raise _fail(source, number, f"the probe id {probe_id[:60]!r} is not valid; use 1-64 lower-case "
                                            f"letters, digits, '.', '_' or '-'")
            if probe_id in seen:
                raise _fail(source, number, f"the probe id {probe_id!r} is used twice; give each probe its own id")
            seen.add(probe_id)
            current_id, current_line, check, turns = probe_id, number, None, [[]]
            continue
        if not current_id:
            if line.strip():
                raise _fail(source, number, "text before the first probe; start each probe with a line "
                                            "'== probe-id'")
            continue
        if line == "--":
            turns.append([])
            continue
        stripped = line.strip()
        if line.startswith("check:") and not any(turns[-1]) and len(turns) == 1 and check is None:
            if kind != "capability":
                raise _fail(source, number, f"'check:' lines belong to capability probes, not {kind} ones; "
                                            f"remove it or change the kind")
            check_kind, _, argument = stripped[len("check:"):].strip().partition(" ")
            problem = argument_problem(check_kind, argument)
            if problem:
                raise _fail(source, number, problem)
            check = Check(check_kind, argument.strip())  # type: ignore[arg-type]
            continue
        turns[-1].append(line)
    if kind is None:
        raise ProbeFileError(f"{source} is empty; start it with 'kind: KIND' (one of {', '.join(PROBE_KINDS)}).")
    finish(0)
    if not probes:
        raise ProbeFileError(f"{source} holds no probes; add one as '== probe-id' followed by the user's turn.")
    return ProbeSet(name, kind, tuple(probes))


def format_probes(probe_set: ProbeSet) -> str:
    """The text of a probe file for `probe_set` (parse_probes(format_probes(s)) == s)."""
    lines = [f"kind: {probe_set.kind}", ""]
    for probe in probe_set.probes:
        lines.append(f"== {probe.id}")
        if probe.check is not None:
            lines.append(f"check: {probe.check.describe()}")
        for index, turn in enumerate(probe.turns):
            if index:
                lines.append("--")
            lines.extend(_safe_turn_lines(turn))
        lines.append("")
    return "\n".join(lines)


def _safe_turn_lines(turn: str) -> list[str]:
    """A turn's lines, with those the format would misread (comments, '==', '--', 'check:') indented."""
    out = []
    for line in turn.splitlines():
        if line.startswith(("#", "==", "check:")) or line.rstrip() == "--":
            line = " " + line
        out.append(line)
    return out


# -- the project's probe folder -------------------------------------------------------------------------

def probes_folder(project: Project) -> Path:
    """`probes/` in the project, created with the default sets the first time it is needed."""
    folder = inside(project.root, FOLDER)
    if not os.path.lexists(folder):
        folder.mkdir()
        for seed in sorted(SEED_DIR.glob(f"*{SUFFIX}")):
            inside(folder, seed.name).write_text(seed.read_text(encoding="utf-8"), encoding="utf-8")
    elif not folder.is_dir():
        raise ProbeFileError(f"{folder} is not a folder; move it away so the probe sets can live there.")
    return folder


def probe_set_names(project: Project) -> list[str]:
    return sorted(p.name[:-len(SUFFIX)] for p in probes_folder(project).glob(f"*{SUFFIX}"))


def load_probe_set(project: Project, name: str) -> ProbeSet:
    """The probe set `name` (a file stem in probes/), or `held-out:BUILD` (written from the build first)."""
    if name.startswith(HELD_OUT_PREFIX):
        return held_out_probes(project, name[len(HELD_OUT_PREFIX):])
    folder = probes_folder(project)
    path = inside(folder, safe_name(name, "probe set name") + SUFFIX)
    if not path.is_file():
        known = ", ".join(probe_set_names(project)) or "none"
        raise ProbeFileError(f"There is no probe set {name!r} in {folder} (sets: {known}); pass one of them, "
                             f"or held-out:BUILD for a build's test prompts.")
    return _read(path, name)


def _read(path: Path, name: str) -> ProbeSet:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ProbeFileError(f"{path} is larger than {MAX_FILE_BYTES // 1_000_000} MB; split it into several sets.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ProbeFileError(f"{path} is not UTF-8 text; save it as UTF-8.") from None
    return parse_probes(text, str(path), name)


def held_out_probes(project: Project, build: str) -> ProbeSet:
    """The user turns of a build's test split (valid split if none), kept as `probes/held-out-NAME.probes`.

    The file is written once: later comparisons of the same build reuse it, so they ask the same prompts
    (and hit the answer cache) even after the build is rebuilt.
    """
    from core.dataset.builds import resolve_training_data

    data = resolve_training_data(project, build)
    name = "held-out-" + re.sub(r"[^A-Za-z0-9._+-]+", "-", data.label).strip("-.")[:100]
    path = inside(probes_folder(project), safe_name(name, "probe set name") + SUFFIX)
    if path.is_file():
        return _read(path, name)
    probes: list[Probe] = []
    for split in ("test", "valid"):
        split_path = data.path / f"{split}.jsonl"
        if split_path.is_file():
            probes = _user_turns(split_path)
            if probes:
                break
    if not probes:
        raise ProbeFileError(f"The build {build!r} has no test or valid rows with user turns (made with test and "
                             f"valid ratios of 0?); rebuild it with a test split, e.g. --test 0.1.")
    probe_set = ProbeSet(name, "held-out", tuple(probes))
    path.write_text(format_probes(probe_set), encoding="utf-8")
    return _read(path, name)


def _user_turns(path: Path) -> list[Probe]:
    probes = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for index, line in enumerate(handle):
            try:
                row = json.loads(line)
            except ValueError:
                continue
            messages = row.get("messages") if isinstance(row, dict) else None
            if not isinstance(messages, list):
                continue
            turns = tuple(str(m.get("content", "")).strip()[:MAX_TURN_CHARS] for m in messages
                          if isinstance(m, dict) and m.get("role") == "user")
            turns = tuple(t for t in turns if t)[:MAX_TURNS]
            if turns:
                probes.append(Probe(f"row-{index + 1}", turns))
    return probes


def check_kind_of(probe: Probe) -> Optional[CheckKind]:
    return probe.check.kind if probe.check else None
