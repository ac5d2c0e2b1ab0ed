from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, g, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user

from portal.auth import bp, sessions
from portal.auth.forms import ChangePasswordForm, NameForm, SignInForm
from portal.auth.models import User
from portal.auth.service import (
    AccountError,
    change_password,
    session_person,
    sign_in_with_password,
    update_name,
)
from portal.extensions import limiter, login_manager
from portal.web.errors import sign_in_required
from portal.web.htmx import redirect_after_post, render

SIGN_IN_FAILED = "The e-mail address or password is not correct"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Load the person in the session, unless their sessions were ended since it began."""
    try:
        raw_id, raw_version = user_id.split(".", 1)
        uid, version = int(raw_id), int(raw_version)
    except ValueError:
        return None
    return session_person(uid, version, sessions.key(), lifetime=sessions.lifetime())


login_manager.unauthorized_handler(sign_in_required)
login_manager.session_protection = "basic"


def safe_next(target: str | None) -> str | None:
    """A same-site path to return to after sign-in, or None (never another host)."""
    if not target:
        return None
    # urlsplit drops tabs and line breaks before it looks, so a target holding one is refused
    # here: it is never a real address, and it must never reach a Location header.
    if any(ord(character) < 0x20 or ord(character) == 0x7F for character in target):
        return None
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
    ):
        return None
    return target


def _account_key() -> str:
    return "account:" + request.form.get("email", "").strip().lower()[:254]


def _wrong_password(response: object) -> bool:
    """Only a genuine failure counts against the sign-in limits: a wrong address or password,
    whether the form came through htmx or not. Success, a missing field or a CSRF refusal
    costs nothing."""
    return bool(g.get("sign_in_failed"))


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["SIGN_IN_LIMIT_PER_ADDRESS"],
    methods=["POST"],
    deduct_when=_wrong_password,
)
@limiter.limit(
    lambda: current_app.config["SIGN_IN_LIMIT_PER_ACCOUNT"],
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_wrong_password,
)
def sign_in() -> ResponseReturnValue:
    next_path = safe_next(request.values.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect_after_post(next_path or url_for("pages.home"))
    form = SignInForm()
    if request.method == "POST":
        if form.validate():
            signed_in = sign_in_with_password(
                form.email.data or "", form.password.data or "", lifetime=sessions.lifetime()
            )
            if signed_in is not None:
                message = f"You are signed in as {signed_in.user.display_name}."
                return sessions.welcome(signed_in, message, next_path)
            g.sign_in_failed = True
            form.form_errors.append(SIGN_IN_FAILED)
        form.password.data = ""
        return render(
            "auth/sign_in.jinja", "sign_in_form", form=form, next_path=next_path, status=422
        )
    return render("auth/sign_in.jinja", form=form, next_path=next_path)


@bp.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    sessions.finish()
    flash("You have signed out.", "success")
    return redirect_after_post(url_for("pages.home"), reload=True)


@bp.get("/account")
@login_required
def account() -> ResponseReturnValue:
    return render(
        "auth/account.jinja",
        name_form=NameForm(name=current_user.name),
        password_form=ChangePasswordForm(),
    )


@bp.post("/account/name")
@login_required
def account_name() -> ResponseReturnValue:
    form = NameForm()
    if not form.validate():
        return render(
            "auth/account.jinja",
            "name_form",
            status=422,
            name_form=form,
            password_form=ChangePasswordForm(formdata=None),
        )
    update_name(current_user, form.name.data or "")
    flash("Your name has been updated.", "success")
    return redirect_after_post(url_for("auth.account"))


@bp.post("/account/password")
@login_required
def account_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    user: User = current_user._get_current_object()
    if form.validate():
        try:
            change_password(
                user,
                form.current_password.data or "",
                form.new_password.data or "",
                session_key=sessions.key(),
            )
        except AccountError as exc:
            form.current_password.errors = [str(exc)]
        else:
            # Other sessions end; this one goes on, with the new session version in its cookie.
            login_user(user)
            flash(
                "Your password has been changed. You have been signed out everywhere else.",
                "success",
            )
            return redirect_after_post(url_for("auth.account"))
    for field in (form.current_password, form.new_password, form.confirm_password):
        field.data = ""
    return render(
        "auth/account.jinja",
        "password_form",
        status=422,
        name_form=NameForm(formdata=None, name=user.name),
        password_form=form,
    )


@bp.post("/session/keep-alive")
@login_required
def keep_alive() -> ResponseReturnValue:
    """ "Stay signed in": the request itself renews the session (see portal.auth.sessions)."""
    return "", 204
