"""All lifecycles in one registry, and docs/state-machines.md rendered from them.

`python -m relaybird.lifecycles > docs/state-machines.md` regenerates the document; a test fails
when the document and the tables disagree.
"""

from __future__ import annotations

from typing import Any

from relaybird.campaigns.transitions import CAMPAIGN, PROVIDER_RANK, RECIPIENT
from relaybird.contacts.transitions import AVAILABILITY, CONTACT, Network
from relaybird.kit.state_machine import StateMachine, markdown_table
from relaybird.rooms.transitions import MESSAGE_RANK, ROOM, ROOM_MESSAGE
from relaybird.senders.transitions import LIMIT_RECIPIENTS, SENDER
from relaybird.templates.transitions import SENDABLE, TEMPLATE, TEMPLATE_CATEGORY, TEMPLATE_QUALITY

LIFECYCLES: dict[str, StateMachine[Any, Any]] = {
    "sender": SENDER,
    "campaign": CAMPAIGN,
    "recipient": RECIPIENT,
    **{f"contact/{n.value}": m for n, m in CONTACT.items()},
    "room": ROOM,
    "room_message": ROOM_MESSAGE,
    "template": TEMPLATE,
    "template_quality": TEMPLATE_QUALITY,
    "template_category": TEMPLATE_CATEGORY,
}

_SECTIONS = (
    ("1. Sender numbers", "senders/transitions.py", ["sender"]),
    ("2. Campaigns", "campaigns/transitions.py", ["campaign"]),
    ("3. Campaign recipients", "campaigns/transitions.py", ["recipient"]),
    (
        "4. Contacts, per network",
        "contacts/transitions.py",
        [f"contact/{n.value}" for n in Network],
    ),
    (
        "5. Rooms and room messages",
        "rooms/transitions.py",
        ["room", "room_message"],
    ),
    (
        "6. WhatsApp message templates",
        "templates/transitions.py",
        ["template", "template_quality", "template_category"],
    ),
)


def render_markdown() -> str:
    out = [
        "# State machines",
        "",
        "Generated from the transition tables in the code by `python -m relaybird.lifecycles`;",
        "a test fails when this file and the code disagree. Every move is applied as a",
        "compare-and-set UPDATE with a history row and an outbox event in the same transaction;",
        'anything not listed is refused (409 `illegal_transition` at the API). "no status" is the',
        "empty (NULL) status, a real value for contacts.",
        "",
    ]
    for title, source, names in _SECTIONS:
        out += [f"## {title}", "", f"Source: `src/relaybird/{source}`", ""]
        for name in names:
            machine = LIFECYCLES[name]
            if len(names) > 1:
                out += [f"### {name}", ""]
            out += [markdown_table(machine), ""]
            if machine.final_states:
                finals = ", ".join(sorted(str(s) for s in machine.final_states))
                out += [f"Final: {finals}.", ""]
        if title.startswith("1."):
            out += ["Messaging limits (unique business-initiated recipients per moving 24 h):", ""]
            out += ["| tier | recipients |", "| --- | --- |"]
            out += [
                f"| {t} | {n if n is not None else 'unlimited'} |"
                for t, n in LIMIT_RECIPIENTS.items()
            ]
            out += [""]
        if title.startswith("3."):
            out += ["Provider statuses only move up this rank (duplicates are no-ops):", ""]
            out += ["| state | rank |", "| --- | --- |"]
            out += [f"| {s} | {r} |" for s, r in PROVIDER_RANK.items()]
            out += [""]
        if title.startswith("4."):
            out += ["Which statuses each network may take (enforced):", ""]
            nets = list(Network)
            out += ["| status | " + " | ".join(n.value for n in nets) + " |"]
            out += ["| --- |" + " --- |" * len(nets)]
            for status, allowed in AVAILABILITY.items():
                out += [
                    f"| {status} | "
                    + " | ".join("yes" if n in allowed else "—" for n in nets)
                    + " |"
                ]
            out += [""]
        if title.startswith("6."):
            out += [
                "Sendable (Meta sends it): " + ", ".join(sorted(str(s) for s in SENDABLE)) + ".",
                "",
            ]
        if title.startswith("5."):
            out += [
                "Message statuses only move up: "
                + ", ".join(f"{s}={r}" for s, r in MESSAGE_RANK.items()),
                "",
            ]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    print(render_markdown(), end="")
