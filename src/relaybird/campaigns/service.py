"""Campaign rules: the lifecycle moves, removal and end, summaries, replies.

Every status change goes through the lifecycle tables (campaigns/transitions.py) via
events/transitions.py; recipients move only through campaigns/recipients.py so the per-state
counters stay equal to the rows. Callers own the transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from relaybird.campaigns import repository, templating
from relaybird.campaigns.rates import Totals
from relaybird.campaigns.recipients import move_recipient, move_recipients
from relaybird.campaigns.schemas import (
    ButtonCount,
    CampaignCreate,
    CampaignOut,
    SendWindowOut,
    TemplateOut,
)
from relaybird.campaigns.transitions import (
    ALLOWS_REMOVAL,
    CAMPAIGN,
    CLAIMABLE,
    FAILED_STATES,
    CampaignEvent,
    CampaignState,
    RecipientEvent,
    RecipientState,
)
from relaybird.campaigns.windows import Window
from relaybird.db.notify import DISPATCH, notify
from relaybird.errors import Conflict, IllegalTransition, InvalidInput, NotFound, found
from relaybird.events.transitions import Moved, apply_transition, history, record
from relaybird.kit.pagination import Page, decode_key_cursor, encode_key_cursor, paginate
from relaybird.kit.time import readable, utcnow
from relaybird.models import Campaign, CampaignReply, Recipient, Sender, Template, Transition
from relaybird.templates import service as templates

PENDING = (RecipientState.INITIAL, RecipientState.IN_PROGRESS, RecipientState.RETRY_SCHEDULED)
# Senders in these statuses send nothing business-initiated; a RUNNING campaign on one waits.
SENDER_WAITS = {
    "PENDING": "the sender is not registered yet (PENDING)",
    "OFFLINE": "the sender is OFFLINE",
    "BANNED": "the sender is BANNED",
    "RESTRICTED": "the sender reached its messaging limit (RESTRICTED)",
}


@dataclass(frozen=True)
class Summary:
    campaign: Campaign
    counts: dict[str, int]
    waiting_reason: str | None
    # A RUNNING campaign with a send window: the zones with recipients still to send, and when
    # the first of them opens while none is open (the waiting state; the ETA counts it).
    window_zones: tuple[int, ...] = ()
    next_window_at: datetime | None = None

    @property
    def window(self) -> Window | None:
        stored = self.campaign.send_window
        return None if stored is None else Window.of(stored)

    def sending_time(self, work: timedelta, now: datetime) -> timedelta:
        """``work`` of sending, stretched by the closed hours of its send window."""
        window = self.window
        if window is None or not self.window_zones:
            return work
        return window.sending_time(self.window_zones, now, work)

    @property
    def failed_parts(self) -> dict[str, int]:
        """The failed states (FAILED_STATES) with recipients in them, and how many."""
        return {s.value: n for s in FAILED_STATES if (n := self.counts.get(s.value, 0))}

    @property
    def failed(self) -> int:
        """Recipients in a failed final state, whichever (see FAILED_STATES)."""
        return sum(self.failed_parts.values())

    @property
    def reply_rate(self) -> float:
        """Replied / delivered (campaigns/rates.py); 0 before any delivery."""
        return Totals.of(self.counts, replied=self.campaign.reply_count).reply_rate or 0.0


def get(session: Session, workspace_id: int, campaign_id: int) -> Campaign:
    return found(
        repository.get_campaign(session, workspace_id, campaign_id), f"campaign {campaign_id}"
    )


def create(
    session: Session, workspace_id: int, body: CampaignCreate, *, actor: str, at: datetime
) -> Campaign:
    # Every problem in one answer (issue 12 item 8): the body's checks, then the look-up.
    problems: list[dict[str, str]] = []
    params = [p.strip() for p in body.template.body_params]
    if any(not p for p in params):
        problems.append({"field": "template.body_params", "msg": "column names must not be empty"})
    elif len({p.lower() for p in params}) != len(params):
        problems.append({"field": "template.body_params", "msg": "a column is named twice"})
    if body.start_at is not None and body.start_at.tzinfo is None:
        problems.append(
            {"field": "start_at", "msg": "give a time zone (RFC 3339, e.g. 2026-01-05T09:00:00Z)"}
        )
    sender = repository.get_sender(session, workspace_id, body.sender_id)
    resolved = templating.Resolved()
    if sender is None:
        problems.append(
            {"field": "sender_id", "msg": f"no sender {body.sender_id} in this workspace"}
        )
    elif templating.wants_catalogue(body.template):
        resolved = templating.resolve_spec(session, workspace_id, sender, body.template)
        problems += resolved.problems
    else:
        assert body.template.name is not None and body.template.language is not None
        problems += template_problems(
            session, workspace_id, sender, body.template.name, body.template.language, params
        )
    if problems:
        detail = "; ".join(f"{e['field']}: {e['msg']}" for e in problems)
        raise InvalidInput(detail, errors=problems)
    template, mapping = resolved.template, resolved.mapping
    campaign = repository.add_campaign(
        session,
        workspace_id=workspace_id,
        sender_id=body.sender_id,
        name=body.name,
        template_name=template.name if template else body.template.name,
        template_language=template.language if template else body.template.language,
        body_params=resolved.columns if mapping is not None else params,
        template_id=template.id if template else None,
        template_mapping=None if mapping is None else mapping.model_dump(exclude_none=True),
        state=CampaignState.NOT_STARTED.value,
        start_at=body.start_at,
        quality_guard=body.quality_guard,
        quality_guard_yellow=body.quality_guard_yellow,
        auto_resume=body.auto_resume,
        send_window=None if body.send_window is None else body.send_window.stored(),
        created_at=at,
        updated_at=at,
    )
    CAMPAIGN.resolve(None, CampaignEvent.CREATED, CampaignState.NOT_STARTED)
    record(
        session,
        CAMPAIGN,
        [Moved(campaign.id, workspace_id, None, CampaignState.NOT_STARTED.value)],
        event=CampaignEvent.CREATED,
        actor=actor,
        at=at,
    )
    return campaign


def _move(
    session: Session,
    campaign_id: int,
    event: CampaignEvent,
    *,
    actor: str,
    at: datetime,
    workspace_id: int | None = None,
    reason: str | None = None,
    target: CampaignState | None = None,
    **values: object,
) -> Moved:
    moved = apply_transition(
        session,
        CAMPAIGN,
        Campaign,
        campaign_id,
        event=event,
        target=target,
        actor=actor,
        workspace_id=workspace_id,
        reason=reason,
        values={"updated_at": at, **values},
        at=at,
    )
    if moved.changed and moved.target == CampaignState.RUNNING:
        notify(session, DISPATCH)  # a worker picks the campaign up now, not at its next poll
    return moved


def template_problems(
    session: Session,
    workspace_id: int,
    sender: Sender,
    name: str,
    language: str,
    body_params: list[str],
) -> list[dict[str, str]]:
    """The campaign's template checked against its sender's catalogue (issue 14): missing, not
    sendable, or not fillable from ``body_params``. An account with no catalogue yet (never
    synced, or no ``waba_id``) is not checked: the name stays free text, as before."""
    if not templates.has_catalogue(session, workspace_id, sender.waba_id):
        return []
    try:
        template = templates.resolve_template(
            session, workspace_id, sender.id, name=name, language=language
        )
    except InvalidInput as exc:
        return [{"field": "template", "msg": exc.detail}]
    return [
        {"field": "template", "msg": m} for m in templates.campaign_problems(template, body_params)
    ]


def stored_template_problems(session: Session, campaign: Campaign) -> list[dict[str, str]]:
    """The campaign's template against its catalogue as it is now: a mapped one (template and
    every slot), or a body-only one (``template_problems``)."""
    mapped = templating.stored_problems(session, campaign)
    if mapped is not None:
        return mapped
    sender = repository.get_sender(session, campaign.workspace_id, campaign.sender_id)
    if sender is None:
        return []
    return template_problems(
        session,
        campaign.workspace_id,
        sender,
        campaign.template_name,
        campaign.template_language,
        list(campaign.body_params),
    )


def _check_template(session: Session, workspace_id: int, campaign_id: int) -> None:
    """Start and resume refuse a campaign whose template its catalogue says cannot be sent."""
    problems = stored_template_problems(session, get(session, workspace_id, campaign_id))
    if problems:
        raise InvalidInput("; ".join(e["msg"] for e in problems), errors=problems)


def start(
    session: Session, workspace_id: int, campaign_id: int, *, actor: str, at: datetime
) -> Moved:
    _check_template(session, workspace_id, campaign_id)
    return _move(
        session,
        campaign_id,
        CampaignEvent.START,
        actor=actor,
        at=at,
        workspace_id=workspace_id,
        started_at=at,
    )


def start_scheduled(session: Session, campaign_id: int, *, at: datetime) -> Moved:
    """Its start time came. No one is there to read a 422: when the catalogue says its template
    cannot be sent (paused since it was scheduled...), it starts and the engine pauses it at
    once with that reason, in the same transaction (no send is made)."""
    moved = _move(
        session,
        campaign_id,
        CampaignEvent.SCHEDULED_START,
        target=CampaignState.RUNNING,
        actor="scheduler",
        at=at,
        reason="its start time came",
        started_at=at,
    )
    campaign = session.get(Campaign, campaign_id)
    if moved.changed and campaign is not None:
        problems = stored_template_problems(session, campaign)
        if problems:
            reason = "; ".join(e["msg"] for e in problems)
            auto_pause(session, campaign_id, reason, at=at, actor="scheduler")
    return moved


def pause(
    session: Session,
    workspace_id: int,
    campaign_id: int,
    *,
    actor: str,
    at: datetime,
    reason: str | None = None,
) -> Moved:
    text = reason or "paused by an admin"
    return _move(
        session,
        campaign_id,
        CampaignEvent.PAUSE,
        actor=actor,
        at=at,
        workspace_id=workspace_id,
        reason=text,
        pause_reason=text,
        paused_by="admin",
    )


def auto_pause(
    session: Session,
    campaign_id: int,
    reason: str,
    *,
    at: datetime,
    actor: str = "dispatcher",
    template_id: int | None = None,
) -> Moved:
    """The engine pauses a RUNNING campaign (template or sender stop); a repeat is a no-op.
    ``template_id``: the template whose stop it is (what an auto-resume waits for)."""
    return _move(
        session,
        campaign_id,
        CampaignEvent.AUTO_PAUSE,
        target=CampaignState.PAUSED,
        actor=actor,
        at=at,
        reason=reason,
        pause_reason=reason,
        paused_by="engine",
        paused_template_id=template_id,
    )


def pause_for_template(session: Session, template: Template, *, at: datetime) -> list[int]:
    """A template that cannot be sent any more (Meta paused, disabled, rejected it...) pauses
    every RUNNING campaign of its workspace sending it from its business account, at once, in
    the caller's transaction (the engine's ``auto_pause``, the reason naming the template, its
    status and Meta's words). Returns the campaigns paused; a sendable template pauses none."""
    if templates.is_sendable(template):
        return []
    reason = templates.stop_reason(template)
    paused = []
    for campaign_id in repository.running_on_template(
        session, template.workspace_id, template.waba_id, template.name, template.language
    ):
        # Paused by an admin or ended meanwhile: nothing to do.
        with contextlib.suppress(IllegalTransition):
            if auto_pause(
                session,
                campaign_id,
                reason,
                at=at,
                actor="template-webhook",
                template_id=template.id,
            ).changed:
                paused.append(campaign_id)
    return paused


def guard_quality(session: Session, template: Template, *, at: datetime) -> list[int]:
    """The template's quality turned RED (or YELLOW): every RUNNING campaign on it that opted
    into the quality guard (YELLOW: those that asked for it too) is paused by the engine, before
    Meta pauses the template or flags the number. Returns the campaigns paused."""
    quality = template.quality_score
    if quality not in ("RED", "YELLOW"):
        return []
    reason = f"quality guard: template {template.name!r} ({template.language}) quality is {quality}"
    paused = []
    for campaign in repository.running_with_template(session, template.id):
        if not campaign.quality_guard or (
            quality == "YELLOW" and not campaign.quality_guard_yellow
        ):
            continue
        with contextlib.suppress(IllegalTransition):
            if auto_pause(
                session, campaign.id, reason, at=at, actor="quality-guard", template_id=template.id
            ).changed:
                paused.append(campaign.id)
    return paused


def resume_for_template(session: Session, template: Template, *, at: datetime) -> list[int]:
    """Meta made the template sendable again: campaigns the engine paused for it and started
    with ``auto_resume`` run again, unless something still stops them (the catalogue's checks;
    a quality the campaign's guard refuses). Returns the campaigns resumed."""
    if not templates.is_sendable(template):
        return []
    resumed = []
    for campaign_id in repository.paused_on_template(session, template.id):
        campaign = session.get(Campaign, campaign_id)
        if campaign is None or not campaign.auto_resume or campaign.paused_by != "engine":
            continue
        if _guard_refuses(campaign, template.quality_score):
            continue
        if stored_template_problems(session, campaign):
            continue
        with contextlib.suppress(IllegalTransition):
            moved = _move(
                session,
                campaign_id,
                CampaignEvent.AUTO_RESUME,
                target=CampaignState.RUNNING,
                actor="template-webhook",
                at=at,
                reason=f"template {template.name!r} ({template.language}) is {template.status}",
                pause_reason=None,
                paused_by=None,
                paused_template_id=None,
            )
            if moved.changed:
                resumed.append(campaign_id)
    return resumed


def _guard_refuses(campaign: Campaign, quality: str) -> bool:
    if not campaign.quality_guard:
        return False
    return quality == "RED" or (quality == "YELLOW" and campaign.quality_guard_yellow)


def resume(
    session: Session, workspace_id: int, campaign_id: int, *, actor: str, at: datetime
) -> Moved:
    _check_template(session, workspace_id, campaign_id)
    return _move(
        session,
        campaign_id,
        CampaignEvent.RESUME,
        actor=actor,
        at=at,
        workspace_id=workspace_id,
        pause_reason=None,
        paused_by=None,
        paused_template_id=None,
    )


def end(
    session: Session, workspace_id: int, campaign_id: int, *, actor: str, at: datetime
) -> Moved:
    """ENDED now; its waiting recipients are canceled by ``cancel_waiting`` in short batches
    (the scheduler finishes the job if the process dies in between)."""
    return _move(
        session,
        campaign_id,
        CampaignEvent.END,
        actor=actor,
        at=at,
        workspace_id=workspace_id,
        finished_at=at,
    )


def cancel_waiting(
    session: Session, campaign_id: int, *, actor: str, at: datetime, batch: int = 2000
) -> int:
    """Move up to ``batch`` INITIAL/RETRY_SCHEDULED recipients of an ENDED campaign to
    CANCELED_BY_ADMIN; returns how many moved (0: nothing left). In-flight ones finish."""
    moved = 0
    for state in CLAIMABLE:
        ids = repository.recipient_ids_in(session, campaign_id, [state], limit=batch)
        moved += len(
            move_recipients(
                session,
                ids,
                source=state,
                event=RecipientEvent.CAMPAIGN_ENDED,
                target=RecipientState.CANCELED_BY_ADMIN,
                actor=actor,
                reason="the campaign was ended",
                values={"updated_at": at, "next_attempt_at": None},
                at=at,
            )
        )
    return moved


def complete_if_done(session: Session, campaign_id: int, *, at: datetime) -> bool:
    """RUNNING with recipients and none left to send → COMPLETED. O(1): reads the counters."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.state != CampaignState.RUNNING:
        return False
    counts = repository.counts(session, [campaign_id])[campaign_id]
    if sum(counts.values()) == 0 or any(counts.get(s, 0) for s in PENDING):
        return False
    # Several writers may notice at once (dispatcher, scheduler): a repeat is a no-op.
    moved = _move(
        session,
        campaign_id,
        CampaignEvent.COMPLETE,
        target=CampaignState.COMPLETED,
        actor="dispatcher",
        at=at,
        finished_at=at,
    )
    return moved.changed


def remove_recipient(
    session: Session,
    workspace_id: int,
    campaign_id: int,
    recipient_id: int,
    *,
    actor: str,
    at: datetime,
) -> Moved:
    campaign = get(session, workspace_id, campaign_id)
    if campaign.state not in ALLOWS_REMOVAL:
        raise Conflict(
            f"recipients can be removed only while the campaign is NOT_STARTED or PAUSED; "
            f"it is {campaign.state}",
            campaign_state=campaign.state,
        )
    if repository.get_recipient(session, workspace_id, campaign_id, recipient_id) is None:
        raise NotFound(f"recipient {recipient_id} not found in campaign {campaign_id}")
    return move_recipient(
        session,
        recipient_id,
        event=RecipientEvent.REMOVED,
        actor=actor,
        workspace_id=workspace_id,
        reason="removed by an admin",
        values={"updated_at": at, "next_attempt_at": None},
        at=at,
    )


def summaries(
    session: Session, campaigns: list[Campaign], *, now: datetime | None = None
) -> list[Summary]:
    """``now``: the clock's time (a send window's state depends on it; default: the system's)."""
    now = now or utcnow()
    all_counts = repository.counts(session, [c.id for c in campaigns])
    senders = repository.senders_by_id(session, [c.sender_id for c in campaigns])
    out = []
    for c in campaigns:
        counts = {s.value: all_counts[c.id].get(s.value, 0) for s in RecipientState}
        waiting = None
        zones: tuple[int, ...] = ()
        next_at = None
        if c.state == CampaignState.RUNNING:
            sender = senders.get(c.sender_id)
            if sender is not None and sender.status in SENDER_WAITS:
                waiting = _sender_wait(sender)
            if c.send_window is not None and (
                counts[RecipientState.INITIAL] or counts[RecipientState.RETRY_SCHEDULED]
            ):
                zones, next_at = _window_wait(session, c, now)
                if next_at is not None and waiting is None:
                    waiting = f"waiting for send window (opens {readable(next_at)})"
        elif c.state == CampaignState.NOT_STARTED and c.start_at is not None:
            waiting = f"scheduled to start at {readable(c.start_at)}"
        out.append(Summary(c, counts, waiting, zones, next_at))
    return out


def _window_wait(
    session: Session, campaign: Campaign, now: datetime
) -> tuple[tuple[int, ...], datetime | None]:
    """The zones with recipients left to send (an indexed probe per zone of the campaign),
    and, when the window is closed in all of them, when the first opens."""
    assert campaign.send_window is not None
    window = Window.of(campaign.send_window)
    zones = tuple(repository.pending_zones(session, campaign.id, campaign.zone_ids or [0]))
    if not zones or window.open_zones(zones, now):
        return zones, None
    return zones, window.next_opening(zones, now)


def set_window(
    session: Session,
    workspace_id: int,
    campaign_id: int,
    window: dict[str, object] | None,
    *,
    at: datetime,
) -> Campaign:
    """Set or clear a campaign's send window (any time before it is finished: a running
    campaign's next claim follows the new window)."""
    campaign = get(session, workspace_id, campaign_id)
    if campaign.state in (CampaignState.COMPLETED, CampaignState.ENDED):
        raise Conflict(
            f"the campaign is {campaign.state}: its send window can no longer change",
            campaign_state=campaign.state,
        )
    repository.set_campaign_fields(session, campaign_id, send_window=window, updated_at=at)
    session.refresh(campaign)
    if campaign.state == CampaignState.RUNNING:
        notify(session, DISPATCH)
    return campaign


def _sender_wait(sender: Sender) -> str:
    """Why a RUNNING campaign waits for its sender, whatever told us it cannot send (a sync, a
    webhook, the limit, a send error): the status, and the reason that moved it there."""
    restricted = sender.status == "RESTRICTED"
    by_provider = restricted and sender.restricted_by == "PROVIDER"
    waiting = (
        "the sender is RESTRICTED by the provider" if by_provider else SENDER_WAITS[sender.status]
    )
    if sender.status_reason and not (restricted and sender.restricted_by == "LIMIT"):
        waiting += f" ({sender.status_reason})"
    if sender.status == "RESTRICTED" and sender.restricted_until is not None:
        waiting += f" until {readable(sender.restricted_until)}"
    return waiting


def summary(
    session: Session, workspace_id: int, campaign_id: int, *, now: datetime | None = None
) -> Summary:
    return summaries(session, [get(session, workspace_id, campaign_id)], now=now)[0]


def recipient_history(
    session: Session,
    workspace_id: int,
    campaign_id: int,
    recipient_id: int,
    *,
    after: int | None = None,
    limit: int | None = None,
) -> list[Transition]:
    """The recipient's moves, starting with its import (its own row: see import_recipients)."""
    recipient = repository.get_recipient(session, workspace_id, campaign_id, recipient_id)
    if recipient is None:
        raise NotFound(f"recipient {recipient_id} not found in campaign {campaign_id}")
    imported = Transition(
        workspace_id=workspace_id,
        entity="recipient",
        entity_id=recipient.id,
        from_state=None,
        to_state=_import_state(recipient),
        event=RecipientEvent.IMPORTED_INVALID
        if recipient.invalid_reason
        else RecipientEvent.IMPORTED,
        actor="import",
        reason=recipient.invalid_reason or f"row {recipient.row_number}",
        error_code=None,
        created_at=recipient.created_at,
    )
    # ``after``: a later page (the import, which has no id, is on the first one only).
    moves = history(session, "recipient", recipient.id, workspace_id, after=after, limit=limit)
    return moves if after is not None else [imported, *moves]


def _import_state(recipient: Recipient) -> str:
    if recipient.invalid_reason:
        return RecipientState.INVALID_RECORD.value
    return RecipientState.INITIAL.value


def record_reply(
    session: Session,
    sender_id: int,
    phone: str,
    at: datetime,
    *,
    window: timedelta,
    quoted: str | None = None,
    message: InboundReply | None = None,
) -> int | None:
    """An inbound message from ``phone`` to ``sender_id`` at ``at``: the recipient whose message
    it quotes (``quoted`` wamid), else the latest one sent to that phone, has replied, if that
    send started at most ``window`` before (the setting ``campaign_reply_window``; exactly
    ``window`` still counts). The message is stored against it (``message``: every reply, once
    per wamid), and its first reply counts for its campaign. Returns the campaign id, if any."""
    since = at - window
    found = repository.recipient_by_wamid(session, sender_id, quoted, since) if quoted else None
    if found is None:
        found = repository.latest_recipient_for_phone(session, sender_id, phone, since)
    if found is None:
        return None
    recipient_id, campaign_id = found
    if message is not None:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        repository.store_reply(
            session,
            {
                "workspace_id": campaign.workspace_id,
                "campaign_id": campaign_id,
                "recipient_id": recipient_id,
                "wamid": message.wamid[:128],
                "type": message.type[:24],
                "text": message.text,
                "button": message.button[:256] if message.button else None,
                "received_at": at,
            },
        )
    if repository.mark_replied(session, recipient_id, at):
        repository.add_reply(session, campaign_id)
    return campaign_id


def replies_page(
    session: Session,
    workspace_id: int,
    campaign_id: int,
    *,
    recipient_id: int | None,
    cursor: str | None,
    limit: int,
) -> Page[CampaignReply]:
    get(session, workspace_id, campaign_id)
    query = repository.replies_query(campaign_id, recipient_id)
    return paginate(session, query, CampaignReply.id, cursor=cursor, limit=limit)


def button_counts(session: Session, workspace_id: int, campaign_id: int) -> list[ButtonCount]:
    """Per button tapped in reply to the campaign: its payload/id, label, taps, recipients."""
    get(session, workspace_id, campaign_id)
    return [
        ButtonCount(button=b, label=label, count=n, recipients=people)
        for b, label, n, people in repository.button_counts(session, campaign_id)
    ]


def reply_rows(session: Session, campaign_id: int) -> Iterator[tuple[CampaignReply, str | None]]:
    """Every reply with its recipient's phone, in order (the caller checked the workspace)."""
    phones: dict[int, str | None] = {}
    for reply in repository.reply_rows(session, campaign_id):
        if reply.recipient_id not in phones:
            recipient = session.get(Recipient, reply.recipient_id)
            phones[reply.recipient_id] = recipient.phone if recipient else None
        yield reply, phones[reply.recipient_id]


@dataclass(frozen=True)
class InboundReply:
    wamid: str
    type: str
    text: str | None
    button: str | None = None


def list_page(
    session: Session,
    workspace_id: int,
    *,
    after_id: int | None,
    limit: int,
    now: datetime | None = None,
) -> tuple[list[Summary], int | None]:
    """A page of campaigns with their summaries, and the last id when there is a next page."""
    rows = repository.list_campaigns(session, workspace_id, after_id=after_id, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return summaries(session, rows, now=now), (rows[-1].id if more and rows else None)


def recipients_page(
    session: Session,
    workspace_id: int,
    campaign_id: int,
    *,
    state: RecipientState | None,
    after_id: int | None,
    limit: int,
) -> tuple[list[Recipient], int | None]:
    get(session, workspace_id, campaign_id)
    rows = repository.list_recipients(
        session, campaign_id, state=state, after_id=after_id, limit=limit + 1
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def get_recipient(
    session: Session, workspace_id: int, campaign_id: int, recipient_id: int
) -> Recipient:
    get(session, workspace_id, campaign_id)
    row = repository.get_recipient(session, workspace_id, campaign_id, recipient_id)
    if row is None:
        raise NotFound(f"recipient {recipient_id} not found in campaign {campaign_id}")
    return row


def search_recipients(
    session: Session,
    workspace_id: int,
    campaign_id: int,
    phone: str,
    *,
    state: RecipientState | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Recipient], str | None]:
    """Recipients whose number starts with ``phone`` (its digits; a leading + is added), a page
    in number order (keyset: ``cursor`` is the previous page's next cursor), and the cursor of
    the next page when there is one."""
    get(session, workspace_id, campaign_id)
    digits = "".join(ch for ch in phone if ch.isdigit())
    if not digits:
        raise InvalidInput("search by phone: type some digits of the number")
    rows = repository.recipients_with_phone_prefix(
        session,
        campaign_id,
        "+" + digits[:15],
        state=state,
        after=decode_key_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if more and rows else None
    return rows, (encode_key_cursor(last.phone or "", last.id) if last is not None else None)


def fail_interrupted_imports(
    session: Session, *, silent_since: datetime, at: datetime
) -> list[int]:
    """Imports whose process stopped writing (their heartbeat is older than ``silent_since``)
    are FAILED with a reason; what they stored stays (each chunk was its own transaction)."""
    return repository.fail_stale_imports(session, silent_since=silent_since, at=at)


def get_sender(session: Session, workspace_id: int, sender_id: int) -> Sender | None:
    return repository.get_sender(session, workspace_id, sender_id)


def by_ids(session: Session, workspace_id: int, ids: list[int]) -> list[Campaign]:
    return repository.campaigns_by_id(session, workspace_id, ids)


def to_out(s: Summary) -> CampaignOut:
    """The API's (and the CLI's ``--json``) view of a campaign's summary."""
    c = s.campaign
    return CampaignOut(
        id=c.id,
        name=c.name,
        sender_id=c.sender_id,
        state=c.state,
        template=TemplateOut(
            template_id=c.template_id,
            name=c.template_name,
            language=c.template_language,
            body_params=[] if c.template_mapping is not None else c.body_params,
            mapping=c.template_mapping,
            columns=c.body_params,
        ),
        start_at=c.start_at,
        pause_reason=c.pause_reason,
        paused_by=c.paused_by,
        quality_guard=c.quality_guard,
        quality_guard_yellow=c.quality_guard_yellow,
        auto_resume=c.auto_resume,
        waiting_reason=s.waiting_reason,
        send_window=None if c.send_window is None else SendWindowOut.of(c.send_window),
        next_window_at=s.next_window_at,
        counts=s.counts,
        total=c.total,
        failed=s.failed,
        reply_count=c.reply_count,
        reply_rate=s.reply_rate,
        parent_campaign_id=c.parent_campaign_id,
        created_at=c.created_at,
        started_at=c.started_at,
        finished_at=c.finished_at,
    )
