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

import threading

STRIPES = 64


def stripe() -> int:
    """The calling thread's stripe. Thread ids are unique across the machine's processes, so
    concurrent writers share a row only when two ids fall on the same stripe (then one waits,
    as before); a counter has a few rows, one per thread that ever wrote it."""
    return threading.get_native_id() % STRIPES
