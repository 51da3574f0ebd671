"""The simulator: a small separate app that plays Meta's Cloud API over real HTTP.

It imports nothing of the engine except the wire models (providers/whatsapp/wire.py, signature.py)
and time helpers (kit/time.py): no database, no services. Everything random is seeded.
"""
