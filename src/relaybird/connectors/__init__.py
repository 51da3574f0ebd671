"""Connectors: the workspace's accounts at Twilio, LINE and WeChat (models/connector.py)."""
