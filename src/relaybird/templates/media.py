"""Header media uploaded once to Meta (``POST /{phone-number-id}/media``) and reused by its id.

Meta's limits per type (docs/reference/templates-pricing-consent.md §3): image JPEG/PNG
≤ 5 MB; video MP4/3GPP ≤ 16 MB; audio ≤ 16 MB; documents (text, PDF, Office) ≤ 100 MB; stickers
WebP ≤ 500 KB (animated; 100 KB static). A type Meta would refuse, a file over its cap, or bytes
that are not what the declared type says (the usual cause of 131053) are refused here, before
any upload. Ids from an upload live 30 days at Meta: the same bytes uploaded again through the
same number within that time reuse the stored id.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from relaybird.context import AppContext
from relaybird.errors import InvalidInput, NotFound, PayloadTooLarge, found
from relaybird.kit.pagination import Page
from relaybird.models import MediaAsset
from relaybird.providers.port import ProviderError, SenderCredentials
from relaybird.templates import repository
from relaybird.templates.errors import CatalogueUnavailable

MB = 1024 * 1024
MEDIA_LIFETIME = timedelta(days=30)

# kind → (MIME types Meta accepts, max bytes)
MEDIA_LIMITS: dict[str, tuple[frozenset[str], int]] = {
    "image": (frozenset({"image/jpeg", "image/png"}), 5 * MB),
    "video": (frozenset({"video/mp4", "video/3gpp"}), 16 * MB),
    "audio": (
        frozenset({"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"}),
        16 * MB,
    ),
    "document": (
        frozenset(
            {
                "text/plain",
                "application/pdf",
                "application/msword",
                "application/vnd.ms-excel",
                "application/vnd.ms-powerpoint",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            }
        ),
        100 * MB,
    ),
    "sticker": (frozenset({"image/webp"}), 500 * 1024),
}
MAX_UPLOAD = max(limit for _, limit in MEDIA_LIMITS.values())


def kind_of(mime_type: str) -> str | None:
    return next((k for k, (types, _) in MEDIA_LIMITS.items() if mime_type in types), None)


def _looks_like(mime_type: str, head: bytes) -> bool:
    """The first bytes agree with the declared type (for the types with a fixed signature)."""
    signatures: dict[str, tuple[bytes, ...]] = {
        "image/jpeg": (b"\xff\xd8\xff",),
        "image/png": (b"\x89PNG\r\n\x1a\n",),
        "application/pdf": (b"%PDF-",),
    }
    if mime_type in signatures:
        return head.startswith(signatures[mime_type])
    if mime_type in ("video/mp4", "video/3gpp", "audio/mp4"):
        return head[4:8] == b"ftyp"
    if mime_type == "image/webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    return True


def check_media(mime_type: str, size: int, head: bytes = b"") -> str:
    """The media kind, or a 422/413 naming what Meta would refuse."""
    mime = mime_type.split(";", 1)[0].strip().lower()
    kind = kind_of(mime)
    if kind is None:
        accepted = ", ".join(sorted(t for types, _ in MEDIA_LIMITS.values() for t in types))
        raise InvalidInput(f"Meta does not accept {mime or 'this type'} as media ({accepted})")
    limit = MEDIA_LIMITS[kind][1]
    if size > limit:
        raise PayloadTooLarge(
            f"{kind} files are at most {limit / MB:g} MB at Meta; this one is {size / MB:.1f} MB"
        )
    if size == 0:
        raise InvalidInput("the file is empty")
    if head and not _looks_like(mime, head):
        raise InvalidInput(f"the file's bytes are not {mime} (Meta would refuse it: 131053)")
    return kind


@dataclass(frozen=True)
class _Upload:
    credentials: SenderCredentials
    reused: MediaAsset | None


async def upload_media(
    ctx: AppContext,
    workspace_id: int,
    sender_id: int,
    data: bytes,
    mime_type: str,
    filename: str,
) -> tuple[MediaAsset, bool]:
    """Upload ``data`` through the number (or reuse the id of the same bytes uploaded within
    its lifetime); returns the stored asset and whether it was reused."""
    mime = mime_type.split(";", 1)[0].strip().lower()
    digest = hashlib.sha256(data).hexdigest()
    now = ctx.clock.now()

    def prepare() -> _Upload:
        with ctx.db.read() as session:
            sender = found(
                repository.sender(session, workspace_id, sender_id), f"sender {sender_id}"
            )
            # Reuse only with a day of the 30 left, so a campaign does not start on a dying id.
            reused = repository.reusable_media(
                session, sender_id, digest, mime, now + timedelta(days=1)
            )
            return _Upload(SenderCredentials(sender.phone_number_id, sender.access_token), reused)

    # The sender first: another workspace's (or no) sender is a 404 whatever the file.
    prepared = await asyncio.to_thread(prepare)
    kind = check_media(mime, len(data), data[:16])
    if prepared.reused is not None:
        return prepared.reused, True
    try:
        media_id = await ctx.catalogue.upload_media(prepared.credentials, data, mime, filename)
    except Exception as exc:
        error = getattr(exc, "error", None)
        if not isinstance(error, ProviderError):
            raise
        raise CatalogueUnavailable(
            f"the provider refused the upload: {error.title}", provider_code=error.code
        ) from None

    def store() -> MediaAsset:
        with ctx.db.write() as session:
            return repository.add_media(
                session,
                workspace_id=workspace_id,
                sender_id=sender_id,
                media_id=media_id,
                kind=kind,
                mime_type=mime,
                size_bytes=len(data),
                filename=filename[:240],
                sha256=digest,
                uploaded_at=now,
                expires_at=now + MEDIA_LIFETIME,
            )

    return await asyncio.to_thread(store), False


def list_media(
    session: Session, workspace_id: int, sender_id: int, *, cursor: str | None, limit: int
) -> Page[MediaAsset]:
    if repository.sender(session, workspace_id, sender_id) is None:
        raise NotFound(f"sender {sender_id} not found")
    return repository.media_page(session, workspace_id, sender_id, cursor=cursor, limit=limit)


def expired(asset: MediaAsset, now: datetime) -> bool:
    return asset.expires_at <= now
