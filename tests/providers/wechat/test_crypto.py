"""Safe mode (AES-256-CBC, PKCS#7 on 32-byte blocks) against wechatpy's published vector."""

from __future__ import annotations

import pytest

from relaybird.providers.wechat.crypto import CryptoError, WeChatCrypto, envelope_xml
from relaybird.providers.wechat.wire import parse_xml
from tests.providers.helpers import fixture, fixture_json

SAFE = fixture_json("wechat", "signature-vectors.json")["safe_mode"]
BOX = WeChatCrypto(SAFE["token"], SAFE["encoding_aes_key"], SAFE["receive_id"])


def test_the_published_message_decrypts() -> None:
    d = SAFE["decrypt"]
    encrypted = parse_xml(fixture("wechat", d["body_file"]))["Encrypt"]
    xml = BOX.open(encrypted, d["timestamp"], d["nonce"], d["msg_signature"])
    fields = parse_xml(xml)
    for name, value in d["expect"].items():
        assert fields[name] == value


def test_the_published_echostr_decrypts() -> None:
    e = SAFE["echostr_check"]
    assert (
        BOX.open(e["echostr"], e["timestamp"], e["nonce"], e["msg_signature"])
        == e["decrypted_echostr"].encode()
    )


def test_another_accounts_message_and_tampering_are_refused() -> None:
    d = SAFE["decrypt"]
    encrypted = parse_xml(fixture("wechat", d["body_file"]))["Encrypt"]
    other = WeChatCrypto(SAFE["token"], SAFE["encoding_aes_key"], "wx0000000000000000")
    with pytest.raises(CryptoError, match="another AppID"):
        other.decrypt(encrypted)
    with pytest.raises(CryptoError, match="msg_signature"):
        BOX.open(encrypted, d["timestamp"], d["nonce"], "0" * 40)
    # CBC has no integrity of its own: msg_signature, over the ciphertext, is what catches this.
    flipped = encrypted[:10] + ("A" if encrypted[10] != "A" else "B") + encrypted[11:]
    with pytest.raises(CryptoError, match="msg_signature"):
        BOX.open(flipped, d["timestamp"], d["nonce"], d["msg_signature"])
    for bad in ("", "not base64!", "AAAA"):
        with pytest.raises(CryptoError):
            BOX.decrypt(bad)
    with pytest.raises(CryptoError):
        WeChatCrypto("t", "short", "wx1").decrypt(encrypted)


def test_seal_and_open_round_trip() -> None:
    xml = "<xml><Content><![CDATA[你好 relaybird]]></Content></xml>".encode()
    sealed = BOX.seal(xml, "1411525903", "461056294")
    assert BOX.open(sealed.encrypted, sealed.timestamp, sealed.nonce, sealed.msg_signature) == xml
    fixed = BOX.encrypt(xml, random_prefix=b"1234567890123456")
    assert fixed == BOX.encrypt(xml, random_prefix=b"1234567890123456")
    assert len(__import__("base64").b64decode(fixed)) % 32 == 0
    assert parse_xml(envelope_xml("gh_1", sealed.encrypted))["Encrypt"] == sealed.encrypted
