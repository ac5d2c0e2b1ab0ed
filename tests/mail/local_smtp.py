"""An SMTP server on loopback (aiosmtpd) that keeps what it accepts, for tests that send real mail."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from portal.mail.transports import SmtpTransport


class Mailbox:
    """The server's side: keeps every message it accepts; refuses the addresses in `refuse`."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], EmailMessage]] = []
        self.refuse: set[str] = set()
        #: Subjects whose DATA is answered "421 closing" (the server going away mid-pass).
        self.closing_on: set[str] = set()
        #: EHLOs seen: one per connection.
        self.connections = 0
        #: Seconds each message takes to be accepted (a slow server).
        self.delay = 0.0
        self._lock = threading.Lock()

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        with self._lock:
            self.connections += 1
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        if self.delay:
            await asyncio.sleep(self.delay)
        if str(message["Subject"]) in self.closing_on:
            return "421 4.3.2 Service shutting down"
        with self._lock:
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def subjects(self) -> Counter[str]:
        with self._lock:
            return Counter(str(message["Subject"]) for _, _, message in self.received)


class LocalSmtpServer:
    """An SMTP server on a port chosen up front, so that it can be down first and start later."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.mailbox = Mailbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def transport(self) -> SmtpTransport:
        return SmtpTransport("127.0.0.1", self.port, timeout=5)


@pytest.fixture
def smtp_server() -> Iterator[LocalSmtpServer]:
    server = LocalSmtpServer()
    try:
        yield server
    finally:
        server.stop()
