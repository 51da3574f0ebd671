"""A tiny JSON client for our own API (the demo drives relaybird the way an integrator would).

Standard library only: the outbound HTTP library (aiohttp) belongs to providers/.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import Any


class ApiError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        detail = body.get("detail") if isinstance(body, dict) else body
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.body = body


class ApiClient:
    def __init__(self, base_url: str, key: str) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"not an http(s) URL: {base_url}")
        self.base_url = base_url.rstrip("/")
        self.key = key

    def request(
        self, method: str, path: str, body: Any = None, *, raw: bytes | None = None, ctype: str = ""
    ) -> Any:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        headers = {"Authorization": f"Bearer {self.key}"}
        if data is not None:
            headers["Content-Type"] = ctype or "application/json"
        req = urllib.request.Request(  # noqa: S310 (our own http:// URL)
            self.base_url + path, data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(req, timeout=120) as response:  # noqa: S310 (our own URL)
                payload = response.read()
        except urllib.error.HTTPError as exc:
            text = exc.read()
            try:
                parsed: Any = json.loads(text)
            except ValueError:
                parsed = text.decode(errors="replace")
            raise ApiError(exc.code, parsed) from None
        return json.loads(payload) if payload else None

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, body if body is not None else {})

    def upload(self, path: str, filename: str, content: bytes) -> Any:
        boundary = uuid.uuid4().hex
        raw = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return self.request(
            "POST", path, raw=raw, ctype=f"multipart/form-data; boundary={boundary}"
        )
