"""LINE through the Messaging API (a LINE Official Account's Messaging API channel).

``wire`` (JSON shapes), ``signature`` (x-line-signature) and ``linking`` (account-link URL and
nonce) are pure: the simulator shares them. ``client`` is the adapter (``LineChannel``),
``errors`` the table on HTTP status + message, ``parse`` turns webhook bodies into typed events.
Reference: docs/reference/networks.md §2.
"""
