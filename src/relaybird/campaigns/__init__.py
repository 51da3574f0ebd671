"""Campaigns and their recipients (DESIGN.md §2.2)."""
