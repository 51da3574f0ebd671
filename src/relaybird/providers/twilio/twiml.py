"""TwiML answers: what Twilio does next with an inbound message or call.

Built with ElementTree so any text is escaped; the output has the shape of Twilio's SDKs
(``<?xml version="1.0" encoding="UTF-8"?><Response>...</Response>``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

CONTENT_TYPE = "text/xml; charset=utf-8"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


def _render(response: ET.Element) -> bytes:
    return (
        _DECLARATION + ET.tostring(response, encoding="unicode", short_empty_elements=True)
    ).encode()


def empty() -> bytes:
    """Acknowledge an inbound message without replying."""
    return _render(ET.Element("Response"))


def message(text: str) -> bytes:
    response = ET.Element("Response")
    ET.SubElement(response, "Message").text = text
    return _render(response)


@dataclass(frozen=True)
class CallAnswer:
    """How a call to a user's virtual number is answered: forward it to ``forward_to`` (the
    user's own phone), else speak ``say`` and hang up."""

    say: str | None = None
    forward_to: str | None = None
    caller_id: str | None = None  # shown to the user when forwarding (default: the caller)
    voice: str | None = None  # Twilio voice, e.g. "alice", "Polly.Joanna"
    language: str | None = None  # e.g. "en-US"
    timeout: int | None = None  # seconds the forward rings before giving up


def answer_call(answer: CallAnswer) -> bytes:
    response = ET.Element("Response")
    if answer.forward_to:
        dial = ET.SubElement(response, "Dial")
        if answer.caller_id:
            dial.set("callerId", answer.caller_id)
        if answer.timeout is not None:
            dial.set("timeout", str(answer.timeout))
        ET.SubElement(dial, "Number").text = answer.forward_to
    elif answer.say:
        say = ET.SubElement(response, "Say")
        if answer.voice:
            say.set("voice", answer.voice)
        if answer.language:
            say.set("language", answer.language)
        say.text = answer.say
    else:
        ET.SubElement(response, "Reject")
    return _render(response)
