from __future__ import annotations

import json
import logging
import re
from datetime import datetime

import phonenumbers
from hypothesis import assume, given
from hypothesis import strategies as st

from relaybird.kit.logging import MaskingFormatter, mask_phones


def _record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("relaybird.test", logging.INFO, __file__, 1, msg, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_phone_numbers_are_masked_in_text_and_json_logs() -> None:
    assert mask_phones("to +447700900123 failed") == "to +44***23 failed"
    assert mask_phones("wa_id 447700900123") == "wa_id ***23"
    text = MaskingFormatter(as_json=False).format(_record("send to %s", "+14155550123"))
    assert "+14155550123" not in text and "+1***23" in text
    line = MaskingFormatter(as_json=True).format(
        _record("send to %s failed", "+14155550123", campaign_id=7, phone="+14155550123")
    )
    payload = json.loads(line)
    assert payload["msg"] == "send to +1***23 failed"
    assert payload["phone"] == "+1***23"  # structured fields are masked too
    assert payload["campaign_id"] == 7
    assert payload["level"] == "INFO" and payload["logger"] == "relaybird.test"


def test_ids_and_times_stay_readable() -> None:
    line = MaskingFormatter(as_json=True).format(_record("campaign 12 sender 3 at 10:48"))
    assert json.loads(line)["msg"] == "campaign 12 sender 3 at 10:48"


# --- issue 11 item 10 (part): formatted numbers are masked too (property tests) ---------------

_FORMATS = [
    phonenumbers.PhoneNumberFormat.E164,
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.RFC3966,
]
_REGIONS = sorted(
    r for r in phonenumbers.SUPPORTED_REGIONS if phonenumbers.example_number(r) is not None
)


@st.composite
def _phone(draw: st.DrawFn) -> tuple[str, phonenumbers.PhoneNumber]:
    """A possible number of a region (its example number with the digits after the first
    redrawn), written the way people and libraries write it."""
    region = draw(st.sampled_from(_REGIONS))
    example = phonenumbers.example_number(region)
    assert example is not None
    nsn = str(phonenumbers.national_significant_number(example))
    tail = draw(st.text("0123456789", min_size=len(nsn) - 1, max_size=len(nsn) - 1))
    number = phonenumbers.parse(f"+{example.country_code}{nsn[0]}{tail}")
    national = region == "US"
    fmt = draw(
        st.sampled_from([*_FORMATS, *([phonenumbers.PhoneNumberFormat.NATIONAL] * national)])
    )
    return phonenumbers.format_number(number, fmt), number


@given(phone=_phone(), before=st.sampled_from(["send to ", "to: ", "(", "phone=", ""]))
def test_no_way_of_writing_a_number_survives_the_mask(
    phone: tuple[str, phonenumbers.PhoneNumber], before: str
) -> None:
    written, number = phone
    assume(len(phonenumbers.national_significant_number(number)) >= 7)
    masked = mask_phones(f"{before}{written} failed")
    kept = re.sub(r"\D", "", masked)
    # At most the country code and the last two digits are left.
    assert len(kept) <= len(str(number.country_code)) + 2, (written, masked)


@given(
    moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    address=st.ip_addresses(v=4),
    port=st.integers(1, 65535),
    small=st.integers(0, 9_999_999),
)
def test_times_addresses_and_small_ids_stay_readable(
    moment: datetime, address: object, port: int, small: int
) -> None:
    for text in (
        f"restricted until {moment.isoformat()}",
        f"at {moment:%Y-%m-%d %H:%M:%S}",
        f"listening on {address}:{port}",
        f"from {address}",
        f"campaign {small} sender {small % 97} at {moment:%H:%M}",
    ):
        assert mask_phones(text) == text


def test_formatted_numbers_in_the_formatted_line_and_fields() -> None:
    for written in ("+1 202-555-0100", "(202) 555-0100", "+1 (202) 555-0100", "202.555.0100"):
        text = MaskingFormatter(as_json=False).format(_record("send to %s", written))
        assert "555-0100" not in text and "555.0100" not in text and text.endswith("***00")
        payload = json.loads(MaskingFormatter(as_json=True).format(_record("x", phone=written)))
        assert payload["phone"].endswith("***00") and "555" not in payload["phone"]
