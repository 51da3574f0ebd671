"""A template that stops pauses its campaigns at once (issue 14): after the template handler
(``templates.handlers``) has moved a template on a ``message_template_status_update``, every
RUNNING campaign sending it from its business account is paused by the engine, in the same
transaction, so the dispatcher claims nothing more for it (no recipient spent on a send Meta
would refuse with 132015/132016/132001). When Meta makes it sendable again, the campaigns it
paused that were created with ``auto_resume`` run again. A ``message_template_quality_update``
to RED (YELLOW for those that asked) pauses the campaigns on it that opted into the quality
guard; one back to a quality their guard accepts resumes those of them created with
``auto_resume``.

Registered in ``relaybird.wiring`` AFTER the templates' handlers (the applier runs a type's
handlers in registration order): it reads the template as the move left it. Idempotent: a
replayed webhook finds no RUNNING campaign to pause.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from relaybird.campaigns import service
from relaybird.inbox.handlers import ApplyContext, Registry
from relaybird.providers.whatsapp.events import TemplateQualityUpdate, TemplateStatusUpdate
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
            service.resume_for_template(session, template, at=ctx.now)
    return unmatched


def guard_on_quality(
    session: Session, events: Sequence[TemplateQualityUpdate], ctx: ApplyContext
) -> list[TemplateQualityUpdate]:
    unmatched = []
    for event in events:
        named = templates.named_by(session, event)
        if not named:
            unmatched.append(event)
        for template in named:
            service.guard_quality(session, template, at=ctx.now)
            # Back to a quality the guard accepts: auto_resume campaigns it paused run again.
            service.resume_for_template(session, template, at=ctx.now)
    return unmatched


def register(registry: Registry) -> None:
    registry.on(TemplateStatusUpdate, pause_on_template_stops)
    registry.on(TemplateQualityUpdate, guard_on_quality)
