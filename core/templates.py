"""Elicitation templates: one editable Markdown file each, with TOML front matter, versioned by content hash.

A template file in the project's `templates/` looks like::

    +++
    id = "monologue"
    name = "Direct inner monologue"
    use_when = "..."
    avoid_when = "..."
    avoid = ["As I reflect on", "..."]
    student_shape = "single"    # single | conversation | continuity (see core/student.py)
    student_guidance = "..."    # how the student conversation's user turn(s) should read
    system = "..."          # optional; otherwise templates/_system.md is used
    +++
    The instructions, then the passage: {passage}

The body may use `{passage}` (required), `{tags}`, `{phenomenology}`, `{note}`, `{book}` and `{author}`.
Other braces are left alone, so prose may contain them; an unknown `{name}` is a typo and is refused.

Why the prompt is rendered in parts: the teacher caches a prompt prefix only when it is byte-identical
across requests.  The shared system prompt, the template's AVOID list and the instructions that come
before the first passage field are the same for every passage of a template, so they are sent as
separate cacheable blocks; only the rest of the body changes per passage.

The teacher reads the passage and writes the inner life, but what it returns is the *student
conversation* (core/student.py): natural user turn(s) a person might say to an AI and the answers, in
the shape the template declares.  The shape and its guidance are rendered into a static block after the
AVOID list, so they are cached with it and each template's request says exactly what it wants back.

A template's version is the sha256 of its effective content: the file, plus the shared system prompt
when it uses that one (editing `_system.md` changes what the teacher is told, so it must change the
version too).  Every version is remembered in the database so that an example's provenance can always
be shown, and a pending job can still be rendered from the exact version it was queued with.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import stat
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Optional, Union

from core.errors import UserError
from core.student import TOOL_NAME, StudentShapeError, check_shape
from store.records import StudentShape

FIELDS = ("passage", "tags", "phenomenology", "note", "book", "author")
SYSTEM_FILE = "_system.md"
FRONT = "+++"
SHARED_MARKER = "\n<<<shared system prompt: templates/_system.md>>>\n"
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_KNOWN_KEYS = {"id", "name", "order", "use_when", "avoid_when", "avoid", "system", "student_shape",
               "student_guidance"}
DEFAULT_SHAPE: StudentShape = "single"
# What each shape asks of the teacher, in the words of the request (the counts follow core.student).
SHAPE_TEXT: dict[str, str] = {
    "single": "exactly one user turn, then the answer",
    "conversation": "exactly one user message, then the reply",
    "continuity": "two to four user turns, each followed by an answer; the conversation ends with an answer",
}


class TemplateError(UserError):
    """A template file cannot be used; the message names the file and what to fix."""


@dataclass(frozen=True)
class Template:
    """One elicitation template as loaded from its file."""

    id: str
    name: str
    use_when: str
    avoid_when: str
    avoid: tuple[str, ...]
    system: str
    body: str
    version: str
    path: Optional[Path] = None
    order: int = 1000
    content: str = field(default="", repr=False)  # the effective content the version hashes
    student_shape: StudentShape = DEFAULT_SHAPE
    student_guidance: str = ""
    shape_note: str = ""  # set when the file declares no student_shape (a sentence saying the default)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "version": self.version, "use_when": self.use_when,
                "avoid_when": self.avoid_when, "avoid": list(self.avoid),
                "path": str(self.path) if self.path else "", "fields": placeholders(self.body),
                "student_shape": self.student_shape, "student_guidance": self.student_guidance,
                "shape_note": self.shape_note}


@dataclass(frozen=True)
class Prompt:
    """A rendered request.  Every part but the last user part is the same for every passage of a template."""

    system_parts: tuple[str, ...]
    user_parts: tuple[str, ...]

    @property
    def system(self) -> str:
        return "\n\n".join(p for p in self.system_parts if p)

    @property
    def user(self) -> str:
        return "".join(self.user_parts)

    @property
    def chars(self) -> int:
        return sum(map(len, self.system_parts)) + sum(map(len, self.user_parts))


def version_of(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()[:12]


def placeholders(body: str) -> list[str]:
    return [m.group(1) for m in _PLACEHOLDER.finditer(body)]


def _split_front_matter(text: str, where: str) -> tuple[str, str]:
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    if not lines or lines[0].strip() != FRONT:
        raise TemplateError(f"{where}: a template starts with a line '+++', then TOML front matter "
                            f"(id, name, use_when, avoid_when, avoid), then '+++' and the body.")
    for index in range(1, len(lines)):
        if lines[index].strip() == FRONT:
            return "".join(lines[1:index]), "".join(lines[index + 1:])
    raise TemplateError(f"{where}: the front matter is not closed; add a line '+++' after it.")


def _text_field(meta: dict[str, Any], key: str, where: str, required: bool = True) -> str:
    value = meta.get(key, "")
    if not isinstance(value, str):
        raise TemplateError(f"{where}: {key} must be a string, got {value!r}.")
    if required and not value.strip():
        raise TemplateError(f"{where}: the front matter needs {key} = \"...\".")
    return value.strip()


def parse_template(text: str, where: str, shared_system: str = "", path: Optional[Path] = None) -> Template:
    """Parse and validate one template's text; every error names `where` (the file)."""
    if SHARED_MARKER in text:  # a stored effective content: file + the shared system it used
        text, shared_system = text.split(SHARED_MARKER, 1)
    front, body = _split_front_matter(text, where)
    try:
        meta = tomllib.loads(front)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"{where}: the front matter is not valid TOML ({exc}); fix that line.") from None
    unknown = sorted(set(meta) - _KNOWN_KEYS)
    if unknown:
        raise TemplateError(f"{where}: unknown front matter key {', '.join(unknown)}; "
                            f"known: {', '.join(sorted(_KNOWN_KEYS))}.")
    template_id = _text_field(meta, "id", where)
    if not _ID.match(template_id):
        raise TemplateError(f"{where}: id {template_id!r} must be lowercase letters, digits, '-' or '_' "
                            f"(at most 64), e.g. \"monologue\".")
    avoid = meta.get("avoid", [])
    if not isinstance(avoid, list) or not all(isinstance(a, str) and a.strip() for a in avoid):
        raise TemplateError(f"{where}: avoid must be a list of non-empty strings, "
                            f"e.g. avoid = [\"As I reflect on\", \"a wave of\"].")
    order = meta.get("order", 1000)
    if not isinstance(order, int) or isinstance(order, bool):
        raise TemplateError(f"{where}: order must be a whole number, got {order!r}.")
    own_system = _text_field(meta, "system", where, required=False)
    shape, shape_note = _student_shape(meta, where)
    guidance = _text_field(meta, "student_guidance", where, required=False)
    body = body.strip("\n")
    used = placeholders(body)
    if "passage" not in used:
        raise TemplateError(f"{where}: the body has no {{passage}}; add it where the passage's text goes.")
    bad = sorted(set(used) - set(FIELDS))
    if bad:
        raise TemplateError(f"{where}: unknown placeholder {', '.join('{' + b + '}' for b in bad)}; "
                            f"the fields are {', '.join('{' + f + '}' for f in FIELDS)}.")
    system = own_system or shared_system.strip()
    content = text if own_system or not shared_system.strip() else text + SHARED_MARKER + shared_system
    return Template(id=template_id, name=_text_field(meta, "name", where),
                    use_when=_text_field(meta, "use_when", where), avoid_when=_text_field(meta, "avoid_when", where),
                    avoid=tuple(a.strip() for a in avoid), system=system, body=body,
                    version=version_of(content), path=path, order=order, content=content,
                    student_shape=shape, student_guidance=guidance, shape_note=shape_note)


def _student_shape(meta: dict[str, Any], where: str) -> tuple[StudentShape, str]:
    """The declared student shape, or the default with a note (templates written before shapes existed)."""
    if "student_shape" not in meta:
        return DEFAULT_SHAPE, (f"{where}: no student_shape in the front matter; it defaults to "
                               f"\"{DEFAULT_SHAPE}\" (one user turn and the answer).")
    value = meta["student_shape"]
    try:
        return check_shape(value if isinstance(value, str) else repr(value)), ""
    except StudentShapeError as exc:
        raise TemplateError(f"{where}: student_shape: {exc}") from None


def _seed_files() -> list[tuple[str, str]]:
    seed = resources.files("core") / "templates_seed"
    return sorted((item.name, item.read_text(encoding="utf-8")) for item in seed.iterdir()
                  if item.name.endswith(".md"))


def seed_templates(templates_dir: Path) -> list[Path]:
    """Copy the method's templates into an empty `templates/` (never over a user's files)."""
    templates_dir.mkdir(parents=True, exist_ok=True)
    if any(templates_dir.glob("*.md")):
        return []
    written = []
    for name, text in _seed_files():
        target = templates_dir / name
        if not target.exists():
            tmp = target.with_suffix(".md.tmp")
            tmp.write_text(text, encoding="utf-8")
            shutil.move(str(tmp), target)
            written.append(target)
    return written


MAX_TEMPLATE_BYTES = 1_000_000  # a template is a page of instructions; a bigger file is a mistake


def _read(path: Path) -> str:
    """A template file's text.  Only regular files are opened: a FIFO or a device would block forever."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise TemplateError(f"{path}: not a regular file (a pipe, device or folder); "
                                f"replace it with a Markdown text file.")
        if info.st_size > MAX_TEMPLATE_BYTES:
            raise TemplateError(f"{path}: {info.st_size:,} bytes is too large for a template "
                                f"(at most {MAX_TEMPLATE_BYTES:,}); shorten it.")
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TemplateError(f"{path}: not UTF-8 text; save it as UTF-8.") from None
    except OSError as exc:
        raise TemplateError(f"{path}: cannot be read ({exc.strerror or exc}).") from None


def load_templates(project: Any, db: Any = None) -> list[Template]:
    """All templates of a project, in their `order`; seeds an empty folder; remembers each version in `db`.

    Args:
        project: a `core.project.Project` (or anything with `.templates_dir`), or the templates folder.
        db: a `store.Database`; when given, each template's version is stored (once) for provenance.
    """
    folder = Path(getattr(project, "templates_dir", project))
    seed_templates(folder)
    system_path = folder / SYSTEM_FILE
    shared_system = _read(system_path) if system_path.exists() or system_path.is_symlink() else ""
    templates: list[Template] = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.md")):
        if path.name.startswith("_"):
            continue
        template = parse_template(_read(path), str(path), shared_system, path)
        if template.id in seen:
            raise TemplateError(f"{path}: id {template.id!r} is already used by {seen[template.id]}; "
                                f"give one of them another id.")
        seen[template.id] = path
        templates.append(template)
    templates.sort(key=lambda t: (t.order, t.id))
    if db is not None:
        for template in templates:
            db.templates.remember(template.id, template.version, template.name, template.content)
    return templates


def template_from_version(db: Any, template_id: str, version: str) -> Optional[Template]:
    """Rebuild the exact template an older job was queued with, from the content stored in the database."""
    stored = db.templates.find_version(template_id, version)
    if stored is None:
        return None
    template = parse_template(stored.content, f"template {template_id} version {version}")
    return template


def _field_values(passage: Any, book: Any) -> dict[str, str]:
    tags = list(getattr(passage, "tags", None) or [])
    return {
        "passage": (getattr(passage, "text", "") or "").strip(),
        "tags": ", ".join(tags) if tags else "(none)",
        "phenomenology": (getattr(passage, "phenomenology", "") or "").strip() or "(not named)",
        "note": (getattr(passage, "note", "") or "").strip() or "(none)",
        "book": (getattr(book, "title", "") or "").strip() or "an unnamed book",
        "author": (getattr(book, "author", "") or "").strip() or "an unknown author",
    }


def avoid_block(template: Template) -> str:
    if not template.avoid:
        return ""
    return "In this task, avoid:\n" + "\n".join(f"- {item}" for item in template.avoid)


def student_block(template: Template) -> str:
    """What the teacher returns for this template: the shape, its guidance, and how to return it.

    Static for every passage of a template, so it is sent (and cached) with the system prompt.  The last
    sentence serves the local teacher, which is offered no tool and answers with JSON in its text.
    """
    lines = [f"Return the student conversation ({template.student_shape}): {SHAPE_TEXT[template.student_shape]}."]
    if template.student_guidance:
        lines.append(f"The user turn(s) for this task: {template.student_guidance} (Any example here shows the "
                     f"kind of turn; write a new one each time, never the example.)")
    lines.append(f"Return it by calling the tool {TOOL_NAME}; when no tool is offered, answer with one JSON "
                 'object and nothing else: {"turns": [{"role": "user", "content": "..."}, '
                 '{"role": "assistant", "content": "..."}]}.')
    return "\n".join(lines)


def render_prompt(template: Template, passage: Any, book: Any) -> Prompt:
    """The request for one passage: cacheable static parts first, the passage-specific rest last."""
    values = _field_values(passage, book)
    first = _PLACEHOLDER.search(template.body)
    # Everything before the first field is identical for every passage of this template.
    split_at = first.start() if first else len(template.body)
    static, dynamic = template.body[:split_at], template.body[split_at:]

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return values[name] if name in values else match.group(0)

    rest = _PLACEHOLDER.sub(fill, dynamic)
    system_parts = tuple(p for p in (template.system, avoid_block(template), student_block(template)) if p)
    user_parts = (static, rest) if static.strip() else (rest,)
    return Prompt(system_parts=system_parts, user_parts=user_parts)


def render(template: Template, passage: Any, book: Any) -> tuple[str, str]:
    """(system, user) text for one passage and its book."""
    prompt = render_prompt(template, passage, book)
    return prompt.system, prompt.user


def templates_by_id(templates: list[Template]) -> dict[str, Template]:
    return {t.id: t for t in templates}


def load_template_file(path: Union[str, Path], shared_system: str = "") -> Template:
    path = Path(path)
    return parse_template(_read(path), str(path), shared_system, path)
