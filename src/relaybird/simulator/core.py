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
    _sends_to: dict[tuple[str, str], int] = field(default_factory=dict)
    _inbound_seq: int = 0

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
            "params": [p.text for c in request.template.components for p in c.parameters]
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
            return _error(refusal.code, refusal.title)
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

    def reset_records(self) -> None:
        self.sent.clear()
        self.requests.clear()
        self.emitter.delivered.clear()


def _error(code: int, title: str, subcode: int | None = None) -> Reply:
    extra = {"error_subcode": subcode} if subcode is not None else {}
    return Reply(HTTP_STATUS.get(code, 400), wire.error_body(code, title, title, **extra))


def _same(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())
