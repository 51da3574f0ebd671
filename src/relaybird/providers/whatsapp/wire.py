"""The Cloud API's JSON on the wire: send requests and responses, Graph errors, phone-number
fields, and builders of webhook bodies.

Pure (pydantic and the standard library only): the adapter builds requests with these models, the
simulator validates them with the same models and answers with the same shapes, so the two cannot
drift apart. Shapes follow docs/reference/whatsapp-cloud-api.md §1–§3.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# --- send (POST /{version}/{phone-number-id}/messages) -------------------------------------------


class _Wire(BaseModel):
    # Meta adds fields over time; neither side may choke on one it does not know.
    model_config = ConfigDict(extra="allow")


class Language(_Wire):
    code: str
    policy: str = "deterministic"


class TextParameter(_Wire):
    type: Literal["text"] = "text"
    text: str


class Parameter(_Wire):
    """Any parameter of a template component: ``text`` (with ``parameter_name`` for named
    templates), ``image``/``video``/``document`` ({link} or {id}), ``location``, ``currency``,
    ``date_time``, ``payload`` (quick reply), ``coupon_code``, ``action`` (flow, catalog). The
    fields beyond ``type`` ride as extras, exactly as sent."""

    type: str
    text: str | None = None
    parameter_name: str | None = None


class Component(_Wire):
    type: str  # header | body | button
    sub_type: str | None = None  # buttons: url | quick_reply | copy_code | flow | catalog | mpm
    # Buttons: the button's position in the template. Meta's examples send a string ("1"), its
    # coupon/catalog examples an integer: accept both, send strings.
    index: str | int | None = None
    parameters: list[Parameter] = Field(default_factory=list)


class Template(_Wire):
    name: str
    language: Language
    components: list[Component] = Field(default_factory=list)


class TextBody(_Wire):
    body: str
    preview_url: bool = False


class SendRequest(_Wire):
    messaging_product: Literal["whatsapp"] = "whatsapp"
    recipient_type: str = "individual"
    to: str
    type: Literal["template", "text"]
    template: Template | None = None
    text: TextBody | None = None
    # Echoed back in every status webhook of this message (max 512 chars).
    biz_opaque_callback_data: str | None = Field(default=None, max_length=512)


class SentContact(_Wire):
    input: str
    wa_id: str


class SentMessage(_Wire):
    id: str  # the wamid
    message_status: str | None = None  # accepted | held_for_quality_assessment | paused


class SendResponse(_Wire):
    messaging_product: str = "whatsapp"
    contacts: list[SentContact] = Field(default_factory=list)
    messages: list[SentMessage]


def template_request(
    to: str,
    name: str,
    language: str,
    body_params: tuple[str, ...] | list[str] = (),
    callback_data: str | None = None,
    components: Sequence[Mapping[str, Any]] | None = None,
) -> SendRequest:
    """A template send. ``components`` (the ``template.components`` Meta documents, e.g. from
    ``templates.builder``) wins over ``body_params`` (positional body text only)."""
    if components is not None:
        parts = [Component.model_validate(dict(c)) for c in components]
    elif body_params:
        parts = [
            Component(type="body", parameters=[Parameter(type="text", text=p) for p in body_params])
        ]
    else:
        parts = []
    return SendRequest(
        to=to,
        type="template",
        template=Template(name=name, language=Language(code=language), components=parts),
        biz_opaque_callback_data=callback_data,
    )


def template_payload(
    to: str,
    name: str,
    language: str,
    body_params: tuple[str, ...] | list[str] = (),
    callback_data: str | None = None,
    components: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The JSON body of ``template_request(...)`` (``model_dump(mode="json",
    exclude_none=True)``), built straight as a dict for the common send (positional body text,
    or none): the dispatcher's hot path, where building and dumping five models per send cost
    more than the rest of the request. Anything else (components, a value of another type, a
    callback past 512 characters) goes through the models, which validate it (ValidationError)."""
    if (
        components is None
        and type(to) is str
        and type(name) is str
        and type(language) is str
        and (callback_data is None or (type(callback_data) is str and len(callback_data) <= 512))
        and all(type(p) is str for p in body_params)
    ):
        template: dict[str, Any] = {
            "name": name,
            "language": {"code": language, "policy": "deterministic"},
            "components": (
                [{"type": "body", "parameters": [{"type": "text", "text": p} for p in body_params]}]
                if body_params
                else []
            ),
        }
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "template",
            "template": template,
        }
        if callback_data is not None:
            body["biz_opaque_callback_data"] = callback_data
        return body
    request = template_request(to, name, language, body_params, callback_data, components)
    return request.model_dump(mode="json", exclude_none=True)


def send_response_id(data: Any) -> str:
    """The wamid of a send's 200 answer (``SendResponse``'s first message id); ValueError when
    the answer is not that shape. The usual answer is read straight; anything else goes
    through the model."""
    if isinstance(data, dict):
        messages = data.get("messages")
        contacts = data.get("contacts", [])
        if (
            type(messages) is list
            and messages
            and type(messages[0]) is dict
            and type(messages[0].get("id")) is str
            and type(messages[0].get("message_status", "")) is str
            and type(contacts) is list
            and all(
                type(c) is dict and type(c.get("input")) is str and type(c.get("wa_id")) is str
                for c in contacts
            )
            and type(data.get("messaging_product", "")) is str
        ):
            return str(messages[0]["id"])
    response = SendResponse.model_validate(data)  # raises ValidationError (a ValueError)
    if not response.messages:
        raise ValueError("no message in the answer")
    return response.messages[0].id


def text_request(to: str, body: str, callback_data: str | None = None) -> SendRequest:
    return SendRequest(
        to=to, type="text", text=TextBody(body=body), biz_opaque_callback_data=callback_data
    )


# --- errors -----------------------------------------------------------------------------------


class ErrorData(_Wire):
    messaging_product: str | None = None
    details: str | None = None


class GraphError(_Wire):
    message: str = ""
    type: str | None = None
    code: int
    error_subcode: int | None = None
    error_data: ErrorData | None = None
    is_transient: bool | None = None
    fbtrace_id: str | None = None


class ErrorEnvelope(_Wire):
    error: GraphError


def error_body(code: int, title: str, details: str | None = None, **extra: Any) -> dict[str, Any]:
    """A Graph error response body, as Meta shapes it ("(#code) title" in message)."""
    error: dict[str, Any] = {
        "message": f"(#{code}) {title}",
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AsimTrace" + str(code),
    }
    if details is not None:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    error.update(extra)
    return {"error": error}


# --- phone number (GET /{version}/{phone-number-id}?fields=...) ------------------------------

PHONE_NUMBER_FIELDS = (
    "id,display_phone_number,verified_name,status,quality_rating,"
    "whatsapp_business_manager_messaging_limit,messaging_limit_tier,throughput"
)


class Throughput(_Wire):
    level: str | None = None  # STANDARD | HIGH | NOT_APPLICABLE


class PhoneNumberFields(_Wire):
    id: str
    display_phone_number: str | None = None
    verified_name: str | None = None
    status: str | None = None  # open set: CONNECTED, FLAGGED, RESTRICTED, BANNED, PENDING, ...
    quality_rating: str | None = None  # GREEN | YELLOW | RED | NA | UNKNOWN
    whatsapp_business_manager_messaging_limit: str | None = None  # new field (TIER_250, ...)
    messaging_limit_tier: str | None = None  # deprecated field, still returned
    throughput: Throughput | None = None


# --- template catalogue (GET /{version}/{waba-id}/message_templates) -------------------------

# What a sync asks for; without ``fields`` Meta omits quality_score and rejected_reason.
TEMPLATE_FIELDS = (
    "name,language,status,category,sub_category,components,quality_score,rejected_reason,"
    "parameter_format,id"
)
# Meta's page size maximum for this edge is not documented; 100 is what clients use.
TEMPLATE_PAGE_SIZE = 100


class QualityScore(_Wire):
    score: str | None = None  # GREEN | YELLOW | RED | UNKNOWN
    date: int | None = None


class CatalogueItem(_Wire):
    id: str
    name: str
    language: str
    status: str | None = None
    category: str | None = None
    sub_category: str | None = None
    parameter_format: str | None = None
    components: list[dict[str, Any]] = Field(default_factory=list)
    quality_score: QualityScore | None = None
    rejected_reason: str | None = None


class Cursors(_Wire):
    before: str | None = None
    after: str | None = None


class Paging(_Wire):
    cursors: Cursors | None = None
    next: str | None = None  # absent on the last page (a short page is not the end)
    previous: str | None = None


class CataloguePage(_Wire):
    data: list[CatalogueItem] = Field(default_factory=list)
    paging: Paging | None = None


# --- media (POST /{version}/{phone-number-id}/media) -----------------------------------------


class MediaUploadResponse(_Wire):
    id: str


# --- webhook bodies (builders; the simulator sends these, tests use them) --------------------


def envelope(
    waba_id: str, field: str, value: dict[str, Any], time: int | None = None
) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": waba_id, "changes": [{"field": field, "value": value}]}
    if time is not None:
        entry["time"] = time
    return {"object": "whatsapp_business_account", "entry": [entry]}


def messages_value(
    phone_number_id: str,
    display_phone_number: str,
    *,
    statuses: list[dict[str, Any]] | None = None,
    messages: list[dict[str, Any]] | None = None,
    contacts: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": display_phone_number,
            "phone_number_id": phone_number_id,
        },
    }
    if contacts:
        value["contacts"] = contacts
    if statuses:
        value["statuses"] = statuses
    if messages:
        value["messages"] = messages
    return value


def status_object(
    wamid: str,
    status: str,
    recipient_id: str,
    timestamp: int,
    *,
    callback_data: str | None = None,
    error: tuple[int, str] | None = None,
    category: str = "marketing",
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": str(timestamp),  # Meta sends unix seconds as a string
        "recipient_id": recipient_id,
    }
    if callback_data is not None:
        obj["biz_opaque_callback_data"] = callback_data
    if status in ("sent", "delivered"):
        obj["pricing"] = {
            "billable": True,
            "pricing_model": "PMP",
            "type": "regular",
            "category": category,
        }
    if error is not None:
        code, title = error
        obj["errors"] = [
            {
                "code": code,
                "title": title,
                "message": title,
                "error_data": {"details": title},
                "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
            }
        ]
    return obj


def text_message_object(
    wamid: str, sender: str, body: str, timestamp: int, context_wamid: str | None = None
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "from": sender,
        "id": wamid,
        "timestamp": str(timestamp),
        "type": "text",
        "text": {"body": body},
    }
    if context_wamid is not None:
        obj["context"] = {"id": context_wamid}
    return obj


def contact_object(wa_id: str, name: str) -> dict[str, Any]:
    return {"profile": {"name": name}, "wa_id": wa_id}
