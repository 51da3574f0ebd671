"""A template that stops pauses its campaigns at once (issue 14): after the template handler
(``templates.handlers``) has moved a template on a ``message_template_status_update``, every
RUNNING campaign sending it from its business account is paused by the engine, in the same
transaction, so the dispatcher claims nothing more for it (no recipient spent on a send Meta
would refuse with 132015/132016/132001).

Registered in ``relaybird.wiring`` AFTER the templates' handlers (the applier runs a type's
handlers in registration order): it reads the template as the move left it. Idempotent: a
replayed webhook finds no RUNNING campaign to pause.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from relaybird.campaigns import service
from relaybird.inbox.handlers import ApplyContext, Registry
from relaybird.providers.whatsapp.events import TemplateStatusUpdate
from relaybird.templates import service as templates


def pause_on_template_stops(
    session: Session, events: Sequence[TemplateStatusUpdate], ctx: ApplyContext
) -> list[TemplateStatusUpdate]:
    """Returns the events naming no stored template (the templates' handler logs those)."""
    unmatched = []
    for event in events:
        named = templates.named_by(session, event)
        if not named:
            unmatched.append(event)
        for template in named:
            service.pause_for_template(session, template, at=ctx.now)
    return unmatched


def register(registry: Registry) -> None:
    registry.on(TemplateStatusUpdate, pause_on_template_stops)
