from __future__ import annotations

import json
import logging

from relaybird.kit.logging import MaskingFormatter, mask_phones


def _record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("relaybird.test", logging.INFO, __file__, 1, msg, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_phone_numbers_are_masked_in_text_and_json_logs() -> None:
    assert mask_phones("to +447700900123 failed") == "to +447***23 failed"
    text = MaskingFormatter(as_json=False).format(_record("send to %s", "+14155550123"))
    assert "+14155550123" not in text and "+141***23" in text
    line = MaskingFormatter(as_json=True).format(
        _record("send to %s failed", "+14155550123", campaign_id=7, phone="+14155550123")
    )
    payload = json.loads(line)
    assert payload["msg"] == "send to +141***23 failed"
    assert payload["phone"] == "+141***23"  # structured fields are masked too
    assert payload["campaign_id"] == 7
    assert payload["level"] == "INFO" and payload["logger"] == "relaybird.test"


def test_ids_and_times_stay_readable() -> None:
    line = MaskingFormatter(as_json=True).format(_record("campaign 12 sender 3 at 10:48"))
    assert json.loads(line)["msg"] == "campaign 12 sender 3 at 10:48"
