"""The headless command line.  `interiority` alone opens the studio; subcommands script everything.

Each module in `COMMAND_MODULES` exposes `register(subparsers)`, which adds its
subcommands with `set_defaults(handler=...)`.  A handler takes
`(args, ctx: CommandContext)` and returns an exit code.  `UserError`s become one
line on stderr and exit code 2; nothing else is caught here, so real bugs keep
their tracebacks.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, TextIO

from core.errors import UserError
from core.project import Project, open_project, resolve_project_path

COMMAND_MODULES = [
    "core.commands.library",
    "core.commands.templates",
    "core.commands.generate",
    "core.commands.review",
    "core.commands.dataset",
    "core.commands.training",
    "core.commands.planner",
]


@dataclass
class CommandContext:
    """What a handler needs: the project, its database (opened on first use), and output streams."""

    project_arg: Optional[str]
    json: bool = False
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    _project: Optional[Project] = None
    _db: Any = None

    @property
    def project(self) -> Project:
        if self._project is None:
            self._project = open_project(resolve_project_path(self.project_arg))
        return self._project

    @property
    def db(self):  # -> store.Database
        if self._db is None:
            from store import Database

            self._db = Database(self.project.db_path)
        return self._db

    def print_json(self, obj: Any) -> None:
        self.out.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")

    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def warn(self, text: str) -> None:
        self.err.write(text + "\n")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


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


def main(argv: Optional[list[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    studio, project_arg = _studio_project_arg(argv)
    if studio:
        ctx = CommandContext(project_arg=project_arg)
        try:
            from tui.app import run_app

            return run_app(ctx.project)
        except UserError as exc:
            sys.stderr.write(f"interiority: {exc}\n")
            return exc.exit_code
        finally:
            ctx.close()
    parser = build_parser()
    args = parser.parse_args(argv)
    ctx = CommandContext(project_arg=args.project, json=getattr(args, "json", False))
    try:
        if args.command is None:  # e.g. `interiority --project P --json`: nothing to run
            parser.print_help(sys.stderr)
            return 2
        handler: Callable[[argparse.Namespace, CommandContext], int] = args.handler
        return int(handler(args, ctx) or 0)
    except UserError as exc:
        sys.stderr.write(f"interiority: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("interiority: interrupted\n")
        return 130
    except Exception as exc:
        from store import StoreError

        if isinstance(exc, StoreError):
            sys.stderr.write(f"interiority: {exc}\n")
            return 2
        raise
    finally:
        ctx.close()


def entry_point() -> None:
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry_point()
