"""Child process for the SIGKILL test: writes records and reports each one after it is acknowledged."""

from __future__ import annotations

import sys

from store.journal import JournalDB


def main(path: str, start: int) -> None:
    db = JournalDB(path, fsync_interval=0.05)
    table = db.table("examples")
    i = start
    while True:
        if i % 3 == 0 and i > start:
            table.update({"n": i, "updated": True}, doc_ids=[i - 1 - start + 1])
        doc_id = table.insert({"n": i, "text": "x" * 1400})
        sys.stdout.write(f"{doc_id} {i}\n")
        sys.stdout.flush()
        i += 1


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
