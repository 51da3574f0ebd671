"""Rooms, their messages and the customer-service window (DESIGN.md §2.4)."""
