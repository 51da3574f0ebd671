"""LINE account linking, the invitation's proof (developers.line.biz ... /linking-accounts):

1. issue a link token for the LINE user (``LineChannel.issue_link_token``; single use, 10 min);
2. send them a link to our site carrying it; once they are known on our side, make a nonce
   (single use, unpredictable, 10–255 chars, Base64 recommended) bound to our user;
3. redirect to ``{access}/dialog/bot/accountLink?linkToken=...&nonce=...``;
4. LINE sends an ``accountLink`` event with ``link.nonce`` and ``result`` ok/failed.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

ACCESS_URL = "https://access.line.me"
NONCE_BYTES = 24  # 192 bits; 32 URL-safe Base64 characters


def new_nonce() -> str:
    return secrets.token_urlsafe(NONCE_BYTES)


def link_url(link_token: str, nonce: str, access_url: str = ACCESS_URL) -> str:
    if not 10 <= len(nonce) <= 255:
        raise ValueError("a LINE account-link nonce is 10 to 255 characters")
    query = urlencode({"linkToken": link_token, "nonce": nonce})
    return f"{access_url.rstrip('/')}/dialog/bot/accountLink?{query}"
