"""Answer benchmark: answering campaign replies (rooms/answers.answer_reply, the whole write of
POST .../replies/{id}/answer: the reply and its number's last message looked up across the
sender's campaigns, the contact and room found or created, the reply put in the room, the text
queued) beside the baseline of queueing the same texts in rooms that already exist
(rooms/messages.post_outbound alone, the same send path). Nothing is sent: the provider call is
the same either way and not what is measured.

The sender has C campaigns of R recipients (default 20 × 10,000 = 200,000 recipients); A numbers
(default 300) replied to the last one. Each run answers every reply twice (the first answer opens
the contact and room, the second reuses them), one transaction per answer, in a fresh SQLite
database (or RELAYBIRD_BENCH_DATABASE_URL). Prints answers/s, the baseline's messages/s and the
ratio, medians of --runs (default 3).

    .venv/bin/python bench/answers.py [--campaigns 20] [--recipients 10000] [--answers 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from seed import add_campaign, add_sender
from sqlalchemy import select

from relaybird.config import Settings
from relaybird.context import AppContext

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def run(
    campaigns: int, recipients: int, answers_n: int, workdir: Path, tag: str
) -> tuple[float, float]:
    from relaybird.auth import service as auth
    from relaybird.db import migrate
    from relaybird.db.bulk import insert_rows
    from relaybird.models import CampaignReply, Recipient, User
    from relaybird.rooms import answers, messages, service

    url = os.environ.get("RELAYBIRD_BENCH_DATABASE_URL") or f"sqlite:///{workdir / f'{tag}.db'}"
    migrate.upgrade(url)
    ctx = AppContext.from_settings(Settings(database_url=url))
    now = ctx.clock.now()
    sent = now - timedelta(hours=2)
    with ctx.db.write() as s:
        ws = auth.ensure_workspace(s, f"bench-{tag}").id
        s.add(User(workspace_id=ws, name="u", email=f"u-{tag}@example.com", role="agent"))
        sender = add_sender(s, ws, f"b-{tag}")
        cids = []
        for c in range(campaigns):
            campaign = add_campaign(
                s, ws, sender.id, body_params=[], state="COMPLETED", name=f"c{c}"
            )
            cids.append(campaign.id)
        sender_id = sender.id
    for cid in cids:
        rows = [
            {
                "workspace_id": ws,
                "campaign_id": cid,
                "row_number": i + 2,
                "phone": f"+1212{i:07d}",
                "params": [],
                "state": "DELIVERED",
                "wamid": f"w-{cid}-{i}",
                "attempts": 1,
                "send_started_at": sent,
                "created_at": sent,
                "updated_at": sent,
            }
            for i in range(recipients)
        ]
        with ctx.db.write() as s:
            columns = list(rows[0])
            insert_rows(s, Recipient.__table__, columns, [[r[c] for c in columns] for r in rows])
    last = cids[-1]
    with ctx.db.write() as s:
        ids = list(
            s.scalars(
                select(Recipient.id)
                .where(Recipient.campaign_id == last)
                .order_by(Recipient.id)
                .limit(answers_n)
            )
        )
        replies = []
        for n, rid in enumerate(ids):
            reply = CampaignReply(
                workspace_id=ws,
                campaign_id=last,
                recipient_id=rid,
                wamid=f"in-{n}",
                type="text",
                text="yes",
                received_at=now - timedelta(hours=1),
            )
            s.add(reply)
            replies.append(reply)
        s.flush()
        reply_ids = [r.id for r in replies]

    started = time.perf_counter()
    rooms: list[int] = []
    for _ in range(2):
        for reply_id in reply_ids:
            with ctx.db.write() as s:
                done = answers.answer_reply(
                    s, ctx.settings, ws, last, reply_id, text="hi", user_id=None, actor="b", now=now
                )
                rooms.append(done.room.id)
    answer_s = time.perf_counter() - started

    started = time.perf_counter()
    for room_id in rooms:
        with ctx.db.write() as s:
            room = service.get_room(s, ws, room_id, lock=True)
            messages.post_outbound(
                s, room, text="hi", template=None, author_user_id=None, actor="b", now=now
            )
    baseline_s = time.perf_counter() - started
    ctx.db.dispose()
    assert len(set(rooms)) == len(reply_ids) and sender_id
    return len(rooms) / answer_s, len(rooms) / baseline_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=20)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--answers", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="relaybird-bench-answers-") as tmp:
        results = [
            run(args.campaigns, args.recipients, args.answers, Path(tmp), f"r{i}")
            for i in range(args.runs)
        ]
    answer = statistics.median(a for a, _ in results)
    baseline = statistics.median(b for _, b in results)
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(
        f"{args.campaigns} campaigns x {args.recipients:,} recipients, {args.answers} replies "
        f"answered twice, {args.runs} runs (load average {' '.join(load)})"
    )
    print(f"answers/s (median):              {answer:,.0f}")
    print(f"baseline room messages/s:        {baseline:,.0f}")
    print(f"ratio answer / baseline:         {answer / baseline:.2f}")
    for i, (a, b) in enumerate(results, 1):
        print(f"  run {i}: {a:,.0f} answers/s, {b:,.0f} messages/s")


if __name__ == "__main__":
    main()
