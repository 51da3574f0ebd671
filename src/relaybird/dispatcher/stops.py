"""The stops one runner has seen: a template-stop marks its campaign, a sender-stop the sender.

A mark is the monotonic moment of the stop: every send claimed before it and not yet sent is
given back untouched (``covers``); one claimed after it (an admin resumed, a later reading said
the number can send) goes normally. Until the stop is written (``unwritten`` → the recorder's
transaction → ``written``) the claimer skips the campaign (``excluded``) or claims nothing
(``sender_waiting``): the auto-pause, or the sender's new status, then keeps them out.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Unwritten:
    pauses: dict[int, str] = field(default_factory=dict)  # campaign → reason
    sender: str | None = None  # why the sender cannot send
    # Campaigns stopped because Meta paused, disabled or withdrew their template: their
    # auto-pause names the template, so Meta making it sendable again resumes them (auto_resume).
    on_template: frozenset[int] = frozenset()
    # campaign → the history's last transition id when the send that stopped it was claimed:
    # a campaign moved since (Meta's webhooks paused and un-paused it, a user resumed it) is not
    # paused on that older evidence; its next send tells again.
    since: dict[int, int] = field(default_factory=dict)


class Stops:
    def __init__(self) -> None:
        self._pauses: dict[int, str] = {}  # campaign → reason, its auto-pause not written yet
        self._on_template: set[int] = set()  # of those, stopped by the template's state at Meta
        self._marks: dict[int, float] = {}  # campaign → when it stopped
        self._since: dict[int, int] = {}  # campaign → the newest evidence's claim (Claim.seq)
        self._sender: str | None = None
        self._sender_mark: float | None = None

    def campaign_stopped(
        self,
        campaign_id: int,
        reason: str,
        at: float,
        *,
        on_template: bool = False,
        seq: int | None = None,
    ) -> bool:
        """A template-stop error; True when it is news (not already waiting to be written).
        ``on_template``: the error says Meta stopped the template itself (paused, disabled);
        ``seq``: the claim's ``Claim.seq`` (the newest of the stop's evidence counts)."""
        news = campaign_id not in self._pauses
        self._pauses[campaign_id] = reason
        if seq is not None:
            self._since[campaign_id] = max(seq, self._since.get(campaign_id, seq))
        if on_template:
            self._on_template.add(campaign_id)
        else:
            self._on_template.discard(campaign_id)
        self._marks[campaign_id] = at
        return news

    def campaign_gone(self, campaign_id: int, at: float) -> None:
        """The database says the campaign no longer runs (paused, ended): nothing to write."""
        self._marks[campaign_id] = at

    def sender_stopped(self, reason: str, at: float) -> bool:
        """A sender-stop error; True when it is news."""
        news = self._sender is None
        self._sender = reason
        self._sender_mark = at
        return news

    def covers(self, campaign_id: int, claimed_at: float) -> bool:
        """Was a send of ``campaign_id`` claimed at ``claimed_at`` overtaken by a stop?"""
        mark = self._marks.get(campaign_id)
        if mark is not None and claimed_at <= mark:
            return True
        return self._sender_mark is not None and claimed_at <= self._sender_mark

    @property
    def excluded(self) -> list[int]:
        return list(self._pauses)

    @property
    def sender_waiting(self) -> bool:
        return self._sender is not None

    def unwritten(self) -> Unwritten:
        since = {c: s for c, s in self._since.items() if c in self._pauses}
        return Unwritten(dict(self._pauses), self._sender, frozenset(self._on_template), since)

    def written(self, done: Unwritten) -> None:
        """``done`` is committed; a stop seen again meanwhile (another reason) stays."""
        for campaign_id, reason in done.pauses.items():
            if self._pauses.get(campaign_id) == reason:
                del self._pauses[campaign_id]
                self._on_template.discard(campaign_id)
                self._since.pop(campaign_id, None)
        if done.sender is not None and self._sender == done.sender:
            self._sender = None
