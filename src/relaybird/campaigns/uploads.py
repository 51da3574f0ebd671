"""Upload jobs: check the file's header, create the import row, run the import in a thread.

The HTTP door waits a while for the job and answers with the summary, or with 202 and the
import's progress when a large file is still going (poll GET .../imports/{id}).
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

from sqlalchemy.orm import Session

from relaybird.campaigns import repository
from relaybird.campaigns.importer import check_header, run_import
from relaybird.campaigns.readers import UploadLimits
from relaybird.campaigns.schemas import RowError, UploadSummary
from relaybird.campaigns.templating import column_slots
from relaybird.campaigns.transitions import ACCEPTS_UPLOADS
from relaybird.context import AppContext
from relaybird.errors import Conflict, NotFound, found
from relaybird.models import RecipientImport


def _accepting(
    ctx: AppContext, workspace_id: int, campaign_id: int
) -> tuple[list[str], dict[str, str]]:
    """The columns the import reads, and (a mapped campaign) the slot each fills."""
    with ctx.db.read() as session:
        campaign = found(
            repository.get_campaign(session, workspace_id, campaign_id), f"campaign {campaign_id}"
        )
        if campaign.state not in ACCEPTS_UPLOADS:
            raise Conflict(
                f"the campaign is {campaign.state}: it takes no more recipients",
                campaign_state=campaign.state,
            )
        return list(campaign.body_params), column_slots(campaign)


def begin(ctx: AppContext, workspace_id: int, campaign_id: int, filename: str, path: Path) -> int:
    """Validate what can be validated up front (campaign state, header) and create the job."""
    body_params, slots = _accepting(ctx, workspace_id, campaign_id)
    check_header(path, filename, body_params, limits=UploadLimits.of(ctx.settings), slots=slots)
    with ctx.db.write() as session:
        job = repository.add_import(
            session,
            workspace_id=workspace_id,
            campaign_id=campaign_id,
            filename=filename[:255],
            state="RUNNING",
            bytes_total=path.stat().st_size,
            errors=[],
            created_at=ctx.clock.now(),
            heartbeat_at=ctx.clock.now(),
        )
        return job.id


def start_thread(ctx: AppContext, import_id: int, path: Path, filename: str) -> threading.Event:
    """Run the import in a thread; the event is set when it has finished (the file is gone)."""
    done = threading.Event()

    def work() -> None:
        try:
            run_import(ctx, import_id, path, filename)
        finally:
            with contextlib.suppress(OSError):
                path.unlink()
            done.set()

    threading.Thread(target=work, name=f"import-{import_id}", daemon=True).start()
    return done


def status(ctx: AppContext, workspace_id: int, campaign_id: int, import_id: int) -> UploadSummary:
    with ctx.db.read() as session:
        job = repository.get_import(session, workspace_id, campaign_id, import_id)
        if job is None:
            raise NotFound(f"import {import_id} not found in campaign {campaign_id}")
        return to_summary(job)


def to_summary(job: RecipientImport) -> UploadSummary:
    if job.state == "DONE":
        progress = 1.0
    elif job.bytes_total:
        progress = min(1.0, job.bytes_read / job.bytes_total)
    else:
        progress = 0.0
    return UploadSummary(
        accepted=job.accepted,
        invalid=job.invalid,
        errors=[RowError(**e) for e in job.errors or []],
        import_id=job.id,
        state=job.state,
        rows=job.rows,
        progress=round(progress, 4),
        failure=job.failure,
    )


def latest(ctx: AppContext, workspace_id: int, campaign_id: int) -> UploadSummary | None:
    """The campaign's last upload's summary (None: nothing uploaded yet)."""
    with ctx.db.read() as session:
        if repository.get_campaign(session, workspace_id, campaign_id) is None:
            raise NotFound(f"campaign {campaign_id} not found")
        return latest_of(session, campaign_id)


def latest_of(session: Session, campaign_id: int) -> UploadSummary | None:
    """``latest`` inside the caller's transaction, for a campaign it has already found."""
    job = repository.latest_import(session, campaign_id)
    return None if job is None else to_summary(job)
