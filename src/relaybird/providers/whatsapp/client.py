"""The WhatsApp Cloud API adapter: one shared aiohttp session (pooled keep-alive connections)
implementing ``providers.port.MessagingProvider``.

Every failure comes back as a ``SendResult`` carrying a classified ``ProviderError``; nothing of
aiohttp leaks out. A timeout after the request was written is ``ambiguous``: Meta may have
accepted the message, so the caller must not blindly retry (DESIGN.md §2.2 "never sent twice").
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
from pydantic import ValidationError

from relaybird.providers.port import (
    CatalogueTemplate,
    PhoneNumberInfo,
    ProviderCallFailed,
    ProviderError,
    SenderCredentials,
    SendResult,
    TemplateMessage,
)
from relaybird.providers.whatsapp import wire
from relaybird.providers.whatsapp.errors import classify, transport_error, unsendable_request

log = logging.getLogger("relaybird.providers.whatsapp")

__all__ = ["ProviderCallFailed", "WhatsAppCloudClient"]


class WhatsAppCloudClient:
    """``base_url`` is Meta's (https://graph.facebook.com) or the simulator's."""

    def __init__(
        self,
        base_url: str,
        api_version: str,
        *,
        timeout: float = 15.0,
        connect_timeout: float = 5.0,
        max_connections: int = 200,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=connect_timeout)
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        # Created lazily: an aiohttp session belongs to the event loop that first uses it.
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._max_connections, keepalive_timeout=30)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                json_serialize=json.dumps,
                headers={"User-Agent": "relaybird"},
            )
        return self._session

    def _url(self, *parts: str) -> str:
        return "/".join((self.base_url, self.api_version, *parts))

    async def send_template(
        self, sender: SenderCredentials, message: TemplateMessage
    ) -> SendResult:
        try:
            body = wire.template_payload(
                message.to,
                message.template_name,
                message.language,
                message.body_params,
                message.callback_data,
                message.components,
            )
        except ValidationError as exc:
            # Components that are not Meta's shape: the payload every recipient shares is wrong.
            return SendResult(
                error=classify(100, f"invalid template components: {exc.errors()[0]['msg']}")
            )
        return await self._send(sender, body)

    async def send_text(
        self, sender: SenderCredentials, to: str, text: str, callback_data: str | None = None
    ) -> SendResult:
        body = wire.text_request(to, text, callback_data)
        return await self._send(sender, body.model_dump(mode="json", exclude_none=True))

    async def _send(self, sender: SenderCredentials, payload: dict[str, Any]) -> SendResult:
        try:
            status, data = await self._request(
                "POST", self._url(sender.phone_number_id, "messages"), sender, json_body=payload
            )
        except _Transport as exc:
            return SendResult(error=exc.error)
        if status == 200:
            try:
                return SendResult(message_id=wire.send_response_id(data))
            except ValueError:
                # A 200 we cannot read: Meta probably accepted it. Ambiguous, not a failure.
                return SendResult(
                    error=transport_error(f"unreadable 200 response: {data!r:.200}", ambiguous=True)
                )
        return SendResult(error=_graph_error(status, data))

    async def get_phone_number(self, sender: SenderCredentials) -> PhoneNumberInfo:
        try:
            status, data = await self._request(
                "GET",
                self._url(sender.phone_number_id),
                sender,
                params={"fields": wire.PHONE_NUMBER_FIELDS},
            )
        except _Transport as exc:
            raise ProviderCallFailed(exc.error) from None
        if status != 200:
            raise ProviderCallFailed(_graph_error(status, data))
        try:
            fields = wire.PhoneNumberFields.model_validate(data)
        except ValidationError:
            raise ProviderCallFailed(
                transport_error(f"unreadable phone number: {data!r:.200}", ambiguous=False)
            ) from None
        return PhoneNumberInfo(
            status=fields.status,
            quality_rating=fields.quality_rating,
            # The new field wins; the deprecated one is read while Meta still sends only it.
            messaging_limit_tier=fields.whatsapp_business_manager_messaging_limit
            or fields.messaging_limit_tier,
            throughput_level=fields.throughput.level if fields.throughput else None,
            raw=dict(data) if isinstance(data, dict) else {},
        )

    async def list_templates(
        self, sender: SenderCredentials, waba_id: str
    ) -> list[CatalogueTemplate]:
        """Every template of the business account, all pages. Pages are followed by the
        ``after`` cursor against our own base URL while Meta gives a ``next`` link (the last
        page has none; a short page is not the end); cursors are never stored."""
        out: list[CatalogueTemplate] = []
        params = {"fields": wire.TEMPLATE_FIELDS, "limit": str(wire.TEMPLATE_PAGE_SIZE)}
        seen: set[str] = set()
        while True:
            data = await self._read("GET", self._url(waba_id, "message_templates"), sender, params)
            try:
                page = wire.CataloguePage.model_validate(data)
            except ValidationError as exc:
                raise ProviderCallFailed(
                    transport_error(
                        f"unreadable template page: {exc.errors()[0]['msg']}", ambiguous=False
                    )
                ) from None
            out += [_catalogue_item(item) for item in page.data]
            paging = page.paging
            after = paging.cursors.after if paging and paging.cursors else None
            if paging is None or paging.next is None or after is None or after in seen:
                return out
            seen.add(after)
            params = {**params, "after": after}

    async def upload_media(
        self, sender: SenderCredentials, data: bytes, mime_type: str, filename: str
    ) -> str:
        """``POST /{phone-number-id}/media`` (multipart: file, type, messaging_product) → the
        media id, reusable in sends for 30 days."""
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", mime_type)
        form.add_field("file", data, filename=filename, content_type=mime_type)
        body = await self._read(
            "POST", self._url(sender.phone_number_id, "media"), sender, form=form
        )
        try:
            return wire.MediaUploadResponse.model_validate(body).id
        except ValidationError:
            raise ProviderCallFailed(
                transport_error(f"unreadable media upload answer: {body!r:.200}", ambiguous=True)
            ) from None

    async def _read(
        self,
        method: str,
        url: str,
        sender: SenderCredentials,
        params: dict[str, str] | None = None,
        *,
        form: aiohttp.FormData | None = None,
    ) -> Any:
        """A call that is not a send: its body on 200, else ProviderCallFailed."""
        try:
            status, data = await self._request(method, url, sender, params=params, form=form)
        except _Transport as exc:
            raise ProviderCallFailed(exc.error) from None
        if status != 200:
            raise ProviderCallFailed(_graph_error(status, data))
        return data

    async def _request(
        self,
        method: str,
        url: str,
        sender: SenderCredentials,
        *,
        json_body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        form: aiohttp.FormData | None = None,
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {sender.access_token}"}
        try:
            async with self._http().request(
                method, url, json=json_body, params=params, headers=headers, data=form
            ) as response:
                raw = await response.read()  # JSON: no charset sniffing of the text
                try:
                    data = json.loads(raw) if raw else None
                except ValueError:
                    data = {"_raw": raw[:500].decode("utf-8", "replace")}
                return response.status, data
        except aiohttp.ConnectionTimeoutError as exc:
            raise _Transport(transport_error(f"connect timeout: {exc}", ambiguous=False)) from None
        except aiohttp.ClientConnectorError as exc:
            raise _Transport(transport_error(f"cannot connect: {exc}", ambiguous=False)) from None
        except (TimeoutError, aiohttp.ServerTimeoutError):
            # Past the connect phase (its timeout is the sock_connect one above): the request
            # was written and no complete answer came back, so Meta may have processed it.
            raise _Transport(
                transport_error("timeout waiting for the answer", ambiguous=True)
            ) from None
        except aiohttp.ClientError as exc:
            # Dropped mid-request (ServerDisconnectedError, payload errors): it may have gone out.
            raise _Transport(
                transport_error(f"connection error: {type(exc).__name__}", ambiguous=True)
            ) from None
        except ValueError:
            # aiohttp refuses to write a header or URL with control characters (a stored token
            # such as "tok\r\nX: 1"): raised before anything was sent. The message may quote
            # the token: never kept.
            raise _Transport(
                unsendable_request(
                    "the request could not be written: the sender's access token or id holds "
                    "characters an HTTP header cannot carry"
                )
            ) from None

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


class _Transport(Exception):
    def __init__(self, error: ProviderError) -> None:
        super().__init__(error.title)
        self.error = error


def _catalogue_item(item: wire.CatalogueItem) -> CatalogueTemplate:
    return CatalogueTemplate(
        id=item.id,
        name=item.name,
        language=item.language,
        status=item.status,
        category=item.category,
        components=item.components,
        parameter_format=item.parameter_format,
        sub_category=item.sub_category,
        quality_score=item.quality_score.score if item.quality_score else None,
        rejected_reason=item.rejected_reason,
    )


def _graph_error(status: int, data: Any) -> ProviderError:
    try:
        envelope = wire.ErrorEnvelope.model_validate(data)
    except ValidationError:
        # No Graph error body (a proxy's 502, an HTML page): transient on the sender's side.
        return transport_error(f"HTTP {status} without a Graph error body", ambiguous=False)
    error = envelope.error
    details = error.model_dump(exclude_none=True)
    title = (error.error_data.details if error.error_data else None) or error.message
    return classify(error.code, title, details=details)
