"""The TCPA opt-in step on SMS & Voice Direct (issue 16; seed products: "US recipients get a
TCPA opt-in/opt-out step first and receive nothing until they opt in").

A contact whose number is in the United States (or a US territory) gets nothing on SMS-Direct
before they opt in. The first message due to them is held back and an opt-in request goes out
instead (RELAYBIRD_SMS_OPT_IN_TEXT: "Reply YES to receive messages, STOP to opt out"); all
that is queued for them waits (PENDING, not claimed) until they reply with an opt-in keyword
(YES, START, UNSTOP), then goes out in order. A contact who texted the number first (no
request outstanding) started the conversation: that is their opt-in (CTIA's "conversational"
messaging). A call is not. STOP
(direct/channels.py) withdraws it. Messages still waiting ``WAIT`` after the request are FAILED
with the reason. Consent is per contact entry (each user's contact list has its own).
Sources: reference/networks.md §1.9 (Twilio Messaging Policy, FCC TCPA rules); not legal advice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import phonenumbers
from sqlalchemy.orm import Session

from relaybird.models import Contact, RoomMessage
from relaybird.rooms import repository

OPT_IN = "OPT_IN"  # the room message kind of the request
# TCPA covers the US and its territories (all +1 numbers; Canada and the Caribbean are not).
REGIONS = frozenset({"US", "PR", "VI", "GU", "AS", "MP"})
WAIT = timedelta(days=30)
WAITING = "waiting for the contact's SMS opt-in (TCPA): sent once they reply YES or START"
NO_OPT_IN = "no SMS opt-in (TCPA): the contact did not reply YES or START to the opt-in request"


def required(network: str, phone: str | None) -> bool:
    if network != "SMS_DIRECT" or not phone:
        return False
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(phone))
    except phonenumbers.NumberParseException:
        return False
    return region in REGIONS


def must_wait(contact: Contact, kind: str) -> bool:
    """A message of ``kind`` to ``contact`` may not go out yet (an opted-out contact is refused
    elsewhere, with its own reason)."""
    return (
        kind != OPT_IN
        and contact.unfollowed_at is None
        and contact.sms_opt_in_at is None
        and required(contact.network, contact.phone)
    )


def hold(message: RoomMessage, contact: Contact, now: datetime) -> bool:
    """Put a claimed message back, unclaimed, to wait for the opt-in. False when the request
    went out ``WAIT`` ago without an answer: the caller fails it (``NO_OPT_IN``)."""
    asked = contact.sms_opt_in_requested_at
    if asked is not None and now - asked >= WAIT:
        return False
    message.claimed_at = None
    message.attempts = max(0, message.attempts - 1)  # waiting is not an attempt
    message.next_attempt_at = (asked or now) + WAIT
    message.error_title = WAITING
    return True


def needs_request(contact: Contact) -> bool:
    return contact.sms_opt_in_requested_at is None


def texted_first(contact: Contact, now: datetime) -> None:
    """An inbound text from the contact with no request outstanding: they started it."""
    if contact.sms_opt_in_at is None and contact.sms_opt_in_requested_at is None:
        contact.sms_opt_in_at = now


def opted_out(contact: Contact, now: datetime) -> None:
    contact.unfollowed_at = now
    contact.sms_opt_in_at = None


def opted_in(session: Session, contact: Contact, now: datetime) -> list[int]:
    """A YES/START: record it and release what waited (their ids, to send after commit)."""
    contact.unfollowed_at = None
    contact.sms_opt_in_at = now
    return repository.release_waiting(session, contact.id, WAITING)
