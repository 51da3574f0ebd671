"""The templates API's JSON shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from relaybird.models import MediaAsset, Template, Transition
from relaybird.templates.slots import ParameterFormat, TemplateSlots
from relaybird.templates.transitions import (
    SENDABLE,
    TemplateCategory,
    TemplateCategoryEvent,
    TemplateQuality,
    TemplateStatus,
)


class TextSlotOut(BaseModel):
    key: str = Field(description='"1", "2", ... (positional) or the parameter name (named).')
    example: str | None = Field(description="Meta's example value, if the template has one.")


class HeaderSlotOut(BaseModel):
    format: str = Field(description="TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION.")
    text: str | None
    params: list[TextSlotOut]
    example: str | None = Field(description="Media headers: Meta's example asset URL.")
    takes_value: bool = Field(description="Media and location always; text with a parameter.")


class ButtonSlotOut(BaseModel):
    index: int = Field(description="Position among the template's buttons (the send's index).")
    type: str = Field(description="URL, QUICK_REPLY, COPY_CODE, FLOW, PHONE_NUMBER, ...")
    text: str | None
    url: str | None
    phone_number: str | None
    sub_type: str | None = Field(
        description="The send's sub_type when the button takes a value (url, quick_reply, "
        "copy_code, flow); null for a static button."
    )
    required: bool = Field(description="A send must carry its value (URL suffix, code).")
    example: str | None


class SlotsOut(BaseModel):
    parameter_format: ParameterFormat
    header: HeaderSlotOut | None
    body_text: str
    body: list[TextSlotOut]
    footer: str | None
    buttons: list[ButtonSlotOut]
    names: list[str] = Field(
        description='Every slot a campaign mapping fills: "header.image", "body.1", '
        '"buttons[1].url", ...'
    )
    unsupported: list[str] = Field(description="Components campaigns cannot fill yet.")

    @classmethod
    def of(cls, slots: TemplateSlots) -> SlotsOut:
        h = slots.header
        return cls(
            parameter_format=slots.parameter_format,
            header=None
            if h is None
            else HeaderSlotOut(
                format=h.format.value,
                text=h.text,
                params=[TextSlotOut(key=p.key, example=p.example) for p in h.params],
                example=h.example,
                takes_value=h.takes_value,
            ),
            body_text=slots.body_text,
            body=[TextSlotOut(key=s.key, example=s.example) for s in slots.body],
            footer=slots.footer,
            buttons=[
                ButtonSlotOut(
                    index=b.index,
                    type=b.type,
                    text=b.text,
                    url=b.url,
                    phone_number=b.phone_number,
                    sub_type=b.sub_type,
                    required=b.required,
                    example=b.example,
                )
                for b in slots.buttons
            ],
            names=slots.names(),
            unsupported=list(slots.unsupported),
        )


class TemplateOut(BaseModel):
    id: int
    waba_id: str = Field(description="The WhatsApp Business Account whose catalogue holds it.")
    meta_id: str = Field(description="Meta's id of this (name, language) variant.")
    name: str
    language: str
    status: TemplateStatus
    sendable: bool = Field(description="Meta sends it in this status (APPROVED, FLAGGED, LOCKED).")
    category: TemplateCategory | None
    sub_category: str | None
    quality_score: TemplateQuality
    parameter_format: ParameterFormat
    rejected_reason: str | None
    status_reason: str | None = Field(
        description="Meta's words for the last status change: the pause's title and end "
        '("paused for 6 hours until ..."), a rejection\'s reason and recommendation.'
    )
    status_info: dict[str, Any] | None = Field(
        description="Meta's fields of that change (event, reason, other_info, disable_date)."
    )
    status_changed_at: datetime | None
    pending_category: TemplateCategory | None = Field(
        description="The category Meta announced it will move the template to (24 h notice)."
    )
    pending_category_at: datetime | None
    synced_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, t: Template) -> TemplateOut:
        return cls(**_fields(t))


class TemplateDetail(TemplateOut):
    components: list[dict[str, Any]] = Field(description="The components as Meta returned them.")
    slots: SlotsOut

    @classmethod
    def of_template(cls, t: Template, slots: TemplateSlots) -> TemplateDetail:
        return cls(**_fields(t), components=list(t.components or []), slots=SlotsOut.of(slots))


def _fields(t: Template) -> dict[str, Any]:
    return {
        "id": t.id,
        "waba_id": t.waba_id,
        "meta_id": t.meta_id,
        "name": t.name,
        "language": t.language,
        "status": t.status,
        "sendable": TemplateStatus(t.status) in SENDABLE,
        "category": t.category,
        "sub_category": t.sub_category,
        "quality_score": t.quality_score,
        "parameter_format": t.parameter_format,
        "rejected_reason": t.rejected_reason,
        "status_reason": t.status_reason,
        "status_info": t.status_info,
        "status_changed_at": t.status_changed_at,
        "pending_category": t.pending_category,
        "pending_category_at": t.pending_category_at,
        "synced_at": t.synced_at,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
    }


class TemplatePage(BaseModel):
    items: list[TemplateOut]
    next_cursor: str | None


class TemplateHistoryItem(BaseModel):
    id: int
    field: str = Field(description="What moved: status, quality_score or category.")
    from_state: str | None
    to_state: str | None
    event: str
    actor: str = Field(description="webhook, sync, scheduler, cli, or the API key's actor.")
    reason: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: Transition) -> TemplateHistoryItem:
        if row.event.startswith("quality_"):
            what = "quality_score"
        elif row.event in (
            TemplateCategoryEvent.RECATEGORISED,
            TemplateCategoryEvent.CATEGORY_SYNCED,
        ):
            what = "category"
        else:
            what = "status"
        return cls(
            id=row.id,
            field=what,
            from_state=row.from_state,
            to_state=row.to_state,
            event=row.event,
            actor=row.actor,
            reason=row.reason,
            created_at=row.created_at,
        )


class SyncOut(BaseModel):
    waba_id: str
    total: int = Field(description="Templates Meta listed (every page).")
    created: int
    updated: int = Field(description="Templates whose components, quality or category changed.")
    moved: int = Field(description="Templates whose status changed.")
    deleted: int = Field(description="Templates Meta no longer lists, now DELETED.")
    skipped: list[str] = Field(description="Items that could not be read, and why.")


class MediaOut(BaseModel):
    id: int
    sender_id: int
    media_id: str = Field(description="Meta's media id: use it as a header's media_id.")
    kind: str = Field(description="image, video, audio, document or sticker.")
    mime_type: str
    size_bytes: int
    filename: str
    sha256: str
    uploaded_at: datetime
    expires_at: datetime = Field(description="Meta keeps uploaded media 30 days.")
    reused: bool = Field(
        default=False,
        description="The same bytes were uploaded through this number before: that id is reused.",
    )

    @classmethod
    def of(cls, asset: MediaAsset, reused: bool = False) -> MediaOut:
        return cls(
            id=asset.id,
            sender_id=asset.sender_id,
            media_id=asset.media_id,
            kind=asset.kind,
            mime_type=asset.mime_type,
            size_bytes=asset.size_bytes,
            filename=asset.filename,
            sha256=asset.sha256,
            uploaded_at=asset.uploaded_at,
            expires_at=asset.expires_at,
            reused=reused,
        )


class MediaPage(BaseModel):
    items: list[MediaOut]
    next_cursor: str | None
