"""Logging set-up: one line per record (optionally JSON), phone numbers masked, never secrets."""

from __future__ import annotations

import json
import logging
import re
import sys

import phonenumbers
from phonenumbers import Leniency

# E.164-like runs of digits (8–15, optional +; WhatsApp ids come without the +).
_PHONE = re.compile(r"(?<![\w.])\+?\d{8,15}(?![\w])")
# Digits split by a space, dot, dash or parenthesis: perhaps a formatted number, for the
# phonenumbers matcher (+1 202-555-0100, (202) 555-0100, +44 7700 900123, 202.555.0100).
_FORMATTED_HINT = re.compile(r"\d[ ().\-\u00a0]{1,3}\d")
_IPV4 = re.compile(r"\d{1,3}(\.\d{1,3}){3}")
_TIME_BEFORE = re.compile(r"\d:\Z")


def _masked(raw: str, country_code: int | None = None) -> str:
    """``+44***23``: the country code (when the number was written with one) and the last two
    digits; nothing of the national number but those two."""
    digits = re.sub(r"\D", "", raw)
    if not raw.startswith("+"):
        return f"***{digits[-2:]}"
    if country_code is None:
        try:
            country_code = phonenumbers.parse(f"+{digits}").country_code
        except phonenumbers.NumberParseException:
            return f"+***{digits[-2:]}"
    return f"+{country_code}***{digits[-2:]}"


def mask_phones(text: str, region: str = "US") -> str:
    """Mask phone numbers however they are written; ``region`` reads numbers written without
    their +country code. Dates, times, IPv4 addresses and short ids stay readable."""
    if _FORMATTED_HINT.search(text):
        pieces: list[str] = []
        last = 0
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=Leniency.POSSIBLE):
            if _IPV4.fullmatch(match.raw_string) or _TIME_BEFORE.search(text, 0, match.start):
                continue  # an address, or the seconds of a time (10:48:13.000001)
            pieces += [
                text[last : match.start],
                _masked(match.raw_string, match.number.country_code),
            ]
            last = match.end
        text = "".join(pieces) + text[last:]
    return _PHONE.sub(lambda m: _masked(m.group()), text)


# Attributes every LogRecord has; anything else came from ``extra=`` and is a structured field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def fields(record: logging.LogRecord) -> dict[str, object]:
    """The record's ``extra=`` fields (e.g. campaign_id, sender_id), for JSON logs."""
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class MaskingFormatter(logging.Formatter):
    def __init__(self, as_json: bool, region: str = "US") -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")
        self.as_json = as_json
        self.region = region

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
            return mask_phones(json.dumps(payload, default=str), self.region)
        line = super().format(record)
        # Our own time, level and logger name are never a phone number: mask the rest.
        head = f"{record.asctime} {record.levelname} {record.name} "
        if line.startswith(head):
            return head + mask_phones(line[len(head) :], self.region)
        return mask_phones(line, self.region)


class StderrHandler(logging.Handler):
    """Writes each record to the ``sys.stderr`` of that moment, not to the one of the moment the
    handler was made (what ``logging.StreamHandler(sys.stderr)`` holds on to). A command run
    in-process (a test's CliRunner, an embedding program) swaps ``sys.stderr`` for a stream it
    closes once the command returns: a handler bound to it would print an "I/O operation on
    closed file" traceback for every later record of another thread (a server, a loop)."""

    terminator = "\n"

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stream = sys.stderr
            stream.write(self.format(record) + self.terminator)
            stream.flush()
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)


def configure(level: str = "INFO", as_json: bool = False, region: str = "US") -> None:
    handler = StderrHandler()
    handler.setFormatter(MaskingFormatter(as_json, region))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).setLevel(logging.WARNING)
