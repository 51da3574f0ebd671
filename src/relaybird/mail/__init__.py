"""Outgoing e-mail: the built-in outbox (``outgoing_emails``) and the loop that delivers it over
SMTP. Rows are queued by ``events.mail.queue_email`` in the caller's transaction."""
