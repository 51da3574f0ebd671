"""relaybird: a self-hosted business-messaging engine."""

__version__ = "0.1.0"
