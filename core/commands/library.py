"""`interiority import|books|book|delete-book|passages`: the library from the command line."""

from __future__ import annotations

import argparse
from typing import Any

from core.cli import CommandContext, add_command
from core.errors import UserError
from store.records import Passage


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = add_command(sub, "import", help="import a book (.txt, Gutenberg .txt or .epub) or a Gutenberg number")
    p.add_argument("path", nargs="?", metavar="PATH", help="the book file")
    p.add_argument("--gutenberg", type=int, metavar="N", help="download Project Gutenberg book N instead")
    p.add_argument("--group", metavar="NAME", help="source group for dataset mixes (default: the author)")
    p.add_argument("--gutenberg-url", metavar="URL", help="Gutenberg mirror (default: $INTERIORITY_GUTENBERG_URL "
                                                          "or https://www.gutenberg.org)")
    p.set_defaults(handler=cmd_import)

    p = add_command(sub, "books", help="list the books in the library")
    p.set_defaults(handler=cmd_books)

    p = add_command(sub, "book", help="show a book's structure: parts and chapters with paragraph ranges")
    p.add_argument("book_id", type=int, metavar="BOOK_ID")
    p.set_defaults(handler=cmd_book)

    p = add_command(sub, "delete-book", help="delete a book with its passages and files", json_flag=False)
    p.add_argument("book_id", type=int, metavar="BOOK_ID")
    p.add_argument("--yes", action="store_true", help="confirm the deletion")
    p.set_defaults(handler=cmd_delete_book)

    p = add_command(sub, "passages", help="list passages, or `passages add BOOK_ID --start N --end N` to add one")
    p.add_argument("--book", type=int, metavar="ID", help="only this book's passages")
    p.set_defaults(handler=cmd_passages)
    actions = p.add_subparsers(dest="passages_action", metavar="ACTION")
    a = add_command(actions, "add", help="add a passage: a [start, end) span of a book's normalized text")
    a.add_argument("book_id", type=int, metavar="BOOK_ID")
    a.add_argument("--start", type=int, required=True, metavar="N")
    a.add_argument("--end", type=int, required=True, metavar="N")
    a.add_argument("--tag", action="append", default=[], metavar="T", help="a tag (repeatable)")
    a.add_argument("--verdict", choices=("valuable", "not", "unsure"))
    a.add_argument("--note", default="", metavar="TEXT", help="why it is valuable")
    a.add_argument("--phenomenology", default="", metavar="W", help="the experience in one or two words")
    a.add_argument("--template", action="append", default=[], metavar="ID", help="a template id (repeatable)")
    a.set_defaults(handler=cmd_passage_add)

    p = add_command(sub, "groups", help="list the source groups (author spellings merged), or merge or set them")
    p.set_defaults(handler=cmd_groups)
    actions = p.add_subparsers(dest="groups_action", metavar="ACTION")
    m = add_command(actions, "merge", help="put every book of the named groups into one group")
    m.add_argument("names", nargs="+", metavar="GROUP", help="a group name as `interiority groups` lists it")
    m.add_argument("--into", required=True, metavar="NAME", help="the merged group's name")
    m.set_defaults(handler=cmd_groups_merge)
    s = add_command(actions, "set", help="set one book's source group (\"\" goes back to its author)")
    s.add_argument("book_id", type=int, metavar="BOOK_ID")
    s.add_argument("group", metavar="NAME")
    s.set_defaults(handler=cmd_groups_set)


def cmd_import(args: argparse.Namespace, ctx: CommandContext) -> int:
    from core.library import book_row, import_book, import_gutenberg

    if bool(args.path) == (args.gutenberg is not None):
        raise UserError("Give either a PATH or --gutenberg N (not both, not neither).")
    if args.gutenberg is not None:
        book = import_gutenberg(ctx.project, ctx.db, args.gutenberg, base_url=args.gutenberg_url, group=args.group)
    else:
        book = import_book(ctx.project, ctx.db, args.path, group=args.group)
    if ctx.json:
        ctx.print_json(book_row(book).as_json())
    else:
        ctx.print(f"Imported book {book.id}: {book.title} by {book.author or 'unknown'} "
                  f"({book.chars:,} chars, {book.part_count} parts, {book.chapter_count} chapters, "
                  f"{book.paragraph_count} paragraphs).")
    return 0


def cmd_books(args: argparse.Namespace, ctx: CommandContext) -> int:
    from core.library import book_rows

    rows = book_rows(ctx.db)
    if ctx.json:
        ctx.print_json([row.as_json() for row in rows])
        return 0
    if not rows:
        ctx.print("The library is empty; add a book with `interiority import PATH` or `--gutenberg N`.")
        return 0
    ctx.print(f"{'id':>4}  {'title':<32} {'author':<22} {'chars':>10} {'chap':>5} {'pass':>5} {'ex':>5} {'acc':>5}")
    for r in rows:
        ctx.print(f"{r.id:>4}  {r.title[:32]:<32} {r.author[:22]:<22} {r.chars:>10,} "
                  f"{r.chapters:>5} {r.passages:>5} {r.examples:>5} {r.accepted:>5}")
    return 0


def cmd_book(args: argparse.Namespace, ctx: CommandContext) -> int:
    from core.library import book_outline

    info = book_outline(ctx.project, ctx.db, args.book_id)
    if ctx.json:
        ctx.print_json(info)
        return 0
    ctx.print(f"Book {info['id']}: {info['title']} by {info['author'] or 'unknown'}; {info['chars']:,} chars, "
              f"{info['paragraphs']} paragraphs, {len(info['parts'])} parts, {len(info['chapters'])} chapters")
    part = None
    for chapter in info["chapters"]:
        if chapter["part"] != part:
            part = chapter["part"]
            if part:
                ctx.print(part)
        first, end = chapter["paragraphs"]
        ctx.print(f"{'  ' if part else ''}{chapter['title']}  (paragraphs {first}-{end - 1})")
    return 0


def cmd_delete_book(args: argparse.Namespace, ctx: CommandContext) -> int:
    from core.library import delete_book, get_book

    book = get_book(ctx.db, args.book_id)
    if not args.yes:
        raise UserError(f"Deleting book {book.id} ({book.title}) also deletes its passages; "
                        f"add --yes to confirm.")
    deleted = delete_book(ctx.project, ctx.db, book.id)
    ctx.print(deleted.sentence())
    return 0 if not deleted.refused_files else 1


def _passage_row(p: Passage) -> dict[str, Any]:
    return {"id": p.id, "book_id": p.book_id, "start": p.start, "end": p.end, "text": p.text, "tags": p.tags,
            "verdict": p.verdict, "note": p.note, "phenomenology": p.phenomenology,
            "template_ids": p.template_ids}


def cmd_passages(args: argparse.Namespace, ctx: CommandContext) -> int:
    from core.library import get_book

    if args.book is not None:
        get_book(ctx.db, args.book)
        passages = ctx.db.passages.for_book(args.book)
    else:
        passages = sorted(ctx.db.passages.all(), key=lambda p: (p.book_id, p.start, p.end))
    if ctx.json:
        ctx.print_json([_passage_row(p) for p in passages])
        return 0
    if not passages:
        ctx.print("No passages yet; add one with `interiority passages add BOOK_ID --start N --end N`.")
    for p in passages:
        snippet = " ".join(p.text.split())
        snippet = snippet if len(snippet) <= 60 else snippet[:57] + "..."
        ctx.print(f"{p.id:>5}  book {p.book_id} [{p.start}, {p.end})  {p.verdict or '-':<8} "
                  f"{','.join(p.tags) or '-':<20} {snippet}")
    return 0


def cmd_passage_add(args: argparse.Namespace, ctx: CommandContext) -> int:
    from core.passages import create_passage

    passage = create_passage(ctx.project, ctx.db, args.book_id, args.start, args.end, tags=args.tag,
                             verdict=args.verdict or "", note=args.note, phenomenology=args.phenomenology,
                             template_ids=args.template)
    if ctx.json:
        ctx.print_json(_passage_row(passage))
    else:
        ctx.print(f"Added passage {passage.id} to book {passage.book_id} [{passage.start}, {passage.end}).")
    return 0


def cmd_groups(args: argparse.Namespace, ctx: CommandContext) -> int:
    from core.library.authors import source_groups

    groups = source_groups(ctx.db.books)
    if ctx.json:
        ctx.print_json([g.to_dict() for g in groups])
        return 0
    if not groups:
        ctx.print("No books yet, so no source groups; import one with `interiority import PATH`.")
    for group in groups:
        others = [s for s in group.spellings if s != group.name]
        merged = f"  (also spelt: {'; '.join(others)})" if others else ""
        ctx.print(f"{group.name}: {len(group.book_ids)} book{'s' if len(group.book_ids) != 1 else ''} "
                  f"({', '.join(str(i) for i in group.book_ids)}){merged}")
    return 0


def _spelt(display: str, own: str) -> str:
    """" (spelt X on the book)" when the group goes by another spelling of the same writer, else ""."""
    return f" (spelt {own!r} on the book, the same writer)" if display != own else ""


def cmd_groups_merge(args: argparse.Namespace, ctx: CommandContext) -> int:
    from core.library.authors import merge_groups, source_group_of

    books = merge_groups(ctx.db, args.names, args.into)
    own = books[0].group if books else args.into
    display = source_group_of(ctx.db.books, books[0].id) if books else own
    holds = source_groups_books(ctx, display)
    if ctx.json:
        ctx.print_json({"group": own, "source_group": display, "books": [b.id for b in books],
                        "group_books": holds})
    else:
        ctx.print(f"Source group {display!r}{_spelt(display, own)} now holds books {', '.join(map(str, holds))}.")
    return 0


def source_groups_books(ctx: CommandContext, name: str) -> list[int]:
    """Every book of the source group `name` (a merge into an existing writer's name joins its books too)."""
    from core.library.authors import source_groups

    return next((g.book_ids for g in source_groups(ctx.db.books) if g.name == name), [])


def cmd_groups_set(args: argparse.Namespace, ctx: CommandContext) -> int:
    from core.library.authors import set_book_group, source_group_of

    book = set_book_group(ctx.db, args.book_id, args.group)
    display = source_group_of(ctx.db.books, book.id)
    if ctx.json:
        ctx.print_json({"book": book.id, "group": book.group, "source_group": display})
    else:
        ctx.print(f"Book {book.id} ({book.title}) is in the source group {display!r}{_spelt(display, book.group)}.")
    return 0
