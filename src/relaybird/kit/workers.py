"""A small pool of worker processes that import only what they run.

multiprocessing's spawn (and forkserver) start every worker by importing the parent's main
module again: for `relaybird serve` that is the whole application, ~1-2 s of CPU per worker per
import, on a machine whose cores the import itself needs. Here a worker is
``python -m relaybird.kit.workers``: it imports this module, then (when it unpickles the first
call) the module of the function it runs, and nothing else.

Calls and results travel as length-prefixed pickles over the worker's stdin/stdout (a private
pipe between two processes of this program). One thread per worker sends a call and waits for
its answer, so a worker never blocks on a full pipe. A worker ends when its stdin closes: when
the pool shuts down, or when the parent process dies (even by kill -9).
"""

from __future__ import annotations

import contextlib
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import IO, Any, TypeVar

T = TypeVar("T")

_HEADER = struct.Struct("!Q")


class WorkerDied(RuntimeError):
    """A worker process ended before answering (killed, out of memory)."""


def _send(stream: IO[bytes], value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    # Only ever what the other end of this private pipe (our own process) wrote.
    return pickle.loads(data)  # noqa: S301


class Pool:
    """``workers`` processes; ``submit`` returns a Future. Use as a context manager."""

    def __init__(self, workers: int) -> None:
        self._calls: queue.Queue[tuple[Future[Any], bytes] | None] = queue.Queue()
        self._procs: list[subprocess.Popen[bytes]] = []
        self._threads: list[threading.Thread] = []
        for _ in range(workers):
            proc = subprocess.Popen(
                [sys.executable, "-m", "relaybird.kit.workers"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
            self._procs.append(proc)
            thread = threading.Thread(target=self._drive, args=(proc,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        # Pickled here, in the caller's thread: a call that cannot be pickled fails at once.
        self._calls.put((future, pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL)))
        return future

    def _drive(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdin is not None and proc.stdout is not None
        while (item := self._calls.get()) is not None:
            future, call = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                proc.stdin.write(_HEADER.pack(len(call)))
                proc.stdin.write(call)
                proc.stdin.flush()
                ok, value = _receive(proc.stdout)
            except (OSError, EOFError):
                future.set_exception(WorkerDied(f"worker process {proc.pid} ended"))
                self._fail_rest()
                return
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def _unsent(self) -> list[Future[Any]]:
        """Take every call still queued (a shutdown marker met on the way is put back)."""
        taken: list[Future[Any]] = []
        while True:
            try:
                item = self._calls.get_nowait()
            except queue.Empty:
                return taken
            if item is None:
                self._calls.put(None)  # for the other threads
                return taken
            taken.append(item[0])

    def _fail_rest(self) -> None:
        """A worker died: the calls still queued fail too (their order can no longer hold)."""
        for future in self._unsent():
            if future.set_running_or_notify_cancel():
                future.set_exception(WorkerDied("a worker process ended"))

    def shutdown(self) -> None:
        """Calls not yet sent are cancelled; the ones running finish; the workers end."""
        for future in self._unsent():
            future.cancel()
        for _ in self._threads:
            self._calls.put(None)
        for proc in self._procs:
            if proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
        for thread in self._threads:
            thread.join(timeout=30)
        for proc in self._procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


def _serve(source: IO[bytes], sink: IO[bytes]) -> None:
    while True:
        try:
            fn, args = _receive(source)
        except EOFError:
            return
        try:
            result: tuple[bool, Any] = (True, fn(*args))
        except Exception as exc:
            result = (False, exc)
        try:
            _send(sink, result)
        except Exception as exc:  # an unpicklable result or exception: say so instead
            _send(sink, (False, RuntimeError(f"the answer could not be sent back: {exc!r}")))


if __name__ == "__main__":
    # stdout carries the answers: anything the called code prints goes to stderr instead.
    answers = sys.stdout.buffer
    sys.stdout = sys.stderr
    _serve(sys.stdin.buffer, answers)
