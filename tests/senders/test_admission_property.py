"""The admission rule (``window.admit``) as a property (issue 12 item 5): whatever the order of
claims from the numbers sharing one limit, and however time moves, the unique recipients counted
in any moving 24 h never exceed the limit; recipients that cost nothing are always admitted;
new ones are admitted exactly while there is room."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from relaybird.senders.lifecycle import WINDOW, MovingWindow
from relaybird.senders.window import admit

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
POOL = [f"+1555000{i:04d}" for i in range(40)]

claims = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3),  # which number of the portfolio claims
        st.integers(min_value=0, max_value=30 * 60),  # minutes since the claim before
        st.lists(st.sampled_from(POOL), max_size=15),  # the due recipients' phones, in order
    ),
    max_size=40,
)


@given(cap=st.integers(min_value=1, max_value=12), steps=claims)
def test_shared_window_never_over_the_limit(
    cap: int, steps: list[tuple[int, int, list[str]]]
) -> None:
    shared = MovingWindow()  # one window for every number of the portfolio
    now = T0
    for _number, minutes, phones in steps:
        now += timedelta(minutes=minutes)
        in_window = {p for p in POOL if p in _counted_since(shared, now)}
        used = len(shared.counted_at(now))
        result = admit(phones, in_window, cap - used)

        # Order kept, nothing invented.
        assert result.phones == [p for p in phones if p in set(result.phones)]
        # What costs nothing always goes.
        assert all(p in result.phones for p in phones if p in in_window)
        new = list(dict.fromkeys(p for p in phones if p not in in_window))
        room = max(cap - used, 0)
        admitted_new = [p for p in new if p in result.phones]
        assert admitted_new == new[:room]  # new ones in order, exactly while room lasts
        assert result.refused == sum(1 for p in phones if p in new[room:])
        assert sorted(set(result.counted)) == sorted(set(result.phones))

        for phone in result.counted:
            shared.record(phone, now)
        assert len(shared.counted_at(now)) <= cap


def _counted_since(window: MovingWindow, now: datetime) -> set[str]:
    return {p for p, t in window._last.items() if now - WINDOW < t <= now}
