"""Helpers for event and webhook tests: a course on sale, and a real HTTP receiver (a threaded server on
127.0.0.1 that records what it is sent and answers as scripted: status codes in turn, or hanging a while)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.auth import Client, Credentials
from tests.factories import course_body


async def course_on_sale(client: Client, partner: Credentials, programme: Credentials) -> str:
    """The id of a new approved self-paced course of `partner`."""
    created = await client.post("/v1/courses", json=course_body(), headers=partner.headers)
    assert created.status_code == 201, created.text
    course_id: str = created.json()["id"]
    submitted = await client.post(f"/v1/courses/{course_id}/submit", headers=partner.headers)
    assert submitted.status_code < 300, submitted.text
    approved = await client.post(f"/v1/programme/courses/{course_id}/approve", headers=programme.headers)
    assert approved.status_code < 300, approved.text
    return course_id


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() when it arrived

    @property
    def envelope(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    url: str
    statuses: list[int] = field(default_factory=list)  # answered in turn; 200 once they run out
    hang_seconds: float = 0.0  # sleep this long before answering the first `hangs` requests
    hangs: int = 0
    delay_seconds: float = 0.0  # sleep before every answer
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_answer(self) -> tuple[int, float]:
        with self.lock:
            status = self.statuses.pop(0) if self.statuses else 200
            hang = self.hang_seconds if self.hangs > 0 else 0.0
            self.hangs = max(self.hangs - 1, 0)
            return status, hang + self.delay_seconds

    def record(self, item: Received) -> None:
        with self.lock:
            self.received.append(item)

    def messages(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    async def wait_for(self, count: int, within: float = 30.0) -> list[Received]:
        """The first `count` messages, waiting up to `within` seconds for them (a failure guard, not a claim)."""
        deadline = time.monotonic() + within
        while len(self.messages()) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} webhook requests, got {len(self.messages())}")
            await asyncio.sleep(0.02)
        return self.messages()[:count]

    async def wait_for_ids(self, ids: set[str], within: float = 60.0) -> list[Received]:
        """Every message until each of `ids` arrived at least once."""
        deadline = time.monotonic() + within
        while not ids <= {m.headers["webhook-id"] for m in self.messages()}:
            if time.monotonic() > deadline:
                missing = ids - {m.headers["webhook-id"] for m in self.messages()}
                raise AssertionError(f"{len(missing)} of {len(ids)} events never arrived")
            await asyncio.sleep(0.05)
        return self.messages()


@contextmanager
def receiving(**script: Any) -> Iterator[Receiver]:
    """A receiver listening on a free port until the block ends."""
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver = holder["receiver"]
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            arrived = time.time()
            receiver.record(Received({k.lower(): v for k, v in self.headers.items()}, body, arrived))
            status, pause = receiver.next_answer()
            if pause:
                time.sleep(pause)
            payload = b'{"ok": true}' + b" " * 5000  # longer than what the sender keeps
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the sender gave up (timeout)
                self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            return

    class Server(ThreadingHTTPServer):
        request_queue_size = 256  # a whole batch connects at once

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    holder["receiver"] = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks", **script)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder["receiver"]
    finally:
        server.shutdown()
        server.server_close()
