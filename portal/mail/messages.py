"""An outbox row as the MIME message that is sent: text, optional HTML, optional invitation."""

from __future__ import annotations

import email.policy
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime, parseaddr

# The SMTP policy (CRLF line ends), with every part made 7-bit clean (quoted-printable or base64)
# so that any relay accepts it, whether or not it offers 8BITMIME.
POLICY = email.policy.SMTP.clone(cte_type="7bit")

#: The file name of the invitation attached beside the inline calendar part.
INVITATION_FILENAME = "invite.ics"


@dataclass(frozen=True)
class Envelope:
    """What a message needs to be built and sent, copied from its outbox row at claim time."""

    id: int
    to_address: str
    subject: str
    text_body: str
    html_body: str | None
    calendar: bytes | None
    calendar_method: str | None
    created_at: datetime


def build_email(envelope: Envelope, *, sender: str, reply_to: str) -> EmailMessage:
    """The message as sent: text/plain alone, or multipart/alternative of text, HTML and an
    inline text/calendar part, with the invitation also attached as invite.ics.

    Mail clients treat the message as an invitation only when the calendar part's MIME `method`
    parameter matches the METHOD inside it (Outlook also wants the attachment), so both carry it.
    """
    message = EmailMessage(policy=POLICY)
    message["From"] = sender
    message["To"] = envelope.to_address
    message["Reply-To"] = reply_to
    message["Subject"] = envelope.subject
    message["Date"] = format_datetime(envelope.created_at)
    # Stable for the row, so that a copy sent twice (a worker that crashed after sending) can be
    # recognised as the same message by the receiving systems.
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = (
        f"<outbox.{envelope.id}.{int(envelope.created_at.timestamp())}@{domain}>"
    )
    message.set_content(envelope.text_body)
    if envelope.html_body is not None:
        message.add_alternative(envelope.html_body, subtype="html")
    if envelope.calendar is not None:
        method = envelope.calendar_method or ""
        message.add_alternative(
            envelope.calendar.decode("utf-8"), subtype="calendar", params={"method": method}
        )
        message.add_attachment(
            envelope.calendar,
            maintype="application",
            subtype="ics",
            filename=INVITATION_FILENAME,
            params={"method": method, "name": INVITATION_FILENAME},
        )
    for part in message.iter_parts():
        _drop_inner_mime_version(part)
    return message


def _drop_inner_mime_version(part: MIMEPart) -> None:
    # add_alternative/add_attachment give each new part its own MIME-Version header, which
    # belongs on the message only.
    del part["MIME-Version"]
    if part.is_multipart():
        for inner in part.iter_parts():
            _drop_inner_mime_version(inner)
