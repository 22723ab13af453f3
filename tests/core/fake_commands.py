"""A command group for the CLI tests only: commands that fail the ways the outside world makes commands fail."""

from __future__ import annotations

import argparse
import errno
import os
from typing import Any

from core.cli import CommandContext, add_command

FAILURES: dict[str, BaseException] = {
    "enospc": OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/p/db/journal.jsonl"),
    "erofs": OSError(errno.EROFS, os.strerror(errno.EROFS), "/p/exports/build-1/train.jsonl"),
    "eacces": PermissionError(errno.EACCES, os.strerror(errno.EACCES), "/p/library/book.txt"),
    "nameless": OSError(errno.EIO, os.strerror(errno.EIO)),
}


def _print_lines(args: argparse.Namespace, ctx: CommandContext) -> int:
    for index in range(args.lines):
        ctx.print(f"line {index} " + "x" * 60)
    return 0


def _fail(args: argparse.Namespace, ctx: CommandContext) -> int:
    raise FAILURES[args.how]


def _touch_project(args: argparse.Namespace, ctx: CommandContext) -> int:
    ctx.print(str(ctx.project.root))
    return 0


def register(sub: "argparse._SubParsersAction[Any]") -> None:
    lines = add_command(sub, "test-lines", "print many lines")
    lines.add_argument("--lines", type=int, default=100_000)
    lines.set_defaults(handler=_print_lines)
    fail = add_command(sub, "test-fail", "fail with an OSError")
    fail.add_argument("how", choices=sorted(FAILURES))
    fail.set_defaults(handler=_fail)
    add_command(sub, "test-project", "open the project").set_defaults(handler=_touch_project)
