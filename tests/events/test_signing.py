from __future__ import annotations

from relaybird.events import signing


def test_matches_the_standard_webhooks_reference_vector() -> None:
    # From the Standard Webhooks reference libraries' test suite.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    signature = signing.sign(
        secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_verify_accepts_its_own_and_rejects_a_changed_body() -> None:
    secret = signing.new_secret()
    assert secret.startswith("whsec_")
    headers = signing.headers(secret, "evt_1", 1700000000, b"{}")
    sig = headers["webhook-signature"]
    assert signing.verify(secret, "evt_1", 1700000000, b"{}", sig)
    assert signing.verify(secret, "evt_1", 1700000000, b"{}", f"v1,bm9wZQ== {sig}")
    assert not signing.verify(secret, "evt_1", 1700000000, b"{ }", sig)
    assert not signing.verify(signing.new_secret(), "evt_1", 1700000000, b"{}", sig)
