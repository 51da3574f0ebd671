"""Segment benchmark: a campaign's recipients from a segment of N WhatsApp contacts (default
10,000; goal ≤ 2 s), into a fresh SQLite database (or RELAYBIRD_BENCH_DATABASE_URL).

The workspace holds 2·N contacts: half tagged `vip` with attribute `city=Paris` (the segment),
half not; 1 % of the segment already in the campaign (deduplicated) and 1 % suppressed. Prints
the time of `add_segment` (the whole POST .../recipients/from-segment transaction: the filtered
read, the duplicate and suppression checks, the multi-row INSERTs and counters), median of 3
fresh runs, beside the baseline of reading the same contacts with no filter and no insert.

    .venv/bin/python bench/segment.py [--contacts 10000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from seed import add_campaign, add_sender
from sqlalchemy import select

from relaybird.config import Settings
from relaybird.context import AppContext

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def run(n: int, workdir: Path, tag: str) -> tuple[float, float, dict[str, int]]:
    from relaybird.auth import service as auth
    from relaybird.campaigns.recipients import import_recipients
    from relaybird.campaigns.segments import add_segment
    from relaybird.consent import service as consent
    from relaybird.consent.schemas import Source
    from relaybird.contacts.segments import SegmentFilter
    from relaybird.db import migrate
    from relaybird.db.bulk import insert_rows
    from relaybird.models import Contact, User

    url = os.environ.get("RELAYBIRD_BENCH_DATABASE_URL") or f"sqlite:///{workdir / f'{tag}.db'}"
    migrate.upgrade(url)
    ctx = AppContext.from_settings(Settings(database_url=url))
    now = ctx.clock.now()
    with ctx.db.write() as s:
        ws = auth.ensure_workspace(s, f"bench-{tag}")
        user = User(
            workspace_id=ws.id,
            name="u",
            email=f"u-{tag}@example.com",
            role="ADMIN",
            created_at=now,
            updated_at=now,
        )
        s.add(user)
        sender = add_sender(s, ws.id, f"b-{tag}")
        campaign = add_campaign(
            s, ws.id, sender.id, body_params=["first_name", "city"], state="NOT_STARTED"
        )
        rows = []
        for i in range(2 * n):
            vip = i % 2 == 0
            rows.append(
                (
                    ws.id,
                    "WHATSAPP",
                    user.id,
                    f"n{i}",
                    f"+1212{2000000 + i:07d}",
                    "CONFIRMED",
                    ["vip"] if vip else ["other"],
                    {"city": "Paris" if vip else "Rome"},
                    now,
                    now,
                )
            )
        table = Contact.__table__
        insert_rows(
            s,
            table,  # type: ignore[arg-type]
            (
                "workspace_id",
                "network",
                "owner_user_id",
                "first_name",
                "phone",
                "status",
                "tags",
                "attributes",
                "created_at",
                "updated_at",
            ),
            rows,
        )
        already = [
            {
                "workspace_id": ws.id,
                "campaign_id": campaign.id,
                "row_number": k + 2,
                "phone": f"+1212{2000000 + i:07d}",
                "raw_phone": None,
                "params": [],
                "state": "INITIAL",
                "attempts": 0,
                "invalid_reason": None,
                "created_at": now,
                "updated_at": now,
            }
            for k, i in enumerate(range(0, 2 * n, 200))
        ]
        import_recipients(s, campaign.id, already)
        for i in range(100, 2 * n, 200):
            consent.suppress(
                s,
                ws.id,
                f"+1212{2000000 + i:07d}",
                Source.MANUAL,
                reason=None,
                actor="bench",
                now=now,
            )
        ws_id, cid = ws.id, campaign.id
    started = time.perf_counter()
    with ctx.db.read() as s:
        count = len(
            s.execute(
                select(Contact.id, Contact.phone, Contact.tags, Contact.attributes).where(
                    Contact.workspace_id == ws_id
                )
            ).all()
        )
    baseline = time.perf_counter() - started
    assert count == 2 * n
    started = time.perf_counter()
    with ctx.db.write() as s:
        summary = add_segment(
            s,
            ws_id,
            cid,
            SegmentFilter(tags_all=["vip"], attributes={"city": "Paris"}),
            settings=ctx.settings,
            at=now,
        )
    took = time.perf_counter() - started
    ctx.db.dispose()
    return took, baseline, summary.model_dump()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    args = parser.parse_args()
    times, bases = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(3):
            took, base, summary = run(args.contacts, Path(tmp), f"r{k}")
            times.append(took)
            bases.append(base)
    print(f"segment of {args.contacts:,} contacts (of {2 * args.contacts:,}): {summary}")
    print(
        f"add_segment: median {statistics.median(times):.3f} s (goal <= 2 s); "
        f"runs {', '.join(f'{t:.3f}' for t in times)}"
    )
    print(
        f"baseline (read every contact's id/phone/tags/attributes): "
        f"median {statistics.median(bases):.3f} s"
    )


if __name__ == "__main__":
    main()
