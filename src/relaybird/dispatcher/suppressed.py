"""Issue 15: due recipients whose number the workspace has suppressed (opted out after the
upload) are not sent: they go to REMOVED with the reason "opted out", at claim time, in the
claim's own transaction (before they could take room in the messaging-limit window), and, for
those claimed just before the opt-out, when their send is marked started (the claim runs up to
two batches ahead of the sends).

REMOVED, not INVALID_RECORD: the row was valid when it was imported, and nothing about it is
wrong; the person asked not to be messaged, and the recipient is taken out of the campaign, as
an admin's removal takes it out (REMOVED is not a failure in any view; INVALID_RECORD is, and is
an import's verdict on a row). A number suppressed before the upload is the importer's
INVALID_RECORD "opted out" instead (the row was never a valid recipient of this campaign).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaybird.campaigns import service as campaigns
from relaybird.campaigns.recipients import move_recipients
from relaybird.campaigns.transitions import RecipientEvent, RecipientState
from relaybird.config import get_settings
from relaybird.consent import service as consent
from relaybird.dispatcher.repository import Due
from relaybird.models import Campaign, Recipient, Sender, Suppression


def skip_suppressed(
    session: Session,
    sender: Sender,
    campaigns: Sequence[Campaign],
    rows: list[Due],
    now: datetime,
) -> list[Due]:
    """``rows`` without the suppressed ones (moved to REMOVED). One indexed look-up when none
    is suppressed, which is the usual case."""
    if not rows:
        return rows
    hit = consent.suppressed_among(session, sender.workspace_id, [r.phone for r in rows])
    if not hit:
        return rows
    exempt = consent.rules_of(session, sender.workspace_id, get_settings()).exempt
    by_id = {c.id: c for c in campaigns}
    held = {
        cid: consent.template_is_held_back(
            session, sender.workspace_id, sender.id, c.template_name, c.template_language, exempt
        )
        for cid, c in by_id.items()
    }
    skip = [r for r in rows if r.phone in hit and held.get(r.campaign_id, True)]
    by_source: dict[RecipientState, list[int]] = {}
    for r in skip:
        by_source.setdefault(RecipientState(r.state), []).append(r.id)
    for source, ids in by_source.items():
        _remove(session, ids, source, now)
    gone = {r.id for r in skip}
    return [r for r in rows if r.id not in gone]


def drop_opted_out(session: Session, ids: Sequence[int], now: datetime) -> set[int]:
    """Of claimed recipients about to start, those whose number opted out since the claim:
    moved IN_PROGRESS → REMOVED and returned (not to be sent). One join on the suppressions'
    unique key; usually empty."""
    if not ids:
        return set()
    found = session.execute(
        select(
            Recipient.id,
            Campaign.id,
            Campaign.workspace_id,
            Campaign.sender_id,
            Campaign.template_name,
            Campaign.template_language,
        )
        .join(Campaign, Campaign.id == Recipient.campaign_id)
        .join(
            Suppression,
            (Suppression.workspace_id == Recipient.workspace_id)
            & (Suppression.phone == Recipient.phone),
        )
        .where(Recipient.id.in_(list(ids)), Recipient.state == RecipientState.IN_PROGRESS.value)
    ).all()
    if not found:
        return set()
    held: dict[int, bool] = {}
    out: list[int] = []
    for rid, cid, ws, sender_id, name, language in found:
        if cid not in held:
            exempt = consent.rules_of(session, ws, get_settings()).exempt
            held[cid] = consent.template_is_held_back(
                session, ws, sender_id, name, language, exempt
            )
        if held[cid]:
            out.append(int(rid))
    _remove(session, out, RecipientState.IN_PROGRESS, now)
    return set(out)


def _remove(session: Session, ids: Sequence[int], source: RecipientState, now: datetime) -> None:
    if ids:
        moved = move_recipients(
            session,
            ids,
            source=source,
            event=RecipientEvent.OPTED_OUT,
            target=RecipientState.REMOVED,
            actor="dispatcher",
            reason=consent.OPTED_OUT,
            values={"invalid_reason": consent.OPTED_OUT, "updated_at": now},
            at=now,
        )
        # They may have been a campaign's last: nobody records an outcome for them.
        for campaign_id in sorted({int(m.extra[0]) for m in moved if m.changed}):
            campaigns.complete_if_done(session, campaign_id, at=now)
