"""Field validation per network, including arbitrary input (hypothesis): only InvalidInput, and
what it accepts is stable (validating the output again gives the same)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from relaybird.contacts.transitions import Network
from relaybird.contacts.validation import (
    ContactFields,
    normalise_email,
    validate_fields,
)
from relaybird.errors import InvalidInput

text = st.one_of(st.none(), st.text(max_size=40), st.sampled_from(["+14155550123", "a@b.co"]))


@settings(max_examples=300, deadline=None)
@given(
    network=st.sampled_from(list(Network)),
    first=text,
    last=text,
    company=text,
    email=text,
    phone=text,
    complete=st.booleans(),
)
def test_validation_raises_only_invalid_input_and_is_idempotent(
    network: Network,
    first: str | None,
    last: str | None,
    company: str | None,
    email: str | None,
    phone: str | None,
    complete: bool,
) -> None:
    fields = ContactFields(first, last, company, email, phone)
    try:
        cleaned = validate_fields(network, fields, complete=complete)
    except InvalidInput as exc:
        assert exc.extra["errors"]
        return
    assert validate_fields(network, cleaned, complete=complete) == cleaned


def test_email_examples() -> None:
    assert normalise_email(" Ada.L+tag@Example.COM ") == "ada.l+tag@example.com"
    for bad in ["", "a@", "@b.co", "a@b", "a b@c.co", "a..b@c.co", "a@-b.co", "a@b.123", "a@@b.co"]:
        try:
            normalise_email(bad)
        except InvalidInput:
            continue
        raise AssertionError(bad)
