"""Sender numbers: connection, quality and messaging-limit lifecycle (DESIGN.md §2.1)."""
