"""Events: the transition history, the transactional outbox, outgoing webhooks, notifications."""
