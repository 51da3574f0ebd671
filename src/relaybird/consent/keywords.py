"""Reading an inbound text as an opt-out or opt-in keyword (pure).

The whole message is the keyword ("STOP", "stop!", " Désabonner "), compared without case,
accents or surrounding punctuation; "stop sending me ads" or "please stop" is a message, not a
keyword (Braze and Twilio match the same way on SMS: an exact single word, case-insensitive).
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Iterable
from enum import StrEnum

# English and the common European ones (Twilio/Braze/AWS lists; ARRET is the AWS French one).
DEFAULT_OPT_OUT: tuple[str, ...] = (
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "OPTOUT",
    "OPT-OUT",
    "CANCEL",
    "END",
    "QUIT",
    "ARRET",
    "ARRETER",
    "DESABONNER",
    "BAJA",
    "PARAR",
    "CANCELAR",
    "ALTO",
    "ABMELDEN",
    "STOPP",
    "DISISCRIVITI",
    "AFMELDEN",
)
DEFAULT_OPT_IN: tuple[str, ...] = ("START", "UNSTOP", "SUBSCRIBE", "ALTA", "INICIO")

_EDGES = string.punctuation + string.whitespace + "¡¿。！？"


class Keyword(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"


def normalise(text: str) -> str:
    """Upper case, no accents, no punctuation or spaces at either end ("Arrêt !" → "ARRET")."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.strip(_EDGES).upper()


def normalised_set(words: Iterable[str]) -> frozenset[str]:
    return frozenset(n for n in (normalise(w) for w in words) if n)


def classify(text: str | None, opt_out: Iterable[str], opt_in: Iterable[str]) -> Keyword | None:
    """Which keyword the whole message is, if any (opt-out wins if a word is in both lists)."""
    if not text or len(text) > 64:
        return None
    word = normalise(text)
    if not word:
        return None
    if word in normalised_set(opt_out):
        return Keyword.OPT_OUT
    if word in normalised_set(opt_in):
        return Keyword.OPT_IN
    return None
