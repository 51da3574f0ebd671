"""Every registered loop has its poisoned-row test here (issue 11 item 3): a loop added later
must say how one bad row is set aside, or why it has no rows to go wrong."""

from __future__ import annotations

from relaybird.wiring import registered_loops

COVERED = {
    "mail": "test_mail.py",
    "events.deliverer": "test_deliverer.py",
    "dispatcher": "test_dispatcher.py",
    "scheduler": "test_scheduler.py",
    "inbox.applier": "test_inbox_applier.py",
    "senders.sync": "test_sender_sync.py",
    "rooms.sender": "test_room_sender.py",
    "consent.replies": "test_consent_replies.py",
}
NO_ROWS = {"inbox.prune": "one DELETE of applied bodies: no row-by-row work to go wrong"}


def test_every_registered_loop_has_a_poisoned_row_test() -> None:
    assert set(registered_loops()) == set(COVERED) | set(NO_ROWS)
