"""The carrier keywords Twilio handles on long codes and toll-free numbers: a message that is
exactly one of these words (case-insensitive, surrounding spaces ignored) opts out, opts back
in, or asks for help. "STOP PLEASE" is not a keyword. Twilio blocks the pair itself and still
forwards the message; we keep our own opt-out state on the contact too.
Sources: support.twilio.com 223134027, docs/messaging/tutorials/advanced-opt-out.
"""

from __future__ import annotations

from relaybird.providers.channel_events import Keyword

OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN = frozenset({"START", "YES", "UNSTOP"})
HELP = frozenset({"HELP", "INFO"})

# Advanced Opt-Out (Messaging Services) names the class itself in OptOutType.
_OPT_OUT_TYPE = {"STOP": Keyword.OPT_OUT, "START": Keyword.OPT_IN, "HELP": Keyword.HELP}


def keyword(body: str, opt_out_type: str | None = None) -> Keyword | None:
    if opt_out_type:
        found = _OPT_OUT_TYPE.get(opt_out_type.strip().upper())
        if found is not None:
            return found
    word = body.strip().upper()
    if word in OPT_OUT:
        return Keyword.OPT_OUT
    if word in OPT_IN:
        return Keyword.OPT_IN
    if word in HELP:
        return Keyword.HELP
    return None
