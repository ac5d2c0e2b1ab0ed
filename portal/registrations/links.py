"""Self-service links: each e-mail to an attendee carries a signed link to see, change or give up
their place without an account."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from portal.extensions import db
from portal.registrations.models import Registration


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt="registration-self-service"
    )


def self_service_token(registration: Registration) -> str:
    return _serializer().dumps({"r": registration.id, "k": registration.self_service_key})


def registration_from_token(token: str) -> Registration | None:
    """The registration a self-service link was made for, while the link is valid."""
    max_age = int(current_app.config["SELF_SERVICE_LINK_DAYS"]) * 24 * 60 * 60
    try:
        data = _serializer().loads(token, max_age=max_age)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    registration = db.session.get(Registration, data.get("r"))
    if registration is None or registration.erased_at is not None:
        return None
    if registration.self_service_key != data.get("k"):
        return None
    return registration
