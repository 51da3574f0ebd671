"""SQL for campaigns, recipients, counters and imports. Services compose these; nothing commits."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Table,
    func,
    insert,
    literal,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from relaybird.campaigns.transitions import CampaignState, RecipientState
from relaybird.db.bulk import one_of
from relaybird.db.types import UTCDateTime
from relaybird.events.transitions import unindexed
from relaybird.models import (
    Campaign,
    CampaignCount,
    CampaignReply,
    Recipient,
    RecipientImport,
    Sender,
)


def get_campaign(session: Session, workspace_id: int, campaign_id: int) -> Campaign | None:
    return session.scalar(
        select(Campaign).where(Campaign.id == campaign_id, Campaign.workspace_id == workspace_id)
    )


def add_campaign(session: Session, **values: Any) -> Campaign:
    campaign = Campaign(**values)
    session.add(campaign)
    session.flush()
    return campaign


def list_campaigns(
    session: Session, workspace_id: int, *, after_id: int | None, limit: int
) -> list[Campaign]:
    query = select(Campaign).where(Campaign.workspace_id == workspace_id)
    if after_id is not None:
        query = query.where(Campaign.id > after_id)
    return list(session.scalars(query.order_by(Campaign.id).limit(limit)))


def get_sender(session: Session, workspace_id: int, sender_id: int) -> Sender | None:
    return session.scalar(
        select(Sender).where(Sender.id == sender_id, Sender.workspace_id == workspace_id)
    )


def running_on_template(
    session: Session, workspace_id: int, waba_id: str, name: str, language: str
) -> list[int]:
    """RUNNING campaigns of the workspace sending ``name`` (``language``, either spelling) from a
    sender of business account ``waba_id``."""
    spellings = sorted({language, language.replace("-", "_"), language.replace("_", "-")})
    return list(
        session.scalars(
            select(Campaign.id)
            .join(Sender, Sender.id == Campaign.sender_id)
            .where(
                Campaign.workspace_id == workspace_id,
                Campaign.state == CampaignState.RUNNING.value,
                Campaign.template_name == name,
                Campaign.template_language.in_(spellings),
                Sender.waba_id == waba_id,
            )
            .order_by(Campaign.id)
        )
    )


def senders_by_id(session: Session, ids: Iterable[int]) -> dict[int, Sender]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    return {s.id: s for s in session.scalars(select(Sender).where(Sender.id.in_(wanted)))}


def counts(session: Session, campaign_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Per-state counters of each campaign: a dozen rows per campaign, never a COUNT(*)."""
    out: dict[int, dict[str, int]] = {cid: {} for cid in campaign_ids}
    if not campaign_ids:
        return out
    rows = session.execute(
        select(CampaignCount.campaign_id, CampaignCount.state, func.sum(CampaignCount.count))
        .where(CampaignCount.campaign_id.in_(list(campaign_ids)))
        .group_by(CampaignCount.campaign_id, CampaignCount.state)
    )
    for cid, state, n in rows:
        out[int(cid)][str(state)] = int(n)
    return out


def count_by_state_slow(session: Session, campaign_id: int) -> dict[str, int]:
    """COUNT(*) per state: only for tests and repair, never on a request path."""
    rows = session.execute(
        select(Recipient.state, func.count())
        .where(Recipient.campaign_id == campaign_id)
        .group_by(Recipient.state)
    )
    return {str(state): int(n) for state, n in rows}


def add_total(session: Session, campaign_id: int, n: int) -> None:
    session.execute(
        update(Campaign).where(Campaign.id == campaign_id).values(total=Campaign.total + n)
    )


def pending_zones(session: Session, campaign_id: int, zones: Sequence[int]) -> list[int]:
    """Of ``zones``, those with a recipient still to claim (INITIAL or RETRY_SCHEDULED): one
    probe of ix_recipients_claim per zone and state."""
    out = []
    for zone in zones:
        for state in (RecipientState.INITIAL, RecipientState.RETRY_SCHEDULED):
            found = session.scalar(
                select(Recipient.id)
                .where(
                    Recipient.campaign_id == campaign_id,
                    Recipient.state == state.value,
                    Recipient.zone_id == zone,
                )
                .limit(1)
            )
            if found is not None:
                out.append(zone)
                break
    return out


def set_campaign_fields(session: Session, campaign_id: int, **values: Any) -> None:
    session.execute(update(Campaign).where(Campaign.id == campaign_id).values(**values))


def phones_taken(session: Session, campaign_id: int, phones: Sequence[str]) -> dict[str, int]:
    """phone → row number of the earlier valid recipient with it, for the duplicate check (one
    statement per chunk, on the campaign+phone index)."""
    if not phones:
        return {}
    return {
        str(phone): int(row)
        for phone, row in session.execute(
            select(Recipient.phone, func.min(Recipient.row_number))
            .where(
                Recipient.campaign_id == campaign_id,
                one_of(session, Recipient.phone, phones),
            )
            .group_by(Recipient.phone)
        )
    }


def get_recipient(
    session: Session, workspace_id: int, campaign_id: int, recipient_id: int
) -> Recipient | None:
    return session.scalar(
        select(Recipient).where(
            Recipient.id == recipient_id,
            Recipient.campaign_id == campaign_id,
            Recipient.workspace_id == workspace_id,
        )
    )


def list_recipients(
    session: Session,
    campaign_id: int,
    *,
    state: RecipientState | None,
    after_id: int | None,
    limit: int,
) -> list[Recipient]:
    """A page in id order, of one state or of all. Every page is read on ix_recipients_list
    (campaign_id, state, id): all states are one short index range per state, merged here.
    Without a state, "campaign_id = ? ORDER BY id" had no index giving that order: both
    databases took the campaign's every row and sorted it (150 ms at a million recipients, for
    the first page as for any other). Only the states the campaign's counters say hold
    recipients are read (they move in the same transaction as the rows): a running campaign
    has a handful of its thirteen states."""
    if state is not None:
        states = [state]
    else:
        held = counts(session, [campaign_id])[campaign_id]
        states = [s for s in RecipientState if held.get(s.value, 0)]
    ids: list[int] = []
    for s in states:
        query = select(Recipient.id).where(
            Recipient.campaign_id == campaign_id, Recipient.state == s.value
        )
        if after_id is not None:
            query = query.where(Recipient.id > after_id)
        ids += session.scalars(query.order_by(Recipient.id).limit(limit))
    page = sorted(ids)[:limit]
    if not page:
        return []
    return list(
        session.scalars(select(Recipient).where(Recipient.id.in_(page)).order_by(Recipient.id))
    )


def recipient_ids_in(
    session: Session, campaign_id: int, states: Iterable[RecipientState], *, limit: int
) -> list[int]:
    return list(
        session.scalars(
            select(Recipient.id)
            .where(
                Recipient.campaign_id == campaign_id,
                Recipient.state.in_([s.value for s in states]),
            )
            .order_by(Recipient.id)
            .limit(limit)
        )
    )


def export_rows(
    session: Session, campaign_id: int, *, batch: int = 5000
) -> Iterator[tuple[Any, ...]]:
    """Every recipient in id order, fetched in pages so memory stays flat."""
    last = 0
    while True:
        rows = session.execute(
            select(
                Recipient.id,
                Recipient.row_number,
                Recipient.phone,
                Recipient.raw_phone,
                Recipient.state,
                Recipient.attempts,
                Recipient.wamid,
                Recipient.error_code,
                Recipient.error_title,
                Recipient.invalid_reason,
                Recipient.replied_at,
                Recipient.updated_at,
                Recipient.cost_micros,
                Recipient.cost_category,
                Recipient.sent_at,
                Recipient.delivered_at,
                Recipient.read_at,
            )
            .where(Recipient.campaign_id == campaign_id, Recipient.id > last)
            .order_by(Recipient.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield tuple(row)
        last = int(rows[-1][0])


def mark_replied(session: Session, recipient_id: int, at: datetime) -> bool:
    """First reply only (later replies do not count again)."""
    result = session.execute(
        update(Recipient)
        .where(Recipient.id == recipient_id, Recipient.replied_at.is_(None))
        .values(replied_at=at)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def latest_recipient_for_phone(
    session: Session, sender_id: int, phone: str, since: datetime
) -> tuple[int, int] | None:
    """The most recent recipient row this sender sent to ``phone`` (its send started since
    ``since``: a later status webhook moving ``updated_at`` does not stretch the window)."""
    row = session.execute(
        select(Recipient.id, Recipient.campaign_id)
        .join(Campaign, Campaign.id == Recipient.campaign_id)
        .where(
            Campaign.sender_id == sender_id,
            Recipient.phone == phone,
            Recipient.wamid.is_not(None),
            Recipient.send_started_at >= since,
        )
        .order_by(Recipient.id.desc())
        .limit(1)
    ).first()
    return None if row is None else (int(row[0]), int(row[1]))


def store_reply(session: Session, values: dict[str, Any]) -> bool:
    """One row per inbound wamid (replays insert nothing). True when stored."""
    dialect = session.get_bind().dialect.name
    insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
    new_id = session.scalar(
        insert_(CampaignReply)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["wamid"])
        .returning(CampaignReply.id)
    )
    return new_id is not None


def replies_query(campaign_id: int, recipient_id: int | None = None) -> Select[Any]:
    query = select(CampaignReply).where(CampaignReply.campaign_id == campaign_id)
    if recipient_id is not None:
        query = query.where(CampaignReply.recipient_id == recipient_id)
    return query


def button_counts(session: Session, campaign_id: int) -> list[tuple[str, str | None, int, int]]:
    """Per tapped button (payload or id): a label it was shown with, the taps, and how many
    recipients tapped it. One grouped read on the campaign's replies index."""
    taps = func.count()
    rows = session.execute(
        select(
            CampaignReply.button,
            func.max(CampaignReply.text),
            taps,
            func.count(func.distinct(CampaignReply.recipient_id)),
        )
        .where(CampaignReply.campaign_id == campaign_id, CampaignReply.button.is_not(None))
        .group_by(CampaignReply.button)
        .order_by(taps.desc(), CampaignReply.button)
    )
    return [(str(b), label, int(n), int(people)) for b, label, n, people in rows]


def get_reply(session: Session, campaign_id: int, reply_id: int) -> CampaignReply | None:
    return session.scalar(
        select(CampaignReply).where(
            CampaignReply.id == reply_id, CampaignReply.campaign_id == campaign_id
        )
    )


def last_reply_at(session: Session, sender_id: int, phone: str) -> datetime | None:
    """When ``phone`` last wrote to this sender, among the replies linked to its campaigns."""
    at: datetime | None = session.scalar(
        select(func.max(CampaignReply.received_at))
        .join(Recipient, Recipient.id == CampaignReply.recipient_id)
        .join(Campaign, Campaign.id == Recipient.campaign_id)
        .where(Campaign.sender_id == sender_id, Recipient.phone == phone)
    )
    return at


def reply_rows(session: Session, campaign_id: int, batch: int = 1000) -> Iterator[CampaignReply]:
    last = 0
    while True:
        rows = list(
            session.scalars(
                select(CampaignReply)
                .where(CampaignReply.campaign_id == campaign_id, CampaignReply.id > last)
                .order_by(CampaignReply.id)
                .limit(batch)
            )
        )
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1].id


def add_reply(session: Session, campaign_id: int) -> None:
    session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id)
        .values(reply_count=Campaign.reply_count + 1)
    )


# --- imports -------------------------------------------------------------------------------


def add_import(session: Session, **values: Any) -> RecipientImport:
    job = RecipientImport(**values)
    session.add(job)
    session.flush()
    return job


def get_import(
    session: Session, workspace_id: int, campaign_id: int, import_id: int
) -> RecipientImport | None:
    return session.scalar(
        select(RecipientImport).where(
            RecipientImport.id == import_id,
            RecipientImport.campaign_id == campaign_id,
            RecipientImport.workspace_id == workspace_id,
        )
    )


def import_by_id(session: Session, import_id: int) -> RecipientImport | None:
    return session.get(RecipientImport, import_id)


def update_import(session: Session, import_id: int, **values: Any) -> None:
    session.execute(update(RecipientImport).where(RecipientImport.id == import_id).values(**values))


def fail_stale_imports(session: Session, *, silent_since: datetime, at: datetime) -> list[int]:
    """RUNNING imports whose heartbeat stopped before ``silent_since`` → FAILED; their ids."""
    rows = session.execute(
        update(RecipientImport)
        .where(
            RecipientImport.state == "RUNNING",
            func.coalesce(RecipientImport.heartbeat_at, RecipientImport.created_at) < silent_since,
        )
        .values(
            state="FAILED",
            failure=(
                "interrupted: the process importing the file stopped. The rows counted here are "
                "stored; upload the file again to add the rest (rows already stored are then "
                "reported as duplicates, never sent twice)"
            ),
            finished_at=at,
        )
        .returning(RecipientImport.id)
    )
    return [int(r) for r in rows.scalars()]


# A state with at most this many recipients is read whole for a phone-prefix page (a few ms).
FEW_IN_STATE = 20_000


def recipients_with_phone_prefix(
    session: Session,
    campaign_id: int,
    prefix: str,
    *,
    state: RecipientState | None,
    after: tuple[str, int] | None,
    limit: int,
) -> list[Recipient]:
    """Recipients whose E.164 number starts with ``prefix`` (only digits and a leading +), in
    number order then id, after the row ``after`` (phone, id): a range of the campaign+phone
    index read from where the previous page stopped, so any page costs the same at a million
    recipients (an id order would sort every match first)."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    # With a state that few recipients are in (the counters say how few), its rows are the
    # short walk: read them on ix_recipients_list and sort the prefix's among them, instead of
    # walking every number of the prefix to find the state's (156 ms for a sixth of a million
    # numbers and 10,000 invalid rows). The phone is then written so no index is led by it.
    few = (
        state is not None
        and counts(session, [campaign_id])[campaign_id].get(state.value, 0) <= FEW_IN_STATE
    )
    phone = unindexed(Recipient.phone) if few else Recipient.phone
    query = select(Recipient).where(
        Recipient.campaign_id == campaign_id,
        phone >= prefix,
        phone < upper,
        Recipient.phone.startswith(prefix),
    )
    if state is not None:
        query = query.where(Recipient.state == state.value)
    if after is not None:
        query = query.where(tuple_(phone, Recipient.id) > tuple_(*after))
    return list(session.scalars(query.order_by(phone, Recipient.id).limit(limit)))


def sender_id_by_phone_number_id(session: Session, phone_number_id: str) -> int | None:
    found = session.scalar(select(Sender.id).where(Sender.phone_number_id == phone_number_id))
    return None if found is None else int(found)


def recipient_by_wamid(
    session: Session, sender_id: int, wamid: str, since: datetime
) -> tuple[int, int] | None:
    """The recipient this sender sent message ``wamid`` to, if that send started since ``since``."""
    row = session.execute(
        select(Recipient.id, Recipient.campaign_id)
        .join(Campaign, Campaign.id == Recipient.campaign_id)
        .where(
            Recipient.wamid == wamid,
            Campaign.sender_id == sender_id,
            Recipient.send_started_at >= since,
        )
        .limit(1)
    ).first()
    return None if row is None else (int(row[0]), int(row[1]))


def select_phones_in(campaign_id: int, states: Iterable[str]) -> Select[Any]:
    return select(Recipient.phone).where(
        Recipient.campaign_id == campaign_id, Recipient.state.in_(list(states))
    )


def recipient_at_row(session: Session, campaign_id: int, row: int | None) -> Recipient | None:
    """The recipient uploaded at file row ``row`` (the header is row 1; of several uploads, the
    first's); None: the first one stored (an upload stores its rows in file order), found as
    the recipients list's first page is (a few index seeks, not a sort of the campaign's rows:
    the dashboard's campaign page asks for it on every view). A given row is looked for among
    the campaign's rows (no index on the row number: an import writes no more indexes for it)."""
    if row is None:
        first = list_recipients(session, campaign_id, state=None, after_id=None, limit=1)
        return first[0] if first else None
    query = select(Recipient).where(
        Recipient.campaign_id == campaign_id, Recipient.row_number == row
    )
    return session.scalars(query.order_by(Recipient.id).limit(1)).first()


def paused_on_template(session: Session, template_id: int) -> list[int]:
    """Campaigns the engine paused because template ``template_id`` stopped (status or quality)."""
    return list(
        session.scalars(
            select(Campaign.id)
            .where(
                Campaign.paused_template_id == template_id,
                Campaign.state == CampaignState.PAUSED.value,
            )
            .order_by(Campaign.id)
        )
    )


def running_with_template(session: Session, template_id: int) -> list[Campaign]:
    """RUNNING campaigns whose catalogue template is ``template_id`` (the quality guard's)."""
    return list(
        session.scalars(
            select(Campaign)
            .where(
                Campaign.template_id == template_id,
                Campaign.state == CampaignState.RUNNING.value,
            )
            .order_by(Campaign.id)
        )
    )


def latest_import(session: Session, campaign_id: int) -> RecipientImport | None:
    return session.scalars(
        select(RecipientImport)
        .where(RecipientImport.campaign_id == campaign_id)
        .order_by(RecipientImport.id.desc())
        .limit(1)
    ).first()


def campaigns_by_id(session: Session, workspace_id: int, ids: Sequence[int]) -> list[Campaign]:
    if not ids:
        return []
    return list(
        session.scalars(
            select(Campaign).where(Campaign.workspace_id == workspace_id, Campaign.id.in_(ids))
        )
    )


# What the campaign timers (campaigns/jobs.py) find due.


def scheduled_due(session: Session, now: datetime) -> list[int]:
    return list(
        session.scalars(
            select(Campaign.id).where(
                Campaign.state == CampaignState.NOT_STARTED.value,
                Campaign.start_at.is_not(None),
                Campaign.start_at <= now,
            )
        )
    )


def ended_with_waiting(session: Session) -> list[int]:
    """ENDED campaigns whose counters still show INITIAL or RETRY_SCHEDULED recipients."""
    return list(
        session.scalars(
            select(Campaign.id)
            .join(CampaignCount, CampaignCount.campaign_id == Campaign.id)
            .where(
                Campaign.state == CampaignState.ENDED.value,
                CampaignCount.state.in_(
                    [RecipientState.INITIAL.value, RecipientState.RETRY_SCHEDULED.value]
                ),
            )
            .group_by(Campaign.id, CampaignCount.state)
            .having(func.sum(CampaignCount.count) > 0)
            .distinct()
        )
    )


def running_ids(session: Session) -> list[int]:
    return list(
        session.scalars(select(Campaign.id).where(Campaign.state == CampaignState.RUNNING.value))
    )


# What a retry copies of a recipient: its input (row, phone, values), never the first try's
# outcome (state, attempts, wamid, errors, cost, reply). A column added later is an outcome
# until it is listed here.
RETRY_COPIED = ("workspace_id", "row_number", "phone", "raw_phone", "zone_id", "params")


def copy_for_retry(
    session: Session,
    parent_id: int,
    child_id: int,
    where: Sequence[ColumnElement[bool]],
    now: datetime,
) -> int:
    """INSERT ... SELECT the parent's recipients matching ``where`` into ``child_id`` as INITIAL,
    with their row number, phone and values (``RETRY_COPIED``). One statement; returns how
    many."""
    table = Recipient.__table__
    assert isinstance(table, Table)
    kept = list(RETRY_COPIED)
    source = select(
        *[table.c[name] for name in kept],
        literal(child_id, BigInteger).label("campaign_id"),
        literal(RecipientState.INITIAL.value).label("state"),
        literal(0).label("attempts"),
        literal(now, UTCDateTime()).label("created_at"),
        literal(now, UTCDateTime()).label("updated_at"),
    ).where(table.c.campaign_id == parent_id, *where)
    columns = [*kept, "campaign_id", "state", "attempts", "created_at", "updated_at"]
    session.execute(insert(table).from_select(columns, source))
    return int(
        session.scalar(
            select(func.count()).select_from(Recipient).where(Recipient.campaign_id == child_id)
        )
        or 0
    )
