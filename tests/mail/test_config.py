"""Mail settings from the environment, and the start-up checks on them."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.config import ConfigError, from_environment

PRODUCTION = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": "6d1f0b8a3c5e7d2f9a4b1c6e8d0f3a5b",  # as secrets.token_hex(16) makes
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
    "PORTAL_BASE_URL": "https://portal.example.org",
}


def test_production_refuses_to_start_with_nowhere_to_send_mail(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SMTP_HOST must name the mail server in production"):
        from_environment(str(tmp_path), PRODUCTION)
    assert from_environment(str(tmp_path), {**PRODUCTION, "SMTP_HOST": "smtp.example.org"})
    assert from_environment(str(tmp_path), {**PRODUCTION, "MAIL_FOLDER": str(tmp_path)})


def test_smtp_settings_are_read_from_the_environment(tmp_path: Path) -> None:
    settings = from_environment(
        str(tmp_path),
        {
            "SMTP_HOST": " smtp.example.org ",
            "SMTP_PORT": "587",
            "SMTP_STARTTLS": "true",
            "SMTP_USERNAME": "portal",
            "SMTP_PASSWORD": "pw",
            "SMTP_TIMEOUT_SECONDS": "9",
            "MAIL_FROM": "Network <network@example.nhs.uk>",
            "MAIL_ORGANIZER": "team@example.nhs.uk",
            "MAIL_MAX_ATTEMPTS": "5",
            "MAIL_RETRY_BASE_SECONDS": "30",
        },
    )
    assert settings["SMTP_HOST"] == "smtp.example.org"
    assert settings["SMTP_PORT"] == 587
    assert settings["SMTP_STARTTLS"] is True and settings["SMTP_SSL"] is False
    assert (settings["SMTP_USERNAME"], settings["SMTP_PASSWORD"]) == ("portal", "pw")
    assert settings["SMTP_TIMEOUT_SECONDS"] == 9
    assert settings["MAIL_FROM"] == "Network <network@example.nhs.uk>"
    assert settings["MAIL_ORGANIZER"] == "team@example.nhs.uk"
    assert (settings["MAIL_MAX_ATTEMPTS"], settings["MAIL_RETRY_BASE_SECONDS"]) == (5, 30)


def test_defaults(tmp_path: Path) -> None:
    settings = from_environment(str(tmp_path), {"PROGRAMME_CONTACT_EMAIL": "team@example.org"})
    assert settings["MAIL_FOLDER"] == "" and settings["SMTP_HOST"] == ""
    assert settings["SMTP_PORT"] == 25
    # The organiser is the programme's contact address unless set on its own.
    assert settings["MAIL_ORGANIZER"] == "team@example.org"
    assert from_environment(str(tmp_path), {"SMTP_SSL": "yes"})["SMTP_PORT"] == 465


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"SMTP_SSL": "true", "SMTP_STARTTLS": "true"}, "not both"),
        ({"SMTP_USERNAME": "portal"}, "set both or neither"),
        ({"SMTP_PASSWORD": "pw"}, "set both or neither"),
        ({"SMTP_PORT": "twenty-five"}, "SMTP_PORT must be a whole number"),
        ({"MAIL_MAX_ATTEMPTS": "0"}, "MAIL_MAX_ATTEMPTS must be at least 1"),
        ({"MAIL_RETRY_BASE_SECONDS": "0"}, "MAIL_RETRY_BASE_SECONDS must be at least 1"),
        ({"MAIL_FROM": "nobody"}, "MAIL_FROM must be an e-mail address"),
        ({"MAIL_ORGANIZER": "programme team"}, "MAIL_ORGANIZER must be an e-mail address"),
    ],
)
def test_mail_settings_that_cannot_work_are_refused(
    tmp_path: Path, env: dict[str, str], problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem):
        from_environment(str(tmp_path), env)
