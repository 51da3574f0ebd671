"""Contacts and onboarding across networks (DESIGN.md §2.3)."""
