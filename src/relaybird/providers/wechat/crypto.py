"""WeChat's "safe mode": callbacks encrypted with the account's EncodingAESKey.

AESKey = base64decode(EncodingAESKey + "=") (32 bytes); AES-256-CBC with IV = AESKey[:16];
plaintext = 16 random bytes + 4-byte big-endian length + XML + AppID, PKCS#7-padded to a
multiple of 32 (not AES's 16: WeChat's choice). The trailing AppID must be ours. The signature
``msg_signature = sha1(sorted(token, timestamp, nonce, Encrypt))`` covers the ciphertext.
Sources: developers.weixin.qq.com (Technical_Plan), wechatpy ``crypto/`` (vector in
tests/data/wechat/signature-vectors.json). AES comes from ``cryptography`` (no hand-made cipher).
"""

from __future__ import annotations

import base64
import binascii
import os
import struct
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from relaybird.providers.wechat import signature

BLOCK = 32


class CryptoError(ValueError):
    """Bad key, bad ciphertext, bad padding or another account's AppID."""


def _key(encoding_aes_key: str) -> bytes:
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError):
        raise CryptoError("the EncodingAESKey is not Base64") from None
    if len(encoding_aes_key) != 43 or len(key) != 32:
        raise CryptoError("the EncodingAESKey is 43 characters (32 bytes)")
    return key


def _pad(data: bytes) -> bytes:
    n = BLOCK - len(data) % BLOCK
    return data + bytes([n]) * n


def _unpad(data: bytes) -> bytes:
    if not data:
        raise CryptoError("empty plaintext")
    n = data[-1]
    if not 1 <= n <= BLOCK or data[-n:] != bytes([n]) * n:
        raise CryptoError("bad padding")
    return data[:-n]


@dataclass(frozen=True)
class Envelope:
    encrypted: str
    msg_signature: str
    timestamp: str
    nonce: str


@dataclass(frozen=True)
class WeChatCrypto:
    token: str = field(repr=False)
    encoding_aes_key: str = field(repr=False)
    app_id: str

    def _cipher(self) -> Cipher[modes.CBC]:
        key = _key(self.encoding_aes_key)
        return Cipher(algorithms.AES(key), modes.CBC(key[:16]))

    def decrypt(self, encrypted: str) -> bytes:
        """The XML inside ``Encrypt``; refuses another account's AppID."""
        try:
            data = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError):
            raise CryptoError("Encrypt is not Base64") from None
        if not data or len(data) % 16:
            raise CryptoError("ciphertext is not whole AES blocks")
        decryptor = self._cipher().decryptor()
        plain = _unpad(decryptor.update(data) + decryptor.finalize())
        if len(plain) < 20:
            raise CryptoError("plaintext too short")
        (length,) = struct.unpack(">I", plain[16:20])
        xml, app_id = plain[20 : 20 + length], plain[20 + length :]
        if len(xml) != length:
            raise CryptoError("length field beyond the plaintext")
        if app_id.decode(errors="replace") != self.app_id:
            raise CryptoError("the message is for another AppID")
        return xml

    def encrypt(self, xml: bytes, *, random_prefix: bytes | None = None) -> str:
        prefix = random_prefix if random_prefix is not None else os.urandom(16)
        if len(prefix) != 16:
            raise ValueError("the random prefix is 16 bytes")
        plain = _pad(prefix + struct.pack(">I", len(xml)) + xml + self.app_id.encode())
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()

    def seal(self, xml: bytes, timestamp: str, nonce: str) -> Envelope:
        encrypted = self.encrypt(xml)
        return Envelope(
            encrypted, signature.sign(self.token, timestamp, nonce, encrypted), timestamp, nonce
        )

    def open(self, encrypted: str, timestamp: str, nonce: str, msg_signature: str | None) -> bytes:
        if not signature.verify_message(self.token, timestamp, nonce, encrypted, msg_signature):
            raise CryptoError("msg_signature does not match")
        return self.decrypt(encrypted)


def envelope_xml(to_user: str, encrypted: str) -> bytes:
    """What WeChat POSTs in safe mode: ``<xml><ToUserName/><Encrypt/></xml>``."""
    return (
        f"<xml><ToUserName><![CDATA[{to_user}]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    ).encode()
