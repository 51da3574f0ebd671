"""Importing an uploaded list into a campaign, in chunks of short write transactions.

The file is read as a stream (readers.py), validated a chunk at a time (phones.py), checked for
duplicates against the rows already stored (an indexed lookup per chunk, so memory does not grow
with the row count), and inserted with one multi-row INSERT per chunk. Progress and the summary
live in a ``recipient_imports`` row the caller can poll, so a million-row file never has to fit in
one HTTP request.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from functools import cached_property
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from relaybird.campaigns import repository
from relaybird.campaigns.phones import Checked, check_chunk, find_phone_column, find_zone_column
from relaybird.campaigns.readers import Progress, RefusedRow, UploadLimits, read_rows
from relaybird.campaigns.recipients import insert_imported
from relaybird.campaigns.templating import column_slots, row_check
from relaybird.campaigns.transitions import ACCEPTS_UPLOADS, RecipientState
from relaybird.consent import service as consent
from relaybird.context import AppContext
from relaybird.db.after_commit import log_after_commit
from relaybird.errors import AppError, Conflict, InvalidInput, found
from relaybird.events.outbox import emit
from relaybird.kit.time import rfc3339
from relaybird.kit.workers import Pool
from relaybird.models import Campaign
from relaybird.templates.values import RowCheck

log = logging.getLogger("relaybird.campaigns.importer")

CHUNK_ROWS = 5_000
# Below this file size, starting worker processes costs more than it saves.
POOL_FROM_BYTES = 2_000_000
MAX_ERRORS = 100


@dataclass(frozen=True)
class Layout:
    """Where the phone and the template parameters are in the file's columns."""

    phone_index: int
    param_indexes: tuple[int, ...]
    param_names: tuple[str, ...]
    zone_index: int | None = None  # the optional time-zone column

    @cached_property
    def _read(self) -> tuple[int, tuple[int, ...], Callable[[Sequence[str]], Sequence[str]]]:
        """The cells a row needs for ``project``'s fast path, the indexes, their getter."""
        zone = () if self.zone_index is None else (self.zone_index,)
        indexes = (self.phone_index, *self.param_indexes, *zone)
        getter = itemgetter(*indexes) if len(indexes) > 1 else lambda c: (c[indexes[0]],)
        return max(indexes) + 1, indexes, getter

    def project(self, cells: Sequence[str]) -> Sequence[str]:
        """Only the cells this layout reads: the phone, the parameters in order, the zone."""
        width, indexes, read = self._read
        if len(cells) >= width:
            return read(cells)
        return [cells[i] if i < len(cells) else "" for i in indexes]

    def projected(self) -> Layout:
        """The layout of ``project``'s rows."""
        n = len(self.param_indexes)
        zone = None if self.zone_index is None else n + 1
        return Layout(0, tuple(range(1, n + 1)), self.param_names, zone)


def layout_for(
    header: Sequence[str], body_params: Sequence[str], slots: Mapping[str, str] | None = None
) -> Layout:
    """``slots``: the template slot each column fills (a mapped campaign), named when missing."""
    if isinstance(header, RefusedRow):
        raise InvalidInput(f"the header row is refused: {header.reason}")
    phone_index = find_phone_column(header)
    if phone_index is None:
        raise InvalidInput(
            "the file has no phone column: name one `phone` (or `Guest phone number`, "
            "`phone_number`, `msisdn`)"
        )
    names = [h.strip().lower() for h in header]
    missing = [p for p in body_params if p.strip().lower() not in names]
    if missing and slots:
        raise InvalidInput(
            "the file lacks the column(s) the template's slots read: "
            + ", ".join(f"{slots.get(p, 'mapping')} reads {p!r}" for p in missing),
            errors=[
                {
                    "field": f"template.mapping.{slots.get(p, 'mapping')}",
                    "msg": f"the upload has no column {p!r}",
                    "slot": slots.get(p, "mapping"),
                }
                for p in missing
            ],
        )
    if missing:
        raise InvalidInput(
            f"the file lacks the template parameter column(s) {', '.join(map(repr, missing))}"
        )
    indexes = tuple(names.index(p.strip().lower()) for p in body_params)
    return Layout(phone_index, indexes, tuple(body_params), find_zone_column(header))


def check_header(
    path: Path,
    filename: str,
    body_params: Sequence[str],
    limits: UploadLimits | None = None,
    slots: Mapping[str, str] | None = None,
) -> Layout:
    """Read only the header, so a file without a phone column is refused before any job starts
    (and, for XLSX, the whole file's size and row widths: readers.py)."""
    header = next(read_rows(path, filename, Progress(), limits), None)
    if header is None:
        raise InvalidInput("the file is empty")
    return layout_for(header, body_params, slots)


def chunks(
    rows: Iterator[list[str]], size: int, layout: Layout | None = None
) -> Iterator[list[tuple[int, Sequence[str]]]]:
    """Numbered rows (the header is row 1, as a spreadsheet shows it), skipping blank lines.
    With a ``layout``, each row keeps only the cells the import reads (``Layout.projected``), so
    a chunk's memory does not grow with the file's unused columns."""
    chunk: list[tuple[int, Sequence[str]]] = []
    project = layout.project if layout is not None else None
    for number, cells in enumerate(rows, start=2):
        kept: Sequence[str] = cells
        if not isinstance(cells, RefusedRow):
            text = "".join(cells)
            if not text or text.isspace():
                continue
            if project is not None:
                kept = project(cells)
        chunk.append((number, kept))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run_import(ctx: AppContext, import_id: int, path: Path, filename: str) -> None:
    """Run one import to the end, recording progress; never raises (the job row says why)."""
    try:
        _run(ctx, import_id, path, filename)
    except AppError as exc:
        _fail(ctx, import_id, exc.detail)
    except Exception as exc:
        log.exception("import %s failed", import_id)
        _fail(ctx, import_id, f"unexpected error: {type(exc).__name__}")


def _validated(
    parts: Iterator[list[tuple[int, Sequence[str]]]],
    layout: Layout,
    region: str,
    workers: int,
    template: RowCheck | None = None,
) -> Iterator[Checked]:
    """Validated chunks in file order. With ``workers``, validation (phonenumbers: the costly
    part) runs in that many processes, a few chunks ahead, while this thread stores the previous
    chunks; memory stays bounded by the chunks in flight."""
    args = (
        layout.phone_index,
        layout.param_indexes,
        layout.param_names,
        region,
        template,
        layout.zone_index,
    )
    if workers <= 0:
        for part in parts:
            yield check_chunk(part, *args)
        return
    # Processes started for this import, importing only phones.py (kit/workers.py): not fork,
    # since the importer runs in a thread of a server with other threads.
    with Pool(workers) as pool:
        pending: deque[Future[Checked]] = deque()
        for part in parts:
            pending.append(pool.submit(check_chunk, part, *args))
            if len(pending) > 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _fail(ctx: AppContext, import_id: int, reason: str) -> None:
    with ctx.db.write() as session:
        repository.update_import(
            session, import_id, state="FAILED", failure=reason, finished_at=ctx.clock.now()
        )
        log_after_commit(
            session, log, "import %s failed: %s", import_id, reason, level=logging.WARNING
        )


def _run(ctx: AppContext, import_id: int, path: Path, filename: str) -> None:
    with ctx.db.read() as session:
        job = found(repository.import_by_id(session, import_id), f"import {import_id}")
        campaign = found(
            repository.get_campaign(session, job.workspace_id, job.campaign_id),
            f"campaign {job.campaign_id}",
        )
        workspace_id, campaign_id = job.workspace_id, campaign.id
        body_params = list(campaign.body_params)
        template = row_check(session, campaign)
    progress = Progress()
    rows = read_rows(path, filename, progress, UploadLimits.of(ctx.settings))
    header = next(rows, None)
    if header is None:
        raise InvalidInput("the file is empty")
    layout = layout_for(header, body_params, column_slots(campaign))
    region = ctx.settings.default_region
    totals = {"rows": 0, "accepted": 0, "invalid": 0}
    errors: list[dict[str, Any]] = []
    workers = ctx.settings.import_workers if progress.total >= POOL_FROM_BYTES else 0
    parts = chunks(rows, CHUNK_ROWS, layout)
    for checked in _validated(parts, layout.projected(), region, workers, template):
        _store(ctx, workspace_id, campaign_id, import_id, checked, totals, errors, progress)
    now = ctx.clock.now()
    with ctx.db.write() as session:
        repository.update_import(
            session,
            import_id,
            state="DONE",
            bytes_read=progress.total,
            finished_at=now,
        )
        emit(
            session,
            workspace_id=workspace_id,
            type="campaign.recipients_imported",
            entity="campaign",
            entity_id=campaign_id,
            data={"id": campaign_id, "import_id": import_id, **totals, "at": rfc3339(now)},
            at=now,
        )
        log_after_commit(
            session,
            log,
            "campaign %s: import %s finished: %s rows, %s accepted, %s invalid",
            campaign_id,
            import_id,
            totals["rows"],
            totals["accepted"],
            totals["invalid"],
        )


def _opted_out(
    ctx: AppContext, session: Session, campaign: Campaign, phones: list[str]
) -> set[str]:
    """The suppressed numbers among ``phones``, unless the campaign's template category is one
    the workspace exempts (README "Consent")."""
    found = consent.suppressed_among(session, campaign.workspace_id, phones)
    if not found:
        return found
    exempt = consent.rules_of(session, campaign.workspace_id, ctx.settings).exempt
    held = consent.template_is_held_back(
        session,
        campaign.workspace_id,
        campaign.sender_id,
        campaign.template_name,
        campaign.template_language,
        exempt,
    )
    return found if held else set()


def _store(
    ctx: AppContext,
    workspace_id: int,
    campaign_id: int,
    import_id: int,
    checked: Checked,
    totals: dict[str, int],
    errors: list[dict[str, Any]],
    progress: Progress,
) -> None:
    now = ctx.clock.now()
    with ctx.db.write() as session:
        job = repository.import_by_id(session, import_id)
        if job is None or job.state != "RUNNING":
            # Declared interrupted by the scheduler (this process was silent too long): stop
            # rather than write under a job that already says FAILED.
            raise Conflict(
                "the import was marked interrupted: the rest of the file was not imported"
            )
        campaign = repository.get_campaign(session, workspace_id, campaign_id)
        if campaign is None or campaign.state not in ACCEPTS_UPLOADS:
            state = "deleted" if campaign is None else campaign.state
            raise Conflict(f"the campaign is {state}: the rest of the file was not imported")
        valid_phones = [phone for phone in checked.phones if phone is not None]
        first_row = repository.phones_taken(session, campaign_id, valid_phones)
        opted_out = _opted_out(ctx, session, campaign, valid_phones)
        rows: list[tuple[Any, ...]] = []
        accepted = 0
        zones: set[int] = set()
        for number, phone, raw_phone, params, reason, zone in zip(
            checked.rows,
            checked.phones,
            checked.raw_phones,
            checked.params,
            checked.reasons,
            checked.zone_ids,
            strict=True,
        ):
            if phone is not None:
                earlier = first_row.get(phone)
                if earlier is not None:
                    reason, phone = f"duplicate of row {earlier}", None
                else:
                    first_row[phone] = number
                    if phone in opted_out:
                        reason = consent.OPTED_OUT  # the number stays shown
            if reason is None:
                accepted += 1
                zones.add(zone)
                target = RecipientState.INITIAL
            else:
                target = RecipientState.INVALID_RECORD
                if len(errors) < MAX_ERRORS:
                    errors.append({"row": number, "reason": reason})
            # recipients.IMPORT_COLUMNS; params are JSON text already (phones.check_chunk)
            rows.append(
                (
                    workspace_id,
                    campaign_id,
                    number,
                    phone,
                    raw_phone,
                    zone,
                    params,
                    target,
                    0,
                    reason,
                    now,
                    now,
                )
            )
        totals["accepted"] += accepted
        totals["invalid"] += len(rows) - accepted
        totals["rows"] += len(rows)
        insert_imported(session, campaign_id, rows, zones, params_encoded=True)
        repository.add_total(session, campaign_id, len(rows))
        repository.update_import(
            session,
            import_id,
            rows=totals["rows"],
            accepted=totals["accepted"],
            invalid=totals["invalid"],
            errors=list(errors),
            bytes_read=progress.done,
            bytes_total=progress.total,
            heartbeat_at=now,
        )
