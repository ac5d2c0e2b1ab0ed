"""How messages leave the portal: over SMTP, or as .eml files in a folder (development)."""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

from portal.config import ConfigError


class MailConfigError(ConfigError):
    """The settings do not describe a transport that could send anything."""


class TransportUnavailable(Exception):
    """The mail server (or folder) cannot be reached at all: no fault of the message itself."""


class _Disconnected(Exception):
    """The connection broke during a message."""


class Transport(Protocol):
    def send(self, message: EmailMessage, *, outbox_id: int, now: datetime) -> None:
        """Deliver one message or raise: TransportUnavailable when nothing could be sent now,
        any other exception when this message was refused."""

    def close(self) -> None:
        """End the pass: close any connection (the transport may be used again afterwards)."""


class FolderTransport:
    """Writes each message as `<UTC timestamp>-<outbox id>.eml`, readable by any mail client."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __repr__(self) -> str:
        return f"folder {self.folder}"

    def prepare(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MailConfigError(
                f"MAIL_FOLDER: cannot create the folder {self.folder}: {exc.strerror or exc}"
            ) from exc

    def send(self, message: EmailMessage, *, outbox_id: int, now: datetime) -> None:
        name = f"{now.astimezone(UTC):%Y%m%dT%H%M%S%fZ}-{outbox_id}.eml"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # Written under a temporary name, then renamed: a reader never sees half a message.
            handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".part")
            with os.fdopen(handle, "wb") as file:
                file.write(message.as_bytes())
            os.replace(temporary, self.folder / name)
        except OSError as exc:
            raise TransportUnavailable(f"cannot write to {self.folder}: {exc}") from exc

    def close(self) -> None:
        pass


class SmtpTransport:
    """Sends over one SMTP connection per pass, opened at the first message."""

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        username: str = "",
        password: str = "",
        starttls: bool = False,
        use_ssl: bool = False,
        timeout: float = 30,
    ) -> None:
        if starttls and use_ssl:
            raise MailConfigError("SMTP_SSL and SMTP_STARTTLS cannot both be on")
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.starttls = starttls
        self.use_ssl = use_ssl
        self.timeout = timeout
        self._connection: smtplib.SMTP | None = None

    def __repr__(self) -> str:
        return f"SMTP server {self.host}:{self.port}"

    def prepare(self) -> None:
        pass

    def send(self, message: EmailMessage, *, outbox_id: int, now: datetime) -> None:
        reused = self._connection is not None
        try:
            self._send_once(message)
        except _Disconnected as exc:
            if not reused:
                raise TransportUnavailable(f"{self!r}: {exc}") from exc
            # The server closed the connection kept from the previous message (an idle
            # timeout, say): open a new one, once.
            try:
                self._send_once(message)
            except _Disconnected as again:
                raise TransportUnavailable(f"{self!r}: {again}") from again

    def _send_once(self, message: EmailMessage) -> None:
        connection = self._connection or self._connect()
        try:
            connection.send_message(message)
        except smtplib.SMTPServerDisconnected as exc:
            self._drop()
            raise _Disconnected(describe_error(exc)) from exc
        except smtplib.SMTPException:
            raise  # this message was refused; the connection is still good for the next one
        except OSError as exc:  # reset, timed out
            self._drop()
            raise _Disconnected(describe_error(exc)) from exc

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()

    def _connect(self) -> smtplib.SMTP:
        connection: smtplib.SMTP | None = None
        try:
            if self.use_ssl:
                connection = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.starttls:
                    connection.starttls(context=ssl.create_default_context())
            if self.username:
                connection.login(self.username, self.password)
        except (smtplib.SMTPException, OSError) as exc:
            if connection is not None:
                connection.close()
            raise TransportUnavailable(f"{self!r}: {describe_error(exc)}") from exc
        self._connection = connection
        return connection

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


def describe_error(exc: BaseException) -> str:
    """A short account of a failure for the admin page: the server's answer, never the message."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = [_answer(code, text) for code, text in exc.recipients.values()]
        return "Recipient refused: " + "; ".join(answers)
    if isinstance(exc, smtplib.SMTPResponseException):
        reason = {
            smtplib.SMTPSenderRefused: "Sender refused",
            smtplib.SMTPDataError: "Message refused",
            smtplib.SMTPAuthenticationError: "Sign-in to the mail server refused",
        }.get(type(exc), "Mail server error")
        return f"{reason}: {_answer(exc.smtp_code, exc.smtp_error)}"
    detail = str(exc)
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def _answer(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}".strip()


def configured_transport(
    config: Mapping[str, Any], instance_path: str
) -> FolderTransport | SmtpTransport:
    """MAIL_FOLDER set: that folder; in development without SMTP_HOST: instance/mail; else SMTP."""
    folder = str(config.get("MAIL_FOLDER") or "").strip()
    host = str(config.get("SMTP_HOST") or "").strip()
    transport: FolderTransport | SmtpTransport
    if folder:
        transport = FolderTransport(Path(folder))
    elif not host:
        if config.get("PRODUCTION"):
            raise MailConfigError(
                "SMTP_HOST is not set: in production, name the mail server (or set MAIL_FOLDER)"
            )
        transport = FolderTransport(Path(instance_path) / "mail")
    else:
        transport = SmtpTransport(
            host,
            int(config.get("SMTP_PORT") or 25),
            username=str(config.get("SMTP_USERNAME") or ""),
            password=str(config.get("SMTP_PASSWORD") or ""),
            starttls=bool(config.get("SMTP_STARTTLS")),
            use_ssl=bool(config.get("SMTP_SSL")),
            timeout=float(config.get("SMTP_TIMEOUT_SECONDS") or 30),
        )
    transport.prepare()
    return transport
