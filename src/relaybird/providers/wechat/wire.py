"""WeChat's shapes: the XML of server callbacks (read with defusedxml: no DTDs, no entities; in
plain mode the signature does not cover the body, so it is untrusted input) and XML builders for
the simulator, and the JSON of the API calls we make (token, customer-service send, QR codes,
``{errcode, errmsg}`` errors). Pure: the adapter and the simulator share these.
Reference: docs/reference/networks.md §3.1–§3.5.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from pydantic import BaseModel, ConfigDict, Field

TOKEN_PATH = "/cgi-bin/token"  # noqa: S105 (a URL path, not a secret)
CUSTOM_SEND_PATH = "/cgi-bin/message/custom/send"
QRCODE_CREATE_PATH = "/cgi-bin/qrcode/create"
SHOW_QRCODE_PATH = "/cgi-bin/showqrcode"
SCENE_PREFIX = "qrscene_"
QR_TEMP_MAX_SECONDS = 2_592_000  # 30 days
SCENE_STR_MAX = 64
XML_MAX_BYTES = 1_000_000


class MalformedXml(ValueError):
    """Not a WeChat XML document (or one with a DTD/entities, which WeChat never sends)."""


def parse_xml(raw: bytes) -> dict[str, str]:
    """The children of ``<xml>`` as text (CDATA unwrapped); nested elements are flattened by
    tag (WeChat's events are flat apart from a few we do not model)."""
    if len(raw) > XML_MAX_BYTES:
        raise MalformedXml("XML body too large")
    try:
        root = fromstring(raw, forbid_dtd=True)
    except (ET.ParseError, DefusedXmlException, ValueError) as exc:
        raise MalformedXml(f"unreadable XML: {type(exc).__name__}") from None
    if root.tag != "xml":
        raise MalformedXml(f"root element is <{root.tag}>, not <xml>")
    fields: dict[str, str] = {}
    for child in root:
        fields[str(child.tag)] = (child.text or "").strip() if len(child) == 0 else ""
    return fields


def build_xml(fields: dict[str, str | int]) -> bytes:
    """``<xml><Name><![CDATA[value]]></Name>...`` as WeChat writes it (numbers bare)."""
    parts = ["<xml>"]
    for name, value in fields.items():
        if isinstance(value, int):
            parts.append(f"<{name}>{value}</{name}>")
        else:
            if "]]>" in value:
                raise ValueError("CDATA cannot contain ']]>'")
            parts.append(f"<{name}><![CDATA[{value}]]></{name}>")
    parts.append("</xml>")
    return "".join(parts).encode()


def text_message(account: str, openid: str, created: int, content: str, msg_id: int) -> bytes:
    return build_xml(
        {
            "ToUserName": account,
            "FromUserName": openid,
            "CreateTime": created,
            "MsgType": "text",
            "Content": content,
            "MsgId": msg_id,
        }
    )


def event(
    account: str,
    openid: str,
    created: int,
    name: str,
    key: str | None = None,
    ticket: str | None = None,
) -> bytes:
    fields: dict[str, str | int] = {
        "ToUserName": account,
        "FromUserName": openid,
        "CreateTime": created,
        "MsgType": "event",
        "Event": name,
    }
    if key is not None:
        fields["EventKey"] = key
    if ticket is not None:
        fields["Ticket"] = ticket
    return build_xml(fields)


def passive_text_reply(to_openid: str, account: str, created: int, content: str) -> bytes:
    """A reply in the HTTP answer (within 5 s), ``ToUserName``/``FromUserName`` swapped."""
    return build_xml(
        {
            "ToUserName": to_openid,
            "FromUserName": account,
            "CreateTime": created,
            "MsgType": "text",
            "Content": content,
        }
    )


# --- JSON of the API --------------------------------------------------------------------------


class _Wire(BaseModel):
    model_config = ConfigDict(extra="allow")


class Result(_Wire):
    errcode: int = 0
    errmsg: str = "ok"


class TokenResponse(_Wire):
    access_token: str
    expires_in: int = Field(gt=0)


class QrCodeResponse(_Wire):
    ticket: str
    expire_seconds: int | None = None
    url: str


def custom_text(openid: str, content: str) -> dict[str, Any]:
    return {"touser": openid, "msgtype": "text", "text": {"content": content}}


def qrcode_request(scene: str, *, permanent: bool, expire_seconds: int | None) -> dict[str, Any]:
    if not 1 <= len(scene) <= SCENE_STR_MAX:
        raise ValueError(f"a QR scene string is 1 to {SCENE_STR_MAX} characters")
    body: dict[str, Any] = {
        "action_name": "QR_LIMIT_STR_SCENE" if permanent else "QR_STR_SCENE",
        "action_info": {"scene": {"scene_str": scene}},
    }
    if not permanent:
        seconds = expire_seconds if expire_seconds is not None else QR_TEMP_MAX_SECONDS
        body["expire_seconds"] = max(60, min(seconds, QR_TEMP_MAX_SECONDS))
    return body


def error_body(errcode: int, errmsg: str) -> dict[str, Any]:
    return {"errcode": errcode, "errmsg": errmsg}
