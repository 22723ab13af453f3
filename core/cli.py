"""The headless command line.  `interiority` alone opens the studio; subcommands script everything.

Each module in `COMMAND_MODULES` exposes `register(subparsers)`, which adds its
subcommands with `set_defaults(handler=...)`.  A handler takes
`(args, ctx: CommandContext)` and returns an exit code.  `UserError`s, store
errors and `OSError`s (a full disk, a read-only folder) become one line on
stderr and exit code 2; a closed output pipe ends quietly with exit 0; nothing
else is caught here, so real bugs keep their tracebacks.
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional, TextIO

from core.errors import UserError, os_error_sentence
from core.project import Project, open_project, resolve_project_path
from core.settings import Settings

if TYPE_CHECKING:
    from store.database import Database

COMMAND_MODULES = [
    "core.commands.library",
    "core.commands.templates",
    "core.commands.generate",
    "core.commands.backfill",
    "core.commands.review",
    "core.commands.dataset",
    "core.commands.training",
    "core.commands.planner",
    "core.commands.evaluation",
    "core.commands.finder",
]

# Commands that only read the project: they open the database read-only (no lock, no write,
# no compaction, no migration; `store.readonly`), so they run while the studio has it open.
# A name here whose handler tried to write would fail with the store's read-only sentence,
# never change anything.  Nested actions (`passages add`) are not listed, so they write.
READ_ONLY_COMMANDS = frozenset({
    "books", "book", "passages", "groups", "examples", "review-stats", "builds", "plan", "devices", "models",
})


@dataclass
class CommandContext:
    """What a handler needs: the project, its database (opened on first use), and output streams."""

    project_arg: Optional[str]
    json: bool = False
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    read_only: bool = False  # open the database without its lock, refusing writes (READ_ONLY_COMMANDS)
    _project: Optional[Project] = None
    _db: Optional["Database"] = None

    @property
    def project(self) -> Project:
        """The project named by `--project` (or found), opened and its settings validated on first use."""
        if self._project is None:
            # A reading command given --project opens only an existing project: a typo must not create one.
            create = not (self.read_only and self.project_arg)
            self._project = open_project(resolve_project_path(self.project_arg), create=create)
        return self._project

    @property
    def settings(self) -> Settings:
        return self.project.settings

    @property
    def db(self) -> "Database":
        """The project's database, opened (and locked) on first use: commands that need none never lock it.

        A read-only command's database takes no lock, so it opens while the studio writes.
        """
        if self._db is None:
            from store.database import Database

            self._db = Database(self.project.db_path, read_only=self.read_only)
        return self._db

    def print_json(self, obj: Any) -> None:
        self.out.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")

    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def warn(self, text: str) -> None:
        self.err.write(text + "\n")

    def close(self) -> None:
        """Close the database if it was opened (once: a failed close is not retried)."""
        db, self._db = self._db, None
        if db is not None:
            # A change that was made durable succeeded, even when the compaction after it failed
            # (a full disk): say so as a warning, never as an error exit that would invite a retry.
            for warning in db.take_warnings():
                self.warn(f"Warning: {warning}")
            db.close()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="interiority",
        description="A terminal studio that turns books into fine-tuning data and fine-tunes a model on it. "
                    "Without a command it opens the studio.",
    )
    parser.add_argument("--project", metavar="PATH",
                        help="project folder (default: the current directory when it holds interiority.toml, "
                             "else the default project in your user data directory)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # a command group not built yet
                continue
            raise
        module.register(sub)
    return parser


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS keeps a value given before the command when it is not repeated after it.
    common.add_argument("--project", metavar="PATH", default=argparse.SUPPRESS,
                        help="project folder (see `interiority --help`)")
    return common


def add_command(sub: "argparse._SubParsersAction[argparse.ArgumentParser]", name: str, help: str,
                json_flag: bool = True, **kwargs: Any) -> argparse.ArgumentParser:
    """Add a subcommand that accepts `--project` (and `--json`) after its name too."""
    parser = sub.add_parser(name, help=help, description=help, parents=[_common_options()], **kwargs)
    # A nested action's default overrides its command's, so `passages add` is not read-only.
    parser.set_defaults(read_only=name in READ_ONLY_COMMANDS)
    if json_flag:
        parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    return parser


def _studio_project_arg(argv: list[str]) -> tuple[bool, Optional[str]]:
    """(True, project) when the arguments only choose a project, i.e. the studio should open.

    Checked before the parser is built, because building it imports every command
    module; the studio's first frame should not wait for that.
    """
    project: Optional[str] = None
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--project" and i + 1 < len(argv):
            project, i = argv[i + 1], i + 2
        elif arg.startswith("--project="):
            project, i = arg.split("=", 1)[1], i + 1
        else:
            return False, None
    return True, project


def _silence_stdout() -> None:
    """Point stdout at /dev/null once its reader has gone (`| head`).

    Otherwise the interpreter's last flush at exit meets the closed pipe again and
    prints "Exception ignored ... BrokenPipeError" (the recipe in Python's `signal` docs).
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        finally:
            os.close(devnull)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass  # stdout is not a file descriptor (a test's capture): nothing will flush it at exit


def _guarded(ctx: CommandContext, work: Callable[[], int]) -> int:
    """Run one command (or the studio) and turn every error a user can meet into one line on stderr.

    `UserError` and `StoreError` carry their sentence; any other `OSError` (a full disk,
    a read-only file system, a missing permission) is described by `os_error_sentence`;
    a closed pipe (`interiority examples | head`) ends quietly with exit 0, as Unix
    filters do.  Anything else is a bug and keeps its traceback.
    """
    from store import StoreError

    try:
        code = int(work() or 0)
        ctx.out.flush()  # a pipe closed early fails here, inside the guard, not at exit
        ctx.close()
        return code
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except (UserError, StoreError) as exc:
        ctx.warn(f"interiority: {exc}")
        return exc.exit_code if isinstance(exc, UserError) else 2
    except OSError as exc:
        ctx.warn(f"interiority: {os_error_sentence(exc)}")
        return 2
    except KeyboardInterrupt:
        ctx.warn("interiority: interrupted")
        return 130
    finally:
        try:
            ctx.close()
        except OSError as exc:  # closing flushes the store: a full disk can meet it here too
            ctx.warn(f"interiority: {os_error_sentence(exc)}")


def main(argv: Optional[list[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    studio, project_arg = _studio_project_arg(argv)
    if studio:
        studio_ctx = CommandContext(project_arg=project_arg)

        def open_studio() -> int:
            from tui.app import run_app

            return run_app(studio_ctx.project)

        return _guarded(studio_ctx, open_studio)
    parser = build_parser()
    args = parser.parse_args(argv)
    ctx = CommandContext(project_arg=args.project, json=getattr(args, "json", False),
                         read_only=bool(getattr(args, "read_only", False)))
    if args.command is None:  # e.g. `interiority --project P --json`: nothing to run
        parser.print_help(sys.stderr)
        return 2
    handler: Callable[[argparse.Namespace, CommandContext], int] = args.handler
    return _guarded(ctx, lambda: handler(args, ctx))


def entry_point() -> None:
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry_point()
