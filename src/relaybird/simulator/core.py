"""The simulator's behaviour without the HTTP layer: accept or refuse a send, decide the fate of
each message from the seeded generator, queue the status webhooks, keep the record.

Reproducible: a message's fate is drawn from a generator seeded with (seed, number, recipient,
n-th send to that recipient), so the same sends give the same outcomes whatever the
interleaving of concurrent requests.
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from relaybird.kit.time import Clock, ManualClock, ScaledClock
from relaybird.providers.whatsapp import wire
from relaybird.simulator import templates as tpl
from relaybird.simulator.config import SimConfig
from relaybird.simulator.numbers import NumberState, Refusal, Signal
from relaybird.simulator.webhooks import Emitter

# HTTP status Meta answers with, per Graph code (reference §4); the default is 400.
HTTP_STATUS = {
    131000: 500,
    131016: 500,
    131057: 500,
    2: 503,
    133004: 503,
    190: 401,
    0: 401,
    10: 403,
    131031: 403,
    368: 403,
    130497: 403,
    132001: 404,
}


# Media Meta accepts: MIME type → kind, and each kind's maximum size in bytes
# (docs/reference/templates-pricing-consent.md §3).
MEDIA_TYPES = {
    "image/jpeg": "image",
    "image/png": "image",
    "video/mp4": "video",
    "video/3gpp": "video",
    "audio/aac": "audio",
    "audio/amr": "audio",
    "audio/mpeg": "audio",
    "audio/mp4": "audio",
    "audio/ogg": "audio",
    "text/plain": "document",
    "application/pdf": "document",
    "application/msword": "document",
    "application/vnd.ms-excel": "document",
    "application/vnd.ms-powerpoint": "document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "document",
    "image/webp": "sticker",
}
MEDIA_MAX = {
    "image": 5 * 2**20,
    "video": 16 * 2**20,
    "audio": 16 * 2**20,
    "document": 100 * 2**20,
    "sticker": 500 * 2**10,
}


@dataclass
class Fault:
    """A scripted failure for the next ``count`` matching sends (tests script every class)."""

    kind: str  # error | timeout | disconnect
    code: int = 131000
    title: str = "Something went wrong"
    seconds: float = 30.0  # timeout: how long to hold the answer (the message IS accepted)
    count: int = 1
    phone_number_id: str | None = None
    to: str | None = None


@dataclass
class Reply:
    """What the HTTP layer should do: answer ``status``/``body``, after ``hold`` seconds, or drop
    the connection."""

    status: int
    body: dict[str, Any]
    hold: float = 0.0
    disconnect: bool = False


class SimClock:
    """The lifecycle clock: scaled real time (factor 0 = frozen) plus manual advances."""

    def __init__(self, factor: float) -> None:
        self._base: Clock = ScaledClock(factor) if factor > 0 else ManualClock()
        self._offset = timedelta()

    def now(self) -> datetime:
        return self._base.now() + self._offset

    def advance(self, seconds: float) -> datetime:
        self._offset += timedelta(seconds=seconds)
        return self.now()


@dataclass
class Simulator:
    config: SimConfig
    numbers: dict[str, NumberState] = field(default_factory=dict)
    not_on_whatsapp: set[str] = field(default_factory=set)
    faults: list[Fault] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    catalogues: tpl.Catalogues = field(default_factory=tpl.Catalogues)
    # Uploaded media: id → kind (image, video, document, ...).
    media: dict[str, str] = field(default_factory=dict)
    _sends_to: dict[tuple[str, str], int] = field(default_factory=dict)
    _inbound_seq: int = 0
    _media_seq: int = 0

    def __post_init__(self) -> None:
        self.clock = SimClock(self.config.clock_factor)
        self.emitter = Emitter(self.config)

    # --- numbers ---------------------------------------------------------------------------

    def add_number(self, phone_number_id: str, access_token: str, **fields: Any) -> NumberState:
        number = NumberState(
            phone_number_id=phone_number_id,
            access_token=access_token,
            display_phone_number=fields.pop("display_phone_number", None)
            or f"1555{int(hashlib.sha256(phone_number_id.encode()).hexdigest(), 16) % 10**7:07d}",
            waba_id=fields.pop("waba_id", None) or f"waba-{phone_number_id}",
            throughput_mps=fields.pop("throughput_mps", None) or self.config.throughput_mps,
            **{k: v for k, v in fields.items() if v is not None},
        )
        self.numbers[phone_number_id] = number
        return number

    def _authorise(self, phone_number_id: str, authorization: str | None) -> NumberState | Reply:
        token = (authorization or "").removeprefix("Bearer ").strip()
        number = self.numbers.get(phone_number_id)
        if number is None:
            if not self.config.auto_register or not token:
                return _error(
                    100,
                    f"Unsupported request: object with ID '{phone_number_id}' "
                    "does not exist or lacks permissions",
                    subcode=33,
                )
            number = self.add_number(phone_number_id, token)
        if not token or not _same(token, number.access_token):
            return _error(190, "Error validating access token: the session is invalid")
        return number

    def phone_number(self, phone_number_id: str, authorization: str | None) -> Reply:
        number = self._authorise(phone_number_id, authorization)
        if isinstance(number, Reply):
            return number
        now = self.clock.now()
        self._tick(number, now)
        body = wire.PhoneNumberFields(
            id=number.phone_number_id,
            display_phone_number=number.display_phone_number,
            verified_name="Simulated Business",
            status=number.api_status(now),
            quality_rating=number.quality,
            whatsapp_business_manager_messaging_limit=number.tier,
            messaging_limit_tier=number.tier,
            throughput=wire.Throughput(
                level="HIGH" if number.throughput_mps >= 1000 else "STANDARD"
            ),
        )
        return Reply(200, body.model_dump(exclude_none=True))

    # --- sends -----------------------------------------------------------------------------

    def send(self, phone_number_id: str, authorization: str | None, payload: Any) -> Reply:
        number = self._authorise(phone_number_id, authorization)
        if isinstance(number, Reply):
            return number
        try:
            request = wire.SendRequest.model_validate(payload)
        except ValidationError as exc:
            return _error(100, f"Invalid parameter: {exc.errors()[0]['msg']}")
        to = request.to.lstrip("+")
        key = (phone_number_id, to)
        n = self._sends_to.get(key, 0)
        self._sends_to[key] = n + 1
        rng = random.Random(f"{self.config.seed}|{phone_number_id}|{to}|{n}")
        now = self.clock.now()
        self._tick(number, now)
        record: dict[str, Any] = {
            "phone_number_id": phone_number_id,
            "to": to,
            "type": request.type,
            "template": request.template.name if request.template else None,
            "language": request.template.language.code if request.template else None,
            "params": [
                p.text
                for c in request.template.components
                for p in c.parameters
                if p.text is not None
            ]
            if request.template
            else [],
            # The template object exactly as received (tests compare it with Meta's examples).
            "components": [
                c.model_dump(mode="json", exclude_none=True) for c in request.template.components
            ]
            if request.template
            else [],
            "text": request.text.body if request.text else None,
            "callback_data": request.biz_opaque_callback_data,
            "at": now.isoformat(),
        }
        fault = self._take_fault(phone_number_id, to)
        refusal = self._refusal(number, request, to, now, rng, fault)
        if refusal is not None:
            self.requests.append({**record, "accepted": False, "code": refusal.code})
            if fault is not None and fault.kind == "disconnect":
                return Reply(0, {}, disconnect=True)
            return _error(refusal.code, refusal.title, details=refusal.details)
        wamid = (
            "wamid.SIM"
            + hashlib.sha256(f"{self.config.seed}|{phone_number_id}|{to}|{n}".encode())
            .hexdigest()[:32]
            .upper()
        )
        record.update(wamid=wamid, accepted=True)
        self.requests.append(record)
        self.sent.append(record)
        self._schedule_statuses(number, wamid, to, request.biz_opaque_callback_data, rng)
        body = wire.SendResponse(
            contacts=[wire.SentContact(input=request.to, wa_id=to)],
            messages=[wire.SentMessage(id=wamid, message_status="accepted")],
        )
        hold = fault.seconds if fault is not None and fault.kind == "timeout" else 0.0
        return Reply(200, body.model_dump(exclude_none=True), hold=hold)

    def _refusal(
        self,
        number: NumberState,
        request: wire.SendRequest,
        to: str,
        now: datetime,
        rng: random.Random,
        fault: Fault | None,
    ) -> Refusal | None:
        if fault is not None and fault.kind in ("error", "disconnect"):
            return Refusal(fault.code, fault.title)
        for code, p in sorted(self.config.error_rates.items()):
            if rng.random() < p:
                return Refusal(code, "Something went wrong" if code == 131000 else f"Error {code}")
        throttled = number.check_throughput()
        if throttled is not None:
            return throttled
        if request.type == "text":
            return number.check_text(to, now)
        if request.template is not None:
            refusal = tpl.check_send(
                self.catalogues,
                number.waba_id,
                request.template,
                strict=self.config.template_catalogue == "strict",
                media_ids=self.media,
            )
            if refusal is not None:
                return refusal
        return number.check_template(to, now)

    def _take_fault(self, phone_number_id: str, to: str) -> Fault | None:
        for fault in self.faults:
            if fault.phone_number_id not in (None, phone_number_id) or fault.to not in (None, to):
                continue
            fault.count -= 1
            if fault.count <= 0:
                self.faults.remove(fault)
            return fault
        return None

    def is_on_whatsapp(self, to: str) -> bool:
        if to in self.not_on_whatsapp:
            return False
        p = self.config.not_on_whatsapp_p
        if p <= 0:
            return True
        digest = hashlib.sha256(f"{self.config.seed}|not-on-wa|{to}".encode()).digest()
        return int.from_bytes(digest[:4], "big") / 2**32 >= p

    def _schedule_statuses(
        self, number: NumberState, wamid: str, to: str, callback: str | None, rng: random.Random
    ) -> None:
        cfg = self.config

        def jitter(delay: float) -> float:
            return delay * (0.5 + rng.random())

        def status(name: str, error: tuple[int, str] | None = None) -> dict[str, Any]:
            return wire.status_object(
                wamid, name, to, int(time.time()), callback_data=callback, error=error
            )

        plan: list[tuple[float, dict[str, Any]]] = []
        if not self.is_on_whatsapp(to):
            plan.append(
                (jitter(cfg.sent_delay), status("failed", (131026, "Message undeliverable")))
            )
        else:
            t_sent = jitter(cfg.sent_delay)
            plan.append((t_sent, status("sent")))
            if rng.random() < cfg.delivered_p:
                t_del = t_sent + jitter(cfg.delivered_delay)
                plan.append((t_del, status("delivered")))
                if rng.random() < cfg.read_p:
                    plan.append((t_del + jitter(cfg.read_delay), status("read")))
            elif rng.random() < cfg.failed_p / max(1e-9, 1 - cfg.delivered_p):
                plan.append(
                    (
                        t_sent + jitter(cfg.delivered_delay),
                        status(
                            "failed",
                            (
                                131049,
                                "This message was not delivered to "
                                "maintain healthy ecosystem engagement.",
                            ),
                        ),
                    )
                )
            if len(plan) > 1 and rng.random() < cfg.reorder_p:
                # A later status overtakes `sent` (Meta does not guarantee order).
                plan[0] = (plan[-1][0] + 0.01, plan[0][1])
        for delay, obj in plan:
            self.emitter.status(
                number.phone_number_id, number.display_phone_number, number.waba_id, obj, delay
            )
            if rng.random() < cfg.duplicate_p:
                self.emitter.status(
                    number.phone_number_id,
                    number.display_phone_number,
                    number.waba_id,
                    obj,
                    delay + jitter(cfg.sent_delay),
                )

    # --- templates and media ----------------------------------------------------------------

    def _authorise_waba(self, waba_id: str, authorization: str | None) -> Reply | None:
        """A catalogue read needs the token of a number of that account."""
        token = (authorization or "").removeprefix("Bearer ").strip()
        numbers = [n for n in self.numbers.values() if n.waba_id == waba_id]
        if not numbers:
            return _error(
                100,
                f"Unsupported get request. Object with ID '{waba_id}' does not exist, cannot "
                "be loaded due to missing permissions, or does not support this operation",
                subcode=33,
            )
        if not token or not any(_same(token, n.access_token) for n in numbers):
            return _error(190, "Error validating access token: the session is invalid")
        return None

    def list_templates(
        self, waba_id: str, authorization: str | None, query: dict[str, str], base_url: str
    ) -> Reply:
        refused = self._authorise_waba(waba_id, authorization)
        if refused is not None:
            return refused
        self.requests.append({"type": "list_templates", "waba_id": waba_id, "query": query})
        try:
            body = tpl.list_page(
                self.catalogues.of(waba_id),
                base_url=base_url,
                query=query,
                page_max=self.config.template_page_max,
            )
        except tpl.BadCursor as exc:
            return _error(100, f"Invalid parameter: {exc}")
        return Reply(200, body)

    def upload_media(
        self, phone_number_id: str, authorization: str | None, form: dict[str, Any]
    ) -> Reply:
        """``form``: messaging_product, type (MIME), file (bytes), filename."""
        number = self._authorise(phone_number_id, authorization)
        if isinstance(number, Reply):
            return number
        if form.get("messaging_product") != "whatsapp":
            return _error(100, "The parameter messaging_product is required.")
        data = form.get("file")
        mime = str(form.get("type") or "")
        if not isinstance(data, bytes | bytearray):
            return _error(100, "The parameter file is required.")
        kind = MEDIA_TYPES.get(mime)
        if kind is None:
            return _error(131053, "Media upload error", details=f"Unsupported media type {mime}")
        if len(data) > MEDIA_MAX[kind]:
            return _error(
                131053,
                "Media upload error",
                details=f"{kind} is {len(data)} bytes; the maximum is {MEDIA_MAX[kind]}",
            )
        self._media_seq += 1
        media_id = str(
            900_000_000_000_000
            + int(
                hashlib.sha256(f"{self.config.seed}|media|{self._media_seq}".encode()).hexdigest()[
                    :10
                ],
                16,
            )
            % 10**14
        )
        self.media[media_id] = kind
        self.requests.append(
            {
                "type": "media",
                "phone_number_id": phone_number_id,
                "mime": mime,
                "size": len(data),
                "id": media_id,
            }
        )
        return Reply(200, {"id": media_id})

    def template_event(
        self, template: tpl.SimTemplate, field_name: str, value: dict[str, Any]
    ) -> None:
        self.emitter.body(wire.envelope(template.waba_id, field_name, value, int(time.time())), 0.0)

    def set_template_status(self, template: tpl.SimTemplate, event: str, **info: Any) -> None:
        """Meta's move of a template, and its ``message_template_status_update``.

        PAUSED without a ``title`` follows Meta's ladder: FIRST_PAUSE 3 h, SECOND_PAUSE 6 h (the
        template comes back APPROVED by itself when the pause ends, on the lifecycle clock), the
        third time DISABLED."""
        event = event.upper()
        now = self.clock.now()
        title, description = info.get("title"), info.get("description")
        if event == "PAUSED" and title is None:
            if template.pauses >= len(tpl.PAUSES):
                event = "DISABLED"
            else:
                length = tpl.PAUSES[template.pauses]
                template.paused_until = now + length
                first = template.pauses == 0
                title = "FIRST_PAUSE" if first else "SECOND_PAUSE"
                description = tpl.pause_description(
                    template.paused_until, int(length.total_seconds() // 3600), first
                )
        if event == "PAUSED":
            template.pauses += 1
        status = {
            "FLAGGED": "APPROVED",  # a warning: the template stays APPROVED at Meta
            "REINSTATED": "APPROVED",
            "UNARCHIVED": "APPROVED",
            "LIMIT_EXCEEDED": template.status,
            "LOCKED": template.status,
        }.get(event, event)
        template.status = status
        if status != "PAUSED":
            template.paused_until = None
        rejection = None
        reason = info.get("reason", "NONE")
        if event == "REJECTED":
            template.rejected_reason = str(reason or "NONE")
            rejection = {
                "reason": str(info.get("rejection_reason") or "The template breaks a policy."),
                "recommendation": str(info.get("recommendation") or "Edit and resubmit it."),
            }
        if event in ("DELETED", "PENDING_DELETION"):
            reason = None  # Meta sends null here
        disable = int(now.timestamp()) if event == "DISABLED" else None
        self.template_event(
            template,
            "message_template_status_update",
            tpl.status_value(
                template,
                event,
                reason=reason,
                title=title,
                description=description,
                disable_date=disable,
                rejection=rejection,
            ),
        )
        if event == "DELETED":
            self.catalogues.remove(template)

    def set_template_quality(self, template: tpl.SimTemplate, score: str) -> None:
        previous = template.quality
        template.quality = score.upper()
        template.quality_date = int(self.clock.now().timestamp())
        self.template_event(
            template, "message_template_quality_update", tpl.quality_value(template, previous)
        )

    def set_template_category(
        self, template: tpl.SimTemplate, category: str, *, notice: bool = False
    ) -> None:
        category = category.upper()
        if notice:
            at = int((self.clock.now() + timedelta(hours=24)).timestamp())
            value = tpl.category_value(template, previous=None, correct=category, at=at)
        else:
            previous = template.category
            template.category = category
            value = tpl.category_value(template, previous=previous)
        self.template_event(template, "template_category_update", value)

    def _tick_templates(self, now: datetime) -> None:
        for templates in self.catalogues.by_waba.values():
            for t in templates:
                if t.status == "PAUSED" and t.paused_until is not None and t.paused_until <= now:
                    t.status = "APPROVED"
                    t.paused_until = None
                    self.template_event(
                        t,
                        "message_template_status_update",
                        tpl.status_value(
                            t,
                            "APPROVED",
                            title="UNPAUSE",
                            description="Your WhatsApp message template is no longer paused.",
                        ),
                    )

    # --- the rest of Meta's signals -------------------------------------------------------

    def inbound(
        self,
        phone_number_id: str,
        sender: str,
        text: str,
        *,
        name: str = "Sim User",
        context_wamid: str | None = None,
    ) -> str:
        number = self.numbers[phone_number_id]
        now = self.clock.now()
        number.open_service_window(sender, now)
        self._inbound_seq += 1
        wamid = (
            "wamid.SIMIN"
            + hashlib.sha256(f"{self.config.seed}|in|{self._inbound_seq}".encode())
            .hexdigest()[:28]
            .upper()
        )
        value = wire.messages_value(
            phone_number_id,
            number.display_phone_number,
            contacts=[wire.contact_object(sender, name)],
            messages=[
                wire.text_message_object(wamid, sender, text, int(time.time()), context_wamid)
            ],
        )
        self.emitter.body(wire.envelope(number.waba_id, "messages", value), 0.0)
        return wamid

    def signal(self, number: NumberState, signals: list[Signal]) -> None:
        for s in signals:
            self.emitter.body(
                wire.envelope(number.waba_id, s.field, s.value, int(time.time())), 0.0
            )

    def account_event(self, number: NumberState, value: dict[str, Any]) -> None:
        self.signal(number, [Signal("account_update", value)])

    def _tick(self, number: NumberState, now: datetime) -> None:
        signals = number.tick(now)
        if signals:
            self.signal(number, signals)

    def tick_all(self) -> None:
        now = self.clock.now()
        for number in list(self.numbers.values()):
            self._tick(number, now)
        self._tick_templates(now)

    def reset_records(self) -> None:
        self.sent.clear()
        self.requests.clear()
        self.emitter.delivered.clear()


def _error(
    code: int, title: str, subcode: int | None = None, *, details: str | None = None
) -> Reply:
    extra = {"error_subcode": subcode} if subcode is not None else {}
    return Reply(
        HTTP_STATUS.get(code, 400), wire.error_body(code, title, details or title, **extra)
    )


def _same(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())
