"""The messages as mail clients read them, and the folder they are written to in development."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import Flask

from portal.mail.messages import Envelope, build_email
from portal.mail.transports import (
    FolderTransport,
    MailConfigError,
    SmtpTransport,
    TransportUnavailable,
    configured_transport,
)
from tests.mail.helpers import calendar_bytes

WRITTEN = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
SENDER = "Caesarean section network <noreply@example.org>"


def envelope(**overrides: object) -> Envelope:
    values: dict[str, object] = {
        "id": 7,
        "to_address": "ann@example.org",
        "subject": "Your place is booked",
        "text_body": "Dear Ann,\n\nYour place is booked.\n",
        "html_body": None,
        "calendar": None,
        "calendar_method": None,
        "created_at": WRITTEN,
    }
    values.update(overrides)
    return Envelope(**values)  # type: ignore[arg-type]


def read_back(message: EmailMessage) -> EmailMessage:
    """Parse the bytes that go on the wire, as a mail client would."""
    raw = message.as_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    assert max(raw) < 128  # 7-bit clean: any relay takes it, with or without 8BITMIME
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def text_of(part: EmailMessage) -> str:
    """A text part's content with the wire's CRLF line ends read as newlines."""
    return part.get_content().replace("\r\n", "\n")


def test_a_text_message_is_one_plain_part_with_the_headers_people_see() -> None:
    parsed = read_back(build_email(envelope(), sender=SENDER, reply_to="cs-programme@example.org"))
    assert parsed.get_content_type() == "text/plain"
    assert text_of(parsed) == "Dear Ann,\n\nYour place is booked.\n"
    assert parsed["From"] == SENDER
    assert parsed["To"] == "ann@example.org"
    assert parsed["Reply-To"] == "cs-programme@example.org"
    assert parsed["Subject"] == "Your place is booked"
    assert parsed["Date"].datetime == WRITTEN
    # The same row always gets the same Message-ID, so a copy sent twice is seen as one message.
    assert parsed["Message-ID"] == f"<outbox.7.{int(WRITTEN.timestamp())}@example.org>"
    assert parsed["MIME-Version"] == "1.0"


def test_html_goes_beside_the_text_as_alternatives() -> None:
    parsed = read_back(
        build_email(
            envelope(html_body="<p>Your place is booked.</p>"),
            sender=SENDER,
            reply_to="r@example.org",
        )
    )
    assert parsed.get_content_type() == "multipart/alternative"
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert text_of(parts[1]) == "<p>Your place is booked.</p>\n"
    assert all("MIME-Version" not in p for p in parts)


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_an_invitation_is_inline_with_a_matching_method_and_attached_as_invite_ics(
    method: str,
) -> None:
    calendar = calendar_bytes(method, summary="Normal birth network day")
    parsed = read_back(
        build_email(
            envelope(html_body="<p>Booked</p>", calendar=calendar, calendar_method=method),
            sender=SENDER,
            reply_to="cs-programme@example.org",
        )
    )
    assert parsed.get_content_type() == "multipart/mixed"
    alternative, attachment = parsed.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    text, html, inline = alternative.iter_parts()
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")

    assert inline.get_content_type() == "text/calendar"
    assert inline.get_param("method") == method
    assert inline.get_content_charset() == "utf-8"
    assert inline.get_content_disposition() is None  # shown as the invitation, not a file
    inside = re.search(r"^METHOD:(\w+)\r?$", inline.get_content(), re.MULTILINE)
    assert inside is not None and inside.group(1) == inline.get_param("method")
    assert "SUMMARY:Normal birth network day" in inline.get_content()

    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_param("method") == method
    assert attachment.get_content() == calendar  # byte for byte, CRLF kept


def test_an_invitation_without_html_still_travels_as_an_alternative_to_the_text() -> None:
    parsed = read_back(
        build_email(
            envelope(calendar=calendar_bytes("REQUEST"), calendar_method="REQUEST"),
            sender=SENDER,
            reply_to="r@example.org",
        )
    )
    alternative, attachment = parsed.iter_parts()
    assert [p.get_content_type() for p in alternative.iter_parts()] == [
        "text/plain",
        "text/calendar",
    ]
    assert attachment.get_filename() == "invite.ics"


def test_names_and_text_outside_ascii_survive_the_trip() -> None:
    calendar = calendar_bytes("REQUEST", summary="Réunion – naissance normale")
    parsed = read_back(
        build_email(
            envelope(
                to_address="Zoë Ó Briain <zoe@example.org>",
                subject="Booked: Café – “Normal birth” day",
                text_body="Dear Zoë,\n\nSee you at the Ōtautahi room. £0, 10–4.\n",
                html_body="<p>Dear Zoë — welcome</p>",
                calendar=calendar,
                calendar_method="REQUEST",
            ),
            sender="Réseau césarienne <noreply@example.org>",
            reply_to="cs-programme@example.org",
        )
    )
    assert parsed["Subject"] == "Booked: Café – “Normal birth” day"
    assert parsed["To"].addresses[0].display_name == "Zoë Ó Briain"
    assert parsed["To"].addresses[0].addr_spec == "zoe@example.org"
    assert parsed["From"].addresses[0].display_name == "Réseau césarienne"
    alternative, attachment = parsed.iter_parts()
    text, html, inline = alternative.iter_parts()
    assert text_of(text) == "Dear Zoë,\n\nSee you at the Ōtautahi room. £0, 10–4.\n"
    assert text_of(html) == "<p>Dear Zoë — welcome</p>\n"
    assert "SUMMARY:Réunion – naissance normale" in inline.get_content()
    assert attachment.get_content() == calendar


# --- The folder transport -------------------------------------------------------------------


def test_the_folder_transport_writes_a_readable_eml_file(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    transport = FolderTransport(folder)
    transport.prepare()
    message = build_email(
        envelope(calendar=calendar_bytes(), calendar_method="REQUEST"),
        sender=SENDER,
        reply_to="r@example.org",
    )
    transport.send(message, outbox_id=7, now=datetime(2026, 11, 27, 9, 30, 5, 123456, tzinfo=UTC))
    transport.close()
    [written] = list(folder.iterdir())  # no temporary file left behind
    assert written.name == "20261127T093005123456Z-7.eml"
    parsed = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "Your place is booked"
    body = parsed.get_body(("plain",))
    assert body is not None and text_of(body) == "Dear Ann,\n\nYour place is booked.\n"


def test_a_folder_that_cannot_be_written_is_an_unavailable_transport(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    message = build_email(envelope(), sender=SENDER, reply_to="r@example.org")
    with pytest.raises(TransportUnavailable):
        FolderTransport(blocked).send(message, outbox_id=1, now=WRITTEN)


# --- Which transport the settings choose ------------------------------------------------------


def settings(**overrides: object) -> dict[str, object]:
    return {"MAIL_FOLDER": "", "SMTP_HOST": "", "PRODUCTION": False, **overrides}


def test_mail_folder_wins_over_smtp(tmp_path: Path) -> None:
    chosen = configured_transport(
        settings(MAIL_FOLDER=str(tmp_path / "out"), SMTP_HOST="smtp.example.org"), str(tmp_path)
    )
    assert isinstance(chosen, FolderTransport) and chosen.folder == tmp_path / "out"
    assert (tmp_path / "out").is_dir()


def test_development_without_smtp_writes_into_the_instance_folder(tmp_path: Path) -> None:
    chosen = configured_transport(settings(), str(tmp_path))
    assert isinstance(chosen, FolderTransport) and chosen.folder == tmp_path / "mail"


def test_smtp_host_chooses_smtp_with_its_settings(tmp_path: Path) -> None:
    chosen = configured_transport(
        settings(
            SMTP_HOST="smtp.example.org",
            SMTP_PORT=587,
            SMTP_STARTTLS=True,
            SMTP_USERNAME="portal",
            SMTP_PASSWORD="secret",
            SMTP_TIMEOUT_SECONDS=12,
            PRODUCTION=True,
        ),
        str(tmp_path),
    )
    assert isinstance(chosen, SmtpTransport)
    assert (chosen.host, chosen.port, chosen.starttls, chosen.use_ssl) == (
        "smtp.example.org",
        587,
        True,
        False,
    )
    assert (chosen.username, chosen.password, chosen.timeout) == ("portal", "secret", 12)
    assert "secret" not in repr(chosen)


def test_production_without_smtp_or_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MailConfigError, match="SMTP_HOST"):
        configured_transport(settings(PRODUCTION=True), str(tmp_path))


def test_a_mail_folder_that_cannot_be_made_is_refused(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file")
    with pytest.raises(MailConfigError, match="MAIL_FOLDER"):
        configured_transport(settings(MAIL_FOLDER=str(tmp_path / "taken")), str(tmp_path))


def test_the_app_settings_default_to_development_mail(app: Flask) -> None:
    assert app.config["MAIL_FROM"] == "Caesarean section network <noreply@example.org>"
    assert app.config["MAIL_ORGANIZER"] == "cs-programme@example.org"
    assert app.config["MAIL_MAX_ATTEMPTS"] == 8
    assert app.config["MAIL_RETRY_BASE_SECONDS"] == 60
    assert app.config["SMTP_PORT"] == 25 and app.config["SMTP_TIMEOUT_SECONDS"] == 30
