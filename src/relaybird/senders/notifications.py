"""Telling people: a number became FLAGGED or RESTRICTED, or its limit changed (DESIGN.md §2.1).

Each notice is an outbox event plus an e-mail to every active admin of the workspace, written
in the transaction of the change. The e-mail's dedupe key names the change itself (the number,
the kind, and the moment or tiers that identify it), so one change is mailed once even when
several signals report it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from relaybird.events.mail import queue_email
from relaybird.events.outbox import emit
from relaybird.kit.time import rfc3339
from relaybird.models import Sender
from relaybird.senders import repository
from relaybird.senders.lifecycle import Step


@dataclass(frozen=True)
class Notice:
    kind: str  # flagged | restricted | limit_changed
    marker: str  # what identifies this change (dedupe)
    subject: str
    text: str


def notices(sender: Sender, step: Step, now: datetime, explanation: str | None) -> list[Notice]:
    label = f"{sender.name} ({sender.display_phone_number})"
    found: list[Notice] = []
    if step.became_flagged:
        found.append(
            Notice(
                "flagged",
                rfc3339(step.after.flagged_at) or "",
                f"Sender {label} is FLAGGED: quality rating LOW",
                "Its quality rating dropped to LOW. If quality is back to HIGH or MEDIUM and "
                "holds for 7 days it returns to CONNECTED with the same limit; otherwise "
                + (
                    "it returns to CONNECTED one tier lower."
                    if step.after.model == "PER_NUMBER"
                    else "it returns to CONNECTED (per-portfolio limits do not drop on quality)."
                ),
            )
        )
    if step.became_restricted:
        found.append(
            Notice(
                "restricted",
                rfc3339(now) or "",
                f"Sender {label} is RESTRICTED",
                f"Business-initiated (template) messages are stopped: {step.reason}. Replies "
                "inside an open customer-service window still go out; campaigns wait and resume "
                "by themselves.",
            )
        )
    if step.limit_changed:
        found.append(
            Notice(
                "limit_changed",
                f"{step.before.limit}>{step.after.limit}@{rfc3339(now)}",
                f"Sender {label}: messaging limit {step.before.limit} → {step.after.limit}",
                f"Its messaging limit changed from {step.before.limit} to {step.after.limit} "
                f"({step.reason}).",
            )
        )
    if explanation:
        found = [
            Notice(n.kind, n.marker, n.subject, f"{n.text}\n\nNext: {explanation}.") for n in found
        ]
    return found


def send(
    session: Session, sender: Sender, step: Step, now: datetime, explanation: str | None = None
) -> list[Notice]:
    """Emit the events and queue the e-mails for ``step``; returns what was noticed."""
    found = notices(sender, step, now, explanation)
    if not found:
        return found
    admins = repository.admin_emails(session, sender.workspace_id)
    for notice in found:
        emit(
            session,
            workspace_id=sender.workspace_id,
            type=f"sender.{notice.kind}",
            entity="sender",
            entity_id=sender.id,
            data={
                "id": sender.id,
                "status": str(step.after.status),
                "messaging_limit": str(step.after.limit),
                "previous_messaging_limit": str(step.before.limit),
                "quality_rating": str(step.after.quality),
                "reason": step.reason,
                "next": explanation,
            },
            at=now,
        )
        for address in admins:
            queue_email(
                session,
                workspace_id=sender.workspace_id,
                to=address,
                subject=notice.subject,
                body=notice.text,
                kind=f"sender.{notice.kind}",
                at=now,
                dedupe_key=_dedupe_key(sender.id, notice, address),
            )
    return found


def _dedupe_key(sender_id: int, notice: Notice, address: str) -> str:
    # Hashed: an address alone may be 320 characters; the key column holds 200.
    digest = hashlib.sha256(f"{notice.marker}|{address}".encode()).hexdigest()
    return f"sender:{sender_id}:{notice.kind}:{digest}"
