"""What the simulator does, as data: probabilities, delays, faults. Changeable at run time through
``POST /_sim/config`` so a test can reconfigure a running simulator."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class SimConfig:
    seed: int = 1
    app_secret: str = "sim-app-secret"  # noqa: S105 (a test double's default, not a secret)
    # Where signed webhooks go (our POST /webhooks/whatsapp). None: webhooks are only recorded.
    webhook_url: str | None = None
    # Unknown phone-number ids are created on first use with the token presented (a sandbox).
    # False: they answer Graph error 100 like Meta does for an unknown object.
    auto_register: bool = True
    # Status outcomes, drawn per message from the seeded generator.
    delivered_p: float = 0.97
    read_p: float = 0.6
    failed_p: float = 0.02  # of those not delivered: a `failed` status (131049), else silence
    # Fraction of recipients that are not on WhatsApp (sent, then failed 131026), by phone hash.
    not_on_whatsapp_p: float = 0.0
    # Webhook timing (real seconds; each delay gets ±50 % seeded jitter, so order varies).
    sent_delay: float = 0.02
    delivered_delay: float = 0.05
    read_delay: float = 0.1
    # Probability that a status webhook is delivered twice (Meta retries, several apps).
    duplicate_p: float = 0.0
    # Probability that `delivered`/`read` overtake `sent` (delivery order is not guaranteed).
    reorder_p: float = 0.0
    # Statuses of one number batched into one POST, up to this many (Meta: up to 1,000).
    batch_max: int = 1
    # Concurrent webhook POSTs (Meta sends concurrently).
    webhook_concurrency: int = 8
    # Non-200 answers are retried this many times with backoff (Meta retries for days).
    webhook_retries: int = 5
    # Random transient errors on sends: Graph code → probability (e.g. {131000: 0.01}).
    error_rates: dict[int, float] = field(default_factory=dict)
    # Default throughput per number (messages/s) before 130429.
    throughput_mps: int = 80
    # Lifecycle clock: sim seconds per real second (0 freezes it; tests advance it by hand).
    clock_factor: float = 0.0
    # Template sends are checked against the account's catalogue as Meta does. "strict": a
    # name the account does not have is refused (132001), as at Meta. "lenient": such a name
    # passes unchecked (tests and benchmarks that send ad-hoc names); a catalogued name is
    # still checked in full.
    template_catalogue: str = "lenient"
    # Largest page GET message_templates answers, whatever ``limit`` asks (Meta's cap for this
    # edge is not documented).
    template_page_max: int = 100

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name for f in fields(self)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown simulator settings: {', '.join(sorted(unknown))}")
        for name, value in values.items():
            if name == "template_catalogue" and value not in ("strict", "lenient"):
                raise ValueError("template_catalogue is strict or lenient")
            if name == "error_rates":
                value = {int(k): float(v) for k, v in dict(value).items()}
            setattr(self, name, value)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["app_secret"] = "***"  # noqa: S105
        return data
