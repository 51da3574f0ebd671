"""The WhatsApp Cloud API (Meta Graph API) adapter.

``wire`` (JSON shapes) and ``signature`` (X-Hub-Signature-256) are pure and import no HTTP
library: the simulator shares them. ``client`` is the aiohttp adapter, ``errors`` the one
classifier of Graph error codes, ``events``/``parse`` turn webhook bodies into typed events.
"""
