"""Workspaces, API keys and roles."""
