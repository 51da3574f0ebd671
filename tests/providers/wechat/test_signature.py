"""WeChat's sha1 signatures against wechatpy's published vectors; forgeries refused."""

from __future__ import annotations

from relaybird.providers.wechat import signature
from tests.providers.helpers import fixture_json

VECTORS = fixture_json("wechat", "signature-vectors.json")


def test_the_server_verification_vector() -> None:
    [v] = VECTORS["server_verification"]["vectors"]
    assert signature.sign(v["token"], v["timestamp"], v["nonce"]) == v["signature"]
    assert signature.verify(v["token"], v["timestamp"], v["nonce"], v["signature"])
    assert not signature.verify(v["token"], v["timestamp"], v["nonce"], v["negative"]["signature"])


def test_the_safe_mode_message_signature_vector() -> None:
    safe = VECTORS["safe_mode"]
    d = safe["decrypt"]
    from relaybird.providers.wechat.wire import parse_xml
    from tests.providers.helpers import fixture

    encrypted = parse_xml(fixture("wechat", d["body_file"]))["Encrypt"]
    assert (
        signature.sign(safe["token"], d["timestamp"], d["nonce"], encrypted) == d["msg_signature"]
    )
    assert signature.verify_message(
        safe["token"], d["timestamp"], d["nonce"], encrypted, d["msg_signature"]
    )
    assert not signature.verify_message(
        safe["token"], d["timestamp"], d["nonce"], encrypted + "A", d["msg_signature"]
    )


def test_forgeries_are_refused() -> None:
    [v] = VECTORS["server_verification"]["vectors"]
    assert not signature.verify("other", v["timestamp"], v["nonce"], v["signature"])
    assert not signature.verify(v["token"], "1410685590", v["nonce"], v["signature"])
    assert not signature.verify(v["token"], v["timestamp"], v["nonce"], None)
    assert not signature.verify(
        "", v["timestamp"], v["nonce"], signature.sign("", v["timestamp"], v["nonce"])
    )
