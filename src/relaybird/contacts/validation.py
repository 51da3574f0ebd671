"""Validating a contact's fields per network: phone to E.164, e-mail, and which fields each
network requires (README "Contacts"; Symphony's Federation API, reference/seed-products.md §1).

Pure functions (no database, no settings). Every problem of a draft is reported at once, as
``InvalidInput`` with ``errors=[{"field", "msg"}]``, so a form can show them all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from relaybird.contacts.transitions import DIRECT_NETWORKS, Network
from relaybird.errors import InvalidInput
from relaybird.kit.phones import normalise

NAME_MAX = 200
COMPANY_MAX = 100  # Symphony: companyName ≤ 100
EMAIL_MAX = 254

# Which fields a complete contact needs, per network. Symphony requires names and a phone number
# for every network, and company + e-mail for WhatsApp, WeChat and LINE (the invitation goes to
# that address). Direct networks (SMS & Voice Direct, WhatsApp Direct) identify the contact by
# phone alone; their company and e-mail are optional.
REQUIRED: dict[Network, frozenset[str]] = {
    Network.WHATSAPP: frozenset({"first_name", "last_name", "phone", "company", "email"}),
    Network.WECHAT: frozenset({"first_name", "last_name", "phone", "company", "email"}),
    Network.LINE: frozenset({"first_name", "last_name", "phone", "company", "email"}),
    Network.SMS_DIRECT: frozenset({"first_name", "last_name", "phone"}),
    Network.WHATSAPP_DIRECT: frozenset({"first_name", "last_name", "phone"}),
}
# An auto-onboarded Direct contact (INCOMPLETE / BLOCKED) starts with its phone number only.
REQUIRED_INCOMPLETE = frozenset({"phone"})

_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


@dataclass(frozen=True)
class ContactFields:
    """The editable fields of a contact, as given (before) or cleaned (after validation)."""

    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    email: str | None = None
    phone: str | None = None


def normalise_phone(raw: str, region: str = "US") -> str:
    """E.164 for a valid phone number ("+" and country code, or national in ``region``);
    raises InvalidInput otherwise."""
    text = raw.strip()
    result = normalise(text, region) if text else None
    if result is None:
        raise InvalidInput(
            "phone: not a valid phone number (write it with + and the country code)",
            errors=[{"field": "phone", "msg": "not a valid phone number"}],
        )
    return result


def normalise_email(raw: str) -> str:
    """A lower-cased e-mail address (local@domain.tld, IDN domains as punycode); raises
    InvalidInput otherwise. Syntax only: whether the mailbox exists is the invitation's test."""
    problem = _email_problem(raw.strip())
    if problem is not None:
        raise InvalidInput(f"email: {problem}", errors=[{"field": "email", "msg": problem}])
    local, _, domain = raw.strip().rpartition("@")
    return f"{local}@{domain.encode('idna').decode('ascii')}".lower()


def _email_problem(text: str) -> str | None:
    if not text or len(text) > EMAIL_MAX or text.count("@") != 1:
        return "not an e-mail address"
    local, _, domain = text.partition("@")
    if len(local) > 64 or not _LOCAL.fullmatch(local):
        return "not an e-mail address (the part before @)"
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return "not an e-mail address (the domain)"
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        return "not an e-mail address (the domain)"
    if labels[-1].isdigit():
        return "not an e-mail address (the domain)"
    return None


def validate_fields(
    network: Network, fields: ContactFields, *, complete: bool = True, region: str = "US"
) -> ContactFields:
    """Clean ``fields`` for ``network``: trim, normalise phone and e-mail, check the required
    ones (``complete=False``: an auto-onboarded Direct contact, phone only). Raises InvalidInput
    listing every problem; returns the cleaned fields."""
    errors: list[dict[str, str]] = []
    cleaned: dict[str, str | None] = {}
    limits = {"first_name": NAME_MAX, "last_name": NAME_MAX, "company": COMPANY_MAX}
    for name, limit in limits.items():
        value = _trimmed(getattr(fields, name))
        if value is not None and len(value) > limit:
            errors.append({"field": name, "msg": f"at most {limit} characters"})
        elif value is not None and any(ord(c) < 32 for c in value):
            errors.append({"field": name, "msg": "must not contain control characters"})
        cleaned[name] = value
    cleaned["phone"] = _checked(fields.phone, errors, lambda v: normalise_phone(v, region))
    cleaned["email"] = _checked(fields.email, errors, normalise_email)
    required = REQUIRED[network] if complete else REQUIRED_INCOMPLETE
    if not complete and network not in DIRECT_NETWORKS:
        errors.append({"field": "network", "msg": f"{network} contacts are not auto-onboarded"})
    reported = {e["field"] for e in errors}
    for name in sorted(required):
        if cleaned.get(name) is None and name not in reported:
            errors.append({"field": name, "msg": f"required for {network} contacts"})
    if errors:
        detail = "; ".join(f"{e['field']}: {e['msg']}" for e in errors)
        raise InvalidInput(detail, errors=errors)
    return replace(fields, **cleaned)


def _trimmed(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _checked(
    value: str | None, errors: list[dict[str, str]], check: Callable[[str], str]
) -> str | None:
    text = _trimmed(value)
    if text is None:
        return None
    try:
        return check(text)
    except InvalidInput as exc:
        errors.extend(exc.extra.get("errors", []))
        return None
