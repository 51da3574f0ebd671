"""The WeChat adapter: ``WeChatChannel`` implements the Direct port for an Official Account.

Every API call carries the account's access token, read through ``AccessTokens`` (one refresh
across workers, ahead of expiry). When WeChat answers 40001/40014/42001 (the token is stale:
another fetch invalidated it, or it expired early) the token is refreshed once — by one worker
— and the call retried once. Customer-service messages have no delivery receipt: errcode 0 means
accepted. ``base_url`` is https://api.weixin.qq.com or the simulator's ``/wechat``; QR images are
served from ``mp_url`` (https://mp.weixin.qq.com).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from pydantic import ValidationError

from relaybird.kit.time import Clock, SystemClock
from relaybird.providers.access_tokens import AccessTokens, Fetched, Token
from relaybird.providers.channel import (
    CallbackReply,
    CallbackRequest,
    DirectChannel,
    DirectNetwork,
    OutboundText,
)
from relaybird.providers.channel_events import ChannelEvent
from relaybird.providers.http import HttpAnswer, ProviderHttp, TransportFailed, transport_error
from relaybird.providers.port import ProviderCallFailed, ProviderError, SendResult
from relaybird.providers.wechat import parse as wechat_parse
from relaybird.providers.wechat import signature, wire
from relaybird.providers.wechat.crypto import WeChatCrypto
from relaybird.providers.wechat.errors import TOKEN_STALE, classify

MP_URL = "https://mp.weixin.qq.com"


@dataclass(frozen=True)
class WeChatAccount:
    """One Official Account (a connector): AppID/AppSecret for the API, the server-config Token
    (and EncodingAESKey in safe mode) for callbacks."""

    app_id: str
    app_secret: str = field(repr=False)
    token: str = field(repr=False)
    encoding_aes_key: str | None = field(default=None, repr=False)
    original_id: str | None = None  # gh_...: the callbacks' ToUserName

    @property
    def token_key(self) -> str:
        return f"wechat:{self.app_id}"

    @property
    def crypto(self) -> WeChatCrypto | None:
        if not self.encoding_aes_key:
            return None
        return WeChatCrypto(self.token, self.encoding_aes_key, self.app_id)


@dataclass(frozen=True)
class QrCode:
    ticket: str
    url: str  # what the QR code encodes
    image_url: str  # the image to show (showqrcode?ticket=...)
    expire_seconds: int | None  # None: permanent


class WeChatChannel:
    network = DirectNetwork.WECHAT

    def __init__(
        self,
        base_url: str,
        tokens: AccessTokens,
        *,
        mp_url: str = MP_URL,
        timeout: float = 15.0,
        max_age: timedelta | None = None,
        clock: Clock | None = None,
    ) -> None:
        """``max_age``: refuse callbacks whose signed ``timestamp`` is further than this from
        now. Plain mode signs (token, timestamp, nonce) but not the body, so a captured signed
        URL could be replayed with another body; a bound on its age limits that (WeChat retries
        within seconds). None: no bound (clocks need to agree for one)."""
        self.base_url = base_url.rstrip("/")
        self.max_age = max_age
        self.clock = clock or SystemClock()
        self.mp_url = mp_url.rstrip("/")
        self.tokens = tokens
        self._http = ProviderHttp(timeout=timeout)

    # --- access token -------------------------------------------------------------------------

    async def access_token(
        self, account: WeChatAccount, *, stale_version: int | None = None
    ) -> Token:
        """Raises ``ProviderCallFailed`` when WeChat refuses the AppID/AppSecret."""

        async def fetch() -> Fetched:
            return await self._fetch_token(account)

        try:
            return await self.tokens.get(account.token_key, fetch, stale_version=stale_version)
        except TimeoutError:
            raise ProviderCallFailed(
                transport_error("another worker's token refresh did not finish", ambiguous=False)
            ) from None

    async def _fetch_token(self, account: WeChatAccount) -> Fetched:
        params = {
            "grant_type": "client_credential",
            "appid": account.app_id,
            "secret": account.app_secret,
        }
        try:
            answer = await self._http.request("GET", self.base_url + wire.TOKEN_PATH, params=params)
        except TransportFailed as exc:
            raise ProviderCallFailed(exc.error) from None
        data = answer.json()
        try:
            token = wire.TokenResponse.model_validate(data)
        except ValidationError:
            raise ProviderCallFailed(_error(answer, data)) from None
        return Fetched(token.access_token, timedelta(seconds=token.expires_in))

    async def _call(self, account: WeChatAccount, path: str, body: dict[str, Any]) -> Any:
        """POST with the token; a stale token is refreshed and the call retried once. Returns the
        JSON of a success; raises ``ProviderCallFailed`` otherwise."""
        token = await self.access_token(account)
        for attempt in (1, 2):
            try:
                answer = await self._http.request(
                    "POST",
                    self.base_url + path,
                    params={"access_token": token.value},
                    json_body=body,
                )
            except TransportFailed as exc:
                raise ProviderCallFailed(exc.error) from None
            data = answer.json()
            errcode = data.get("errcode", 0) if isinstance(data, dict) else None
            if answer.status == 200 and errcode == 0:
                return data
            if attempt == 1 and errcode in TOKEN_STALE:
                token = await self.access_token(account, stale_version=token.version)
                continue
            raise ProviderCallFailed(_error(answer, data))
        raise AssertionError("unreachable")  # pragma: no cover

    # --- the port -------------------------------------------------------------------------------

    async def send_text(self, account: WeChatAccount, message: OutboundText) -> SendResult:
        """A customer-service text message to an OpenID (inside the customer-service window)."""
        try:
            await self._call(
                account, wire.CUSTOM_SEND_PATH, wire.custom_text(message.to, message.text)
            )
        except ProviderCallFailed as exc:
            return SendResult(error=exc.error)
        # WeChat gives no message id for these: ours identifies the accepted send.
        return SendResult(message_id=f"wechat.{uuid.uuid4().hex}")

    async def create_qr(
        self,
        account: WeChatAccount,
        scene: str,
        *,
        permanent: bool = False,
        expire_seconds: int | None = None,
    ) -> QrCode:
        """A parametric QR code carrying ``scene`` (1–64 chars); scanning it sends ``subscribe``
        with ``qrscene_<scene>`` (new follower) or ``SCAN`` with ``<scene>``. Temporary codes
        live at most 30 days (the default here); permanent ones are capped at 100,000."""
        body = wire.qrcode_request(scene, permanent=permanent, expire_seconds=expire_seconds)
        data = await self._call(account, wire.QRCODE_CREATE_PATH, body)
        try:
            qr = wire.QrCodeResponse.model_validate(data)
        except ValidationError:
            raise ProviderCallFailed(
                transport_error(f"unreadable QR code answer: {str(data)[:200]}", ambiguous=False)
            ) from None
        return QrCode(
            qr.ticket,
            qr.url,
            self.qr_image_url(qr.ticket),
            None if permanent else qr.expire_seconds,
        )

    def qr_image_url(self, ticket: str) -> str:
        return f"{self.mp_url}{wire.SHOW_QRCODE_PATH}?ticket={quote(ticket, safe='')}"

    def verify(self, account: WeChatAccount, request: CallbackRequest) -> bool:
        q = request.query
        timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
        if not signature.verify(account.token, timestamp, nonce, q.get("signature")):
            return False
        if self.max_age is not None and not self._recent(timestamp):
            return False
        post = request.method.upper() == "POST"
        if post and account.encoding_aes_key and not wechat_parse.is_encrypted(request):
            # Safe mode sends nothing in clear, and the plain signature does not cover the body.
            return False
        if wechat_parse.is_encrypted(request) and post:
            try:
                encrypted = wire.parse_xml(request.body).get("Encrypt", "")
            except wire.MalformedXml:
                return False
            return signature.verify_message(
                account.token, timestamp, nonce, encrypted, q.get("msg_signature")
            )
        return True

    def _recent(self, timestamp: str) -> bool:
        try:
            signed = datetime.fromtimestamp(int(timestamp), UTC)
        except (ValueError, OverflowError, OSError):
            return False
        return abs(self.clock.now() - signed) <= (self.max_age or timedelta())

    def handshake(self, account: WeChatAccount, request: CallbackRequest) -> CallbackReply | None:
        """WeChat's URL verification: a signed GET whose ``echostr`` we answer verbatim."""
        if request.method.upper() != "GET" or "echostr" not in request.query:
            return None
        if not self.verify(account, request):
            return CallbackReply(status=403, body=b"invalid signature")
        return CallbackReply(body=request.query["echostr"].encode())

    def parse(self, account: WeChatAccount, request: CallbackRequest) -> list[ChannelEvent]:
        return wechat_parse.parse(request, account.crypto)

    def acknowledge(self, request: CallbackRequest) -> CallbackReply:
        # "success" (or an empty body): WeChat neither retries nor shows the user an error.
        return CallbackReply(body=b"success")

    async def close(self) -> None:
        await self._http.close()


def _error(answer: HttpAnswer, data: Any) -> ProviderError:
    try:
        result = wire.Result.model_validate(data)
    except ValidationError:
        return transport_error(
            f"HTTP {answer.status} without errcode: {answer.excerpt}", ambiguous=False
        )
    if result.errcode == 0:
        return transport_error(f"HTTP {answer.status}: {answer.excerpt}", ambiguous=False)
    return classify(result.errcode, result.errmsg, details=dict(data))


def _conforms(channel: WeChatChannel) -> DirectChannel[WeChatAccount]:
    """mypy checks here that the adapter implements the Direct port."""
    return channel
