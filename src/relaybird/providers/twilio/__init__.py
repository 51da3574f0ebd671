"""SMS & Voice Direct through Twilio's REST API (Programmable Messaging + Voice).

``wire`` (form/JSON shapes), ``signature`` (X-Twilio-Signature), ``twiml`` and ``keywords`` are
pure: the simulator shares them. ``client`` is the adapter (``TwilioChannel``), ``errors`` the
table of Twilio's numeric error codes, ``parse`` turns callbacks into typed events.
Reference: docs/reference/networks.md §1.
"""
