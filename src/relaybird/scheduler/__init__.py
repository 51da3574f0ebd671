"""Due work on timers: one loop runs every registered job at its interval (DESIGN.md §4).

Each domain keeps its jobs in its own ``jobs.py`` and registers them in
``relaybird.wiring.registered_jobs()`` (one line each): a job is a plain function
``job(ctx) -> int`` (how much it did) that opens its own short transactions, so tests call it
directly with a ManualClock.
"""
