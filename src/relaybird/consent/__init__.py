"""Consent and suppression per workspace: opt-out keywords, Meta's marketing stop/resume, the
131050 failure, the suppression list and what it keeps from being sent (README "Consent")."""
