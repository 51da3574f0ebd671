"""Run a relaybird command counting the SQL statements it sends (bench only, never in the
product): ``python bench/sqlcount.py OUT.json relaybird-args...``.

A global SQLAlchemy ``before_cursor_execute`` hook counts each statement (its text, numbers
and long IN lists folded) and each COMMIT; at exit the counts go to OUT.json. What
``pg_stat_statements`` would say, where the server cannot load it without a restart.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import re
import sys
import threading
from collections import Counter
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

COUNTS: Counter[str] = Counter()
ROWS: Counter[str] = Counter()
_LOCK = threading.Lock()
_FOLD = re.compile(r"\(\s*(?:%\(\w+\)s|\?|\$\d+)(?:\s*,\s*(?:%\(\w+\)s|\?|\$\d+))*\s*\)")


def _key(statement: str) -> str:
    folded = _FOLD.sub("(…)", " ".join(statement.split()))
    return re.sub(r"__\[POSTCOMPILE_\w+\]", "(…)", folded)[:300]


def _before(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    key = _key(statement)
    with _LOCK:
        COUNTS[key] += 1
        ROWS[key] += len(parameters) if executemany and parameters else 1


def _commit(conn: Any) -> None:
    with _LOCK:
        COUNTS["COMMIT"] += 1


def _dump(path: str) -> None:
    with open(path, "w") as f:
        json.dump({"statements": dict(COUNTS), "rows": dict(ROWS)}, f, indent=1)


def main() -> None:
    out, args = sys.argv[1], sys.argv[2:]
    event.listen(Engine, "before_cursor_execute", _before)
    event.listen(Engine, "commit", _commit)
    atexit.register(_dump, out)
    sys.argv = ["relaybird", *args]
    from relaybird.cli.main import main as relaybird

    with contextlib.suppress(SystemExit):
        relaybird()


if __name__ == "__main__":
    main()
