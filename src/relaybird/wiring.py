"""Where the domains plug into the shared machinery: the composition root of the inbox applier's
handlers. It sits above every domain (it imports them); nothing below imports it but the
applier, lazily, for its default registry."""

from __future__ import annotations

from relaybird.inbox.handlers import Registry


def registered_handlers() -> Registry:
    """The registry the applier uses, one line per domain."""
    from relaybird.campaigns import replies as campaign_replies
    from relaybird.campaigns import statuses as campaign_statuses
    from relaybird.campaigns import template_stops as campaign_template_stops
    from relaybird.direct import handlers as direct_handlers
    from relaybird.rooms import handlers as room_handlers
    from relaybird.senders import handlers as sender_handlers
    from relaybird.templates import handlers as template_handlers

    registry = Registry()
    campaign_statuses.register(registry)
    sender_handlers.register(registry)
    campaign_replies.register(registry)
    room_handlers.register(registry)
    direct_handlers.register(registry)
    template_handlers.register(registry)
    campaign_template_stops.register(registry)  # after the templates': reads the moved template
    return registry
