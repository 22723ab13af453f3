"""Child process for the read-only tests: appends paired records (one transaction each) and compacts often.

Each step inserts document n into both "left" and "right" in one transaction, so a reader that
ever sees one without the other has read half a record.
"""

from __future__ import annotations

import sys

from store.journal import JournalDB


def main(path: str) -> None:
    db = JournalDB(path, fsync_interval=0.05, compact_min_bytes=48 * 1024, compact_ratio=1.0)
    left, right = db.table("left"), db.table("right")
    n = 0
    while True:
        n += 1
        with db.transaction():
            left.insert({"n": n, "text": "l" * (200 + n % 700)})
            right.insert({"n": n, "text": "r" * (300 + n % 500)})
        if n == 1 or n % 50 == 0:
            sys.stdout.write(f"{n}\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1])
