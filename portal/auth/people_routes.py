"""Inviting people and managing them; accepting invitations; resetting passwords."""

from __future__ import annotations

from flask import abort, current_app, flash, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import func, select

from portal.auth import bp, sessions
from portal.auth.forms import (
    ForgotPasswordForm,
    InviteForm,
    ResetPasswordForm,
    ScopeForm,
    SetPasswordForm,
)
from portal.auth.models import Role, User
from portal.auth.people import (
    LinkProblem,
    accept_invitation,
    change_role,
    invite,
    is_invited,
    person_for_manager,
    request_password_reset,
    resend_invitation,
    reset_password,
    revoke_invitation,
    set_active,
    usable_token,
)
from portal.auth.permissions import signed_in
from portal.auth.service import AccountError
from portal.auth.tokens import TokenPurpose, pending_invitation
from portal.extensions import db, limiter
from portal.regions.models import Region, Trust
from portal.regions.service import region_by_slug, regions_in_order, trust_by_code
from portal.web.afterwards import after_this_response
from portal.web.forms import ConfirmForm
from portal.web.htmx import redirect_after_post, render
from portal.web.lookups import found_or_404
from portal.web.navigation import navigation_link


def _trust_staff(person: object) -> str | None:
    if signed_in(person) and person.is_coordinator and person.region is not None:
        return url_for("auth.team")
    return None


navigation_link("Trust staff", 90, _trust_staff, {"auth.team", "auth.invite_person", "auth.person"})

# --- Who manages whom ----------------------------------------------------------------------------


def _inviter_scope() -> tuple[list[Role], list[Region], list[Trust]]:
    """The roles, regions and trusts this person may invite into."""
    if current_user.is_admin:
        trusts = list(db.session.scalars(select(Trust).order_by(Trust.name)))
        return list(Role), regions_in_order(), trusts
    if current_user.is_coordinator and current_user.region is not None:
        trusts = list(
            db.session.scalars(
                select(Trust).where(Trust.region_id == current_user.region_id).order_by(Trust.name)
            )
        )
        return [Role.TRUST], [], trusts
    abort(403)


@bp.get("/team")
@login_required
def team() -> ResponseReturnValue:
    """A coordinator's view of the trust staff in their region, invitations included."""
    if not current_user.is_coordinator:
        abort(403)
    people = db.session.scalars(
        select(User)
        .join(Trust, User.trust_id == Trust.id)
        .where(Trust.region_id == current_user.region_id)
        .order_by(Trust.name, func.lower(User.name), User.email)
    ).all()
    return render("auth/team.jinja", people=people, is_invited=is_invited)


@bp.route("/people/invite", methods=["GET", "POST"])
@login_required
def invite_person() -> ResponseReturnValue:
    roles, regions, trusts = _inviter_scope()
    form = InviteForm(roles=roles, regions=regions, trusts=trusts)
    if request.method == "GET" and len(roles) == 1:
        form.role.data = roles[0].value
    if request.method == "POST":
        if form.validate():
            role = Role(form.role.data)
            region = region_by_slug(form.region.data) if role is Role.COORDINATOR else None
            trust = trust_by_code(form.trust.data) if role is Role.TRUST else None
            try:
                person = invite(
                    form.email.data or "",
                    role,
                    actor=current_user,
                    name=form.name.data or "",
                    region=region,
                    trust=trust,
                )
            except AccountError as exc:
                form.email.errors.append(str(exc))
            else:
                flash(
                    f"Invitation sent to {person.email}. The link works for {current_app.config['INVITATION_DAYS']} days.",
                    "success",
                )
                return redirect_after_post(url_for("auth.person", user_id=person.id))
        return render("auth/invite.jinja", "invite_form", status=422, form=form, roles=roles)
    return render("auth/invite.jinja", form=form, roles=roles)


@bp.get("/people/<int:user_id>")
@login_required
def person(user_id: int) -> ResponseReturnValue:
    found = found_or_404(person_for_manager(current_user, user_id))
    roles, regions, trusts = _inviter_scope()
    scope = ScopeForm(
        roles=roles,
        regions=regions,
        trusts=trusts,
        data={
            "role": found.role.value,
            "region": found.region.slug if found.region else "",
            "trust": found.trust.ods_code if found.trust else "",
        },
    )
    return render(
        "auth/person.jinja",
        person=found,
        invitation=pending_invitation(found.id),
        invited=is_invited(found),
        scope_form=scope,
        confirm=ConfirmForm(),
    )


def _confirmed() -> None:
    if not ConfirmForm().validate():
        abort(400)


@bp.post("/people/<int:user_id>/resend")
@login_required
def resend(user_id: int) -> ResponseReturnValue:
    found = found_or_404(person_for_manager(current_user, user_id))
    _confirmed()
    try:
        resend_invitation(found, actor=current_user)
    except AccountError as exc:
        flash(str(exc), "error")
    else:
        flash(
            f"A new invitation has been sent to {found.email}. Earlier links no longer work.",
            "success",
        )
    return redirect_after_post(url_for("auth.person", user_id=found.id))


@bp.post("/people/<int:user_id>/revoke")
@login_required
def revoke(user_id: int) -> ResponseReturnValue:
    found = found_or_404(person_for_manager(current_user, user_id))
    _confirmed()
    revoke_invitation(found, actor=current_user)
    flash("The invitation has been withdrawn. Its link no longer works.", "success")
    return redirect_after_post(url_for("auth.person", user_id=found.id))


def _admin_only() -> None:
    if not current_user.is_admin:
        abort(403)


@bp.post("/people/<int:user_id>/role")
@login_required
def role(user_id: int) -> ResponseReturnValue:
    found = found_or_404(person_for_manager(current_user, user_id))
    _admin_only()
    roles, regions, trusts = _inviter_scope()
    form = ScopeForm(roles=roles, regions=regions, trusts=trusts)
    if form.validate():
        new_role = Role(form.role.data)
        try:
            change_role(
                found,
                new_role,
                actor=current_user,
                region=region_by_slug(form.region.data) if new_role is Role.COORDINATOR else None,
                trust=trust_by_code(form.trust.data) if new_role is Role.TRUST else None,
            )
        except AccountError as exc:
            form.role.errors.append(str(exc))
        else:
            flash(
                f"{found.display_name} is now {found.role.in_sentence} ({found.scope_label}).",
                "success",
            )
            return redirect_after_post(url_for("auth.person", user_id=found.id))
    return render(
        "auth/person.jinja",
        "scope_form_block",
        status=422,
        person=found,
        invitation=pending_invitation(found.id),
        invited=is_invited(found),
        scope_form=form,
        confirm=ConfirmForm(),
    )


@bp.post("/people/<int:user_id>/active")
@login_required
def active(user_id: int) -> ResponseReturnValue:
    """The form names the state it sets (active=yes|no): a repeated request is harmless."""
    found = found_or_404(person_for_manager(current_user, user_id))
    _admin_only()
    _confirmed()
    value = request.form.get("active")
    if value not in ("yes", "no"):
        abort(400)
    try:
        set_active(found, value == "yes", actor=current_user)
    except AccountError as exc:
        flash(str(exc), "error")
    else:
        if value == "yes":
            flash(f"{found.display_name} can sign in again.", "success")
        else:
            flash(
                f"{found.display_name} has been deactivated and signed out everywhere.", "success"
            )
    return redirect_after_post(url_for("auth.person", user_id=found.id))


# --- Accepting an invitation (no account yet: the link is the key) ---------------------------------


@bp.route("/invitations/<token>", methods=["GET", "POST"], endpoint="accept_invitation")
def accept_invitation_page(token: str) -> ResponseReturnValue:
    """Opening the link changes nothing (mail scanners open links first); the POST uses it up."""
    try:
        found = usable_token(token, TokenPurpose.INVITATION)
    except LinkProblem as exc:
        return render("auth/link_problem.jinja", status=410, message=str(exc), invitation=True)
    form = SetPasswordForm(data={"name": found.user.name} if request.method == "GET" else None)
    if request.method == "POST" and form.validate():
        try:
            signed_in = accept_invitation(
                token,
                form.name.data or "",
                form.new_password.data or "",
                lifetime=sessions.lifetime(),
            )
        except (LinkProblem, AccountError) as exc:
            form.new_password.errors.append(str(exc))
        else:
            return sessions.welcome(
                signed_in, "Welcome. Your account is ready and you are signed in."
            )
    status = 422 if request.method == "POST" else 200
    for field in (form.new_password, form.confirm_password):
        field.data = ""
    return render(
        "auth/accept_invitation.jinja", status=status, form=form, person=found.user, token=token
    )


# --- Forgotten passwords ----------------------------------------------------------------------------


@bp.route("/password-reset", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["PASSWORD_RESET_LIMIT"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["PASSWORD_RESET_LIMIT"],
    key_func=lambda: "reset:" + request.form.get("email", "").strip().lower()[:254],
    methods=["POST"],
)
def forgot_password() -> ResponseReturnValue:
    form = ForgotPasswordForm()
    if request.method == "POST":
        if form.validate():
            # The same answer, as fast, whether or not the address has an account: the link is
            # made and queued after the answer has gone (see portal.web.afterwards).
            after_this_response(request_password_reset, form.email.data or "")
            return render("auth/forgot_password_sent.jinja", email=form.email.data)
        return render("auth/forgot_password.jinja", "forgot_form", status=422, form=form)
    return render("auth/forgot_password.jinja", form=form)


@bp.route("/password-reset/<token>", methods=["GET", "POST"], endpoint="reset_password")
def reset_password_page(token: str) -> ResponseReturnValue:
    try:
        usable_token(token, TokenPurpose.PASSWORD_RESET)
    except LinkProblem as exc:
        return render("auth/link_problem.jinja", status=410, message=str(exc), invitation=False)
    form = ResetPasswordForm()
    if request.method == "POST" and form.validate():
        try:
            signed_in = reset_password(
                token, form.new_password.data or "", lifetime=sessions.lifetime()
            )
        except (LinkProblem, AccountError) as exc:
            form.new_password.errors.append(str(exc))
        else:
            return sessions.welcome(
                signed_in,
                "Your password has been changed. You have been signed out everywhere else.",
            )
    status = 422 if request.method == "POST" else 200
    for field in (form.new_password, form.confirm_password):
        field.data = ""
    return render("auth/reset_password.jinja", status=status, form=form, token=token)
