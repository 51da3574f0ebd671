"""The Direct networks (SMS & Voice Direct, WhatsApp Direct, and the LINE and WeChat official
accounts reached through connectors): what happens when a person writes or calls a user's
virtual number or account, and the per-user block lists (DESIGN.md §2.3).

This package sits above ``rooms`` and ``contacts`` and uses both (contacts only through
``contacts.service``); neither of them imports it.

- ``inbound`` — a message or call to a virtual number: auto-onboard (INCOMPLETE), hold (BLOCKED).
- ``service`` — block lists; ``onboard`` and ``unblock`` an auto-onboarded contact.
- ``channels`` — the connectors' callbacks (Twilio, LINE, WeChat) applied to rooms and contacts.
- ``handlers`` — WhatsApp Direct through the inbox applier.
- Doors: ``routes_webhook`` (``POST /webhooks/direct``), ``routes_channels``
  (``/webhooks/twilio|line|wechat/{connector id}``), ``routes`` (block lists, onboard, unblock).
"""
