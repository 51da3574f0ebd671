"""A recording HTTP receiver for the simulator's callbacks: a real server on 127.0.0.1:<free
port> that turns each request into a ``CallbackRequest`` (full URL, headers, raw body), records
it and answers what ``respond`` says (by default 200, empty).

Tests verify and parse the recorded requests with the real adapters, which shows that the
simulator signs them exactly as the provider does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from relaybird.providers.channel import CallbackReply, CallbackRequest

Respond = Callable[[CallbackRequest], CallbackReply]


class Receiver:
    def __init__(self) -> None:
        self.requests: list[CallbackRequest] = []
        self.respond: Respond = lambda _request: CallbackReply()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = CallbackRequest(
                    method=self.command,
                    url=receiver.url + self.path,
                    headers={k: v for k, v in self.headers.items()},
                    body=body,
                )
                with receiver._lock:
                    receiver.requests.append(request)
                reply = receiver.respond(request)
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = _handle
            do_POST = _handle

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[CallbackRequest]:
        """Block until at least ``count`` requests arrived (the simulator posts in its thread)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.requests)} of {count} callbacks arrived")
            time.sleep(0.01)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def receiver_fixture() -> Iterator[Receiver]:
    receiver = Receiver()
    try:
        yield receiver
    finally:
        receiver.close()
