"""A deliberately crude HTTP/1.1 client on a raw socket: it can declare any Content-Length, stream
a chunked body of any size, send non-ASCII header bytes, and stops sending the moment the server
answers or hangs up (as an attacker's client would not, but a probe must, to read the answer)."""

from __future__ import annotations

import contextlib
import select
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

CHUNK = 64 * 1024


@dataclass
class Reply:
    status: int | None  # None: the connection ended without an answer
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    sent: int = 0  # body bytes the server let us send


def filler(total: int, chunk: int = CHUNK) -> Iterator[bytes]:
    piece = b"x" * chunk
    while total > 0:
        yield piece[: min(chunk, total)]
        total -= chunk


def request(
    port: int,
    method: str,
    path: str,
    *,
    headers: dict[str, bytes] | None = None,
    body: Iterable[bytes] = (),
    declared: int | None = None,
    chunked: bool = False,
    expect_continue: bool = False,
    timeout: float = 60,
) -> Reply:
    head = [f"{method} {path} HTTP/1.1".encode(), b"Host: 127.0.0.1", b"Connection: close"]
    for name, value in (headers or {}).items():
        head.append(name.encode() + b": " + value)
    if chunked:
        head.append(b"Transfer-Encoding: chunked")
    elif declared is not None:
        head.append(b"Content-Length: " + str(declared).encode())
    if expect_continue:
        head.append(b"Expect: 100-continue")
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(b"\r\n".join(head) + b"\r\n\r\n")
        buffered = b""
        if expect_continue:
            buffered = _recv_head(sock)
            if buffered.startswith(b"HTTP/1.1 100"):
                buffered = buffered.split(b"\r\n\r\n", 1)[1]
            else:
                return _reply(sock, buffered, sent)
        try:
            for piece in body:
                if select.select([sock], [], [], 0)[0]:
                    break  # the server answered (or hung up): stop sending
                sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece)
                sent += len(piece)
            else:
                if chunked:
                    sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        return _reply(sock, buffered, sent)


def _recv_head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        try:
            more = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not more:
            return data
        data += more
    return data


def _reply(sock: socket.socket, data: bytes, sent: int) -> Reply:
    if b"\r\n\r\n" not in data:
        data += _recv_head(sock)
    if b"\r\n\r\n" not in data:
        return Reply(None, sent=sent)
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "-1"))
    with contextlib.suppress(OSError):
        while length < 0 or len(body) < length:
            more = sock.recv(65536)
            if not more:
                break
            body += more
    return Reply(status, headers, body, sent)
