"""Logging set-up: one line per record (optionally JSON), phone numbers masked, never secrets."""

from __future__ import annotations

import json
import logging
import re
import sys

# E.164-like runs of digits (8–15, optional +): keep the country-ish prefix and the last two.
_PHONE = re.compile(r"(?<![\w.])(\+?\d{2,3})\d{4,10}(\d{2})(?![\w])")


def mask_phones(text: str) -> str:
    return _PHONE.sub(lambda m: f"{m.group(1)}***{m.group(2)}", text)


# Attributes every LogRecord has; anything else came from ``extra=`` and is a structured field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def fields(record: logging.LogRecord) -> dict[str, object]:
    """The record's ``extra=`` fields (e.g. campaign_id, sender_id), for JSON logs."""
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class MaskingFormatter(logging.Formatter):
    def __init__(self, as_json: bool) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        if self.as_json:
            payload = {
                "ts": self.formatTime(record),
                "level": record.levelname,
                "logger": record.name,
                "msg": record.getMessage(),
                **fields(record),
            }
            if record.exc_info:
                payload["exc"] = self.formatException(record.exc_info)
            return mask_phones(json.dumps(payload, default=str))
        return mask_phones(super().format(record))


def configure(level: str = "INFO", as_json: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(MaskingFormatter(as_json))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).setLevel(logging.WARNING)
