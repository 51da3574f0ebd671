"""A campaign's catalogue template and its slot mapping (issue 14): resolved and checked at
creation, re-checked at start and resume, the send plan the dispatcher builds each request
from, the import's per-row check, and the preview of one recipient's message.

A campaign with a mapping (``Campaign.template_mapping``) names a template of its sender's
synced catalogue (``Campaign.template_id``); its recipients' ``params`` hold the mapping's
columns (``Campaign.body_params``, sorted), and every send carries the components Meta
documents (``templates.builder``). Campaigns without one keep the body-only path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from relaybird.campaigns import repository
from relaybird.campaigns.schemas import PreviewOut, TemplateSpec
from relaybird.campaigns.transitions import RecipientState
from relaybird.errors import InvalidInput, NotFound
from relaybird.models import Campaign, Recipient, Sender, Template
from relaybird.templates import service as templates
from relaybird.templates.builder import SendPlan, components
from relaybird.templates.mapping import (
    SlotMapping,
    SlotProblem,
    ValueSource,
    check_mapping,
    slot_of_column,
)
from relaybird.templates.slots import MEDIA_FORMATS, HeaderFormat, TemplateSlots, fill
from relaybird.templates.values import RowCheck, SlotValues, resolve

Problem = dict[str, str]


@dataclass(frozen=True)
class Resolved:
    """What a create asks for: the catalogue template, its mapping, or why not."""

    template: Template | None = None
    mapping: SlotMapping | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        return sorted(self.mapping.columns()) if self.mapping is not None else []


def wants_catalogue(spec: TemplateSpec) -> bool:
    """A template by id, or a slot mapping: the campaign is built on the catalogue."""
    return spec.template_id is not None or spec.mapping is not None


def positional(body_params: Sequence[str]) -> SlotMapping:
    """``body_params`` as a mapping: column i fills ``{{i}}``."""
    return SlotMapping(
        body={str(i): ValueSource(column=c) for i, c in enumerate(body_params, start=1)}
    )


def resolve_spec(
    session: Session, workspace_id: int, sender: Sender, spec: TemplateSpec
) -> Resolved:
    """The catalogue template ``spec`` names on ``sender``, with every problem of its mapping."""
    if not templates.has_catalogue(session, workspace_id, sender.waba_id):
        return Resolved(
            problems=[
                {
                    "field": "template",
                    "msg": f"sender {sender.id}'s business account has no synced template "
                    "catalogue to map slots against: run templates sync first (POST "
                    f"/api/v1/senders/{sender.id}/templates/sync or `relaybird templates sync "
                    f"{sender.id}`)",
                }
            ]
        )
    try:
        template = templates.resolve_template(
            session,
            workspace_id,
            sender.id,
            template_id=spec.template_id,
            name=spec.name,
            language=spec.language,
        )
    except InvalidInput as exc:
        where = "template.template_id" if spec.template_id is not None else "template"
        return Resolved(problems=[{"field": where, "msg": exc.detail}])
    mapping = spec.mapping if spec.mapping is not None else positional(spec.body_params)
    return Resolved(template, mapping, problems_of(template, mapping))


def problems_of(
    template: Template, mapping: SlotMapping, columns: Sequence[str] | None = None
) -> list[Problem]:
    """Not sendable (its status, Meta's words), and every slot problem, each naming its slot."""
    out: list[Problem] = []
    if not templates.is_sendable(template):
        out.append({"field": "template", "msg": templates.stop_reason(template) + ", not sendable"})
    out += as_problems(check_mapping(templates.slots_of(template), mapping, columns))
    return out


def as_problems(problems: Sequence[SlotProblem]) -> list[Problem]:
    return [
        {"field": f"template.mapping.{p.slot}", "msg": p.message, "slot": p.slot} for p in problems
    ]


def mapping_of(campaign: Campaign) -> SlotMapping | None:
    if campaign.template_mapping is None:
        return None
    return SlotMapping.model_validate(campaign.template_mapping)


def stored_problems(session: Session, campaign: Campaign) -> list[Problem] | None:
    """A mapped campaign's template and mapping against the catalogue as it is now (Meta may
    have paused or edited it since): start and resume refuse on any. None: not mapped."""
    mapping = mapping_of(campaign)
    if mapping is None:
        return None
    template = _template(session, campaign)
    if template is None:
        return [{"field": "template", "msg": f"template {campaign.template_id} is gone"}]
    return problems_of(template, mapping)


def _template(session: Session, campaign: Campaign) -> Template | None:
    if campaign.template_id is None:
        return None
    return session.get(Template, campaign.template_id)


def plan_of(session: Session, campaign: Campaign) -> SendPlan | None:
    """How the dispatcher builds this campaign's sends; None for a body-only campaign."""
    mapping = mapping_of(campaign)
    template = _template(session, campaign) if mapping is not None else None
    if mapping is None or template is None:
        return None
    return SendPlan(
        template.name,
        template.language,
        templates.slots_of(template),
        mapping,
        tuple(campaign.body_params),
    )


def row_check(session: Session, campaign: Campaign) -> RowCheck | None:
    plan = plan_of(session, campaign)
    if plan is None:
        return None
    return RowCheck(plan.slots, plan.mapping, plan.columns)


def column_slots(campaign: Campaign) -> dict[str, str]:
    """Column → the slot it fills (an upload that lacks the column: the 422 names the slot)."""
    mapping = mapping_of(campaign)
    if mapping is None:
        return {}
    return {column: slot_of_column(mapping, column) for column in mapping.columns()}


# --- preview ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    header: str | None
    body: str
    footer: str | None
    buttons: list[str]
    components: list[dict[str, Any]] | None  # the request's, when the row can be sent
    problems: list[str]


def render(slots: TemplateSlots, mapping: SlotMapping, row: Mapping[str, str | None]) -> Rendered:
    """One recipient's message as they will see it: the header (text filled, or the media
    described), the body with its parameters filled, the footer, each button."""
    values, problems = resolve(slots, mapping, row)
    return Rendered(
        header=_header(slots, values),
        body=fill(slots.body_text, values.body),
        footer=slots.footer,
        buttons=_buttons(slots, values),
        components=None if problems else components(slots, values),
        problems=[str(p) for p in problems],
    )


def _header(slots: TemplateSlots, values: SlotValues) -> str | None:
    header = slots.header
    if header is None:
        return None
    if header.format == HeaderFormat.TEXT:
        key = header.params[0].key if header.params else ""
        return fill(header.text or "", {key: values.header_text} if values.header_text else {})
    if header.format in MEDIA_FORMATS:
        media = values.media
        if media is None:
            return f"[{header.kind}: not mapped]"
        where = f"media id {media.media_id}" if media.media_id else media.link
        name = f" ({media.filename})" if media.filename else ""
        return f"[{header.kind}: {where}{name}]"
    loc = values.location
    if loc is None:
        return "[location: not mapped]"
    label = ", ".join(p for p in (loc.name, loc.address) if p)
    return f"[location: {loc.latitude}, {loc.longitude}" + (f" {label}" if label else "") + "]"


def _buttons(slots: TemplateSlots, values: SlotValues) -> list[str]:
    out = []
    for b in slots.buttons:
        value = values.buttons.get(b.index)
        label = b.text or b.type
        if b.type == "URL":
            url = fill(b.url or "", {b.params[0].key: value} if b.params and value else {})
            out.append(f"[{label}] → {url}")
        elif b.type == "PHONE_NUMBER":
            out.append(f"[{label}] → call {b.phone_number or '?'}")
        elif b.sub_type == "copy_code":
            out.append(f"[{label}] copies {value!r}" if value else f"[{label}] copies a code")
        elif b.sub_type == "quick_reply":
            out.append(f"[{label}]" + (f" (payload {value!r})" if value else ""))
        else:
            out.append(f"[{label}] ({b.type.lower()})")
    return out


@dataclass(frozen=True)
class Preview:
    recipient: Recipient
    template: Template | None  # None: no catalogue to render from (free-text template)
    rendered: Rendered | None


def preview(
    session: Session, campaign: Campaign, row: int | None, *, first: Recipient | None = None
) -> Preview:
    """The message the recipient uploaded at file row ``row`` (the first one when None) will
    get: rendered from the catalogue template with its values, or, for a body-only campaign on
    an account without a catalogue, its parameters only. ``first``: the campaign's first
    recipient, when the caller has just read it (the first page of its list)."""
    in_range = row is None or 1 <= row < 2**31  # a row number is a 32-bit column
    if row is None and first is not None:
        recipient: Recipient | None = first
    else:
        recipient = repository.recipient_at_row(session, campaign.id, row) if in_range else None
    if recipient is None:
        where = f"at row {row}" if row is not None else "uploaded yet"
        raise NotFound(f"campaign {campaign.id} has no recipient {where}")
    mapping = mapping_of(campaign)
    template = template_of(session, campaign)
    if mapping is None:
        mapping = positional(campaign.body_params)
    if template is None:
        return Preview(recipient, None, None)
    row_values = dict(zip(campaign.body_params, recipient.params, strict=False))
    return Preview(recipient, template, render(templates.slots_of(template), mapping, row_values))


def template_of(session: Session, campaign: Campaign) -> Template | None:
    """The catalogue entry the campaign sends: its own (mapped), or the one its name and
    language resolve to in its sender's catalogue; None without a catalogue."""
    if campaign.template_id is not None:
        return _template(session, campaign)
    sender = repository.get_sender(session, campaign.workspace_id, campaign.sender_id)
    if sender is None or not templates.has_catalogue(
        session, campaign.workspace_id, sender.waba_id
    ):
        return None
    try:
        return templates.resolve_template(
            session,
            campaign.workspace_id,
            sender.id,
            name=campaign.template_name,
            language=campaign.template_language,
        )
    except InvalidInput:
        return None


def preview_out(campaign: Campaign, p: Preview) -> PreviewOut:
    """The API's shape of a preview (the dashboard and the CLI show the same)."""
    r, t, rendered = p.recipient, p.template, p.rendered
    request = None
    if rendered is not None and rendered.components is not None and t is not None:
        request = {
            "name": t.name,
            "language": {"code": t.language},
            "components": rendered.components,
        }
    return PreviewOut(
        campaign_id=campaign.id,
        row=r.row_number,
        recipient_id=r.id,
        phone=r.phone,
        state=RecipientState(r.state),
        invalid_reason=r.invalid_reason,
        template=f"{campaign.template_name} ({campaign.template_language})",
        template_id=None if t is None else t.id,
        category=None if t is None else t.category,
        header=None if rendered is None else rendered.header,
        body=None if rendered is None else rendered.body,
        footer=None if rendered is None else rendered.footer,
        buttons=[] if rendered is None else rendered.buttons,
        params=dict(zip(campaign.body_params, r.params, strict=False)),
        request=request,
        problems=[] if rendered is None else rendered.problems,
    )
