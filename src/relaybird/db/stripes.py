"""Counter rows striped by writer.

Counters moved in the same transaction as the rows they count (campaign_counts,
campaign_activity) are upserted by every writer: the applier, each worker's record transaction,
an import. On PostgreSQL a transaction holds the rows it upserted until it commits, so with one
row per campaign and state the applier waited on each worker's record transaction for the whole
of it, and they on each other (``pg_stat_activity``: ``Lock/transactionid`` behind an ``idle in
transaction`` session whose last statement was the counter upsert). Each writing thread adds to
its own stripe of rows instead; a counter is the sum over its stripes, which readers take.
"""

from __future__ import annotations

import itertools
import os
import threading

STRIPES = 64

_mine = threading.local()
_threads = itertools.count()
# Where this process's threads start: processes spread over the stripes (pids are consecutive
# more often than not; 37 is prime to 64, so neighbours land far apart).
_BASE = os.getpid() * 37


def stripe() -> int:
    """The calling thread's stripe: the threads of one process take stripes in turn (distinct
    until 64), each process from its own starting point, so concurrent writers share a row only
    when two processes' ranges meet (then one waits, as before). A counter has a few rows, one
    per thread that ever wrote it."""
    try:
        return int(_mine.stripe)
    except AttributeError:
        _mine.stripe = (_BASE + next(_threads)) % STRIPES
        return int(_mine.stripe)
