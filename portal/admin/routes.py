from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select

from portal.admin import bp
from portal.admin.forms import ErasePersonForm, PeopleFilterForm
from portal.auth.models import User
from portal.auth.permissions import signed_in
from portal.database import paginate
from portal.mail.models import MailStatus
from portal.mail.service import MailError, failed_messages, outbox_counts, retry_failed
from portal.regions.models import Trust
from portal.regions.service import regions_in_order, trusts_named
from portal.registrations.privacy import erase_person
from portal.web.htmx import redirect_after_post, render
from portal.web.navigation import navigation_link


def _for_admins(endpoint: str) -> Callable[[object], str | None]:
    return lambda person: url_for(endpoint) if signed_in(person) and person.is_admin else None


navigation_link("People", 100, _for_admins("admin.people"), {"admin.people"})
navigation_link("Mail", 110, _for_admins("admin.mail"), {"admin.mail"})
navigation_link("Privacy", 120, _for_admins("admin.privacy"), {"admin.privacy"})
navigation_link(
    "Directory",
    130,
    _for_admins("admin.trusts"),
    {
        "admin.trusts",
        "admin.new_trust",
        "admin.edit_trust",
        "admin.import_trusts",
        "admin.import_preview",
        "admin.import_apply",
        "admin.regions",
        "admin.edit_region",
    },
)
navigation_link("Audit log", 140, _for_admins("admin.audit_log"), {"admin.audit_log"})

PAGE_SIZE = 25


@bp.before_request
@login_required
def admins_only() -> None:
    if not current_user.is_admin:
        abort(403)


@bp.get("/people")
def people() -> ResponseReturnValue:
    """Everyone who can sign in, with search by name or e-mail and a role filter."""
    form = PeopleFilterForm(request.args, regions=regions_in_order())
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    query = select(User)
    region, role = form.chosen_region, form.chosen_role
    if region is not None:
        # A region's people: its coordinators and the staff of its trusts.
        query = query.outerjoin(Trust, User.trust_id == Trust.id).where(
            or_(User.region_id == region.id, Trust.region_id == region.id)
        )
    if trust := form.trust.data:
        query = query.where(User.trust_id.in_(trusts_named(trust)))
    status = form.status.data
    if status == "active":
        query = query.where(User.active.is_(True), User.password_hash.is_not(None))
    elif status == "invited":
        query = query.where(User.active.is_(True), User.password_hash.is_(None))
    elif status == "deactivated":
        query = query.where(User.active.is_(False))
    if q := form.q.data:
        needle = q.lower()
        query = query.where(
            or_(
                func.lower(User.name).contains(needle, autoescape=True),
                User.email.contains(needle, autoescape=True),
            )
        )
    if role is not None:
        query = query.where(User.role == role)
    people = paginate(query.order_by(User.role, func.lower(User.name), User.email), page, PAGE_SIZE)
    args = form.query_args()
    return render(
        "admin/people.jinja",
        "results",
        people=people.items,
        form=form,
        args=args,
        filtered=bool(args),
        page=people.number,
        pages=people.pages,
        total=people.total,
    )


@bp.get("/mail")
def mail() -> ResponseReturnValue:
    """The outbox: how much is waiting and sent, and the messages given up on."""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    failed = failed_messages(page, PAGE_SIZE)
    return render(
        "admin/mail.jinja",
        "failed",
        counts=outbox_counts(),
        statuses=MailStatus,
        messages=failed.items,
        total=failed.total,
        page=failed.number,
        pages=failed.pages,
    )


@bp.post("/mail/<int:message_id>/retry")
def retry_mail(message_id: int) -> ResponseReturnValue:
    """Try a failed message again (status=pending), with a fresh set of attempts."""
    try:
        message = retry_failed(message_id, actor=current_user)
    except LookupError:
        abort(404)
    except MailError as exc:
        flash(str(exc), "info")
    else:
        flash(f"“{message.subject}” will be sent again in a moment.", "success")
    return redirect_after_post(url_for("admin.mail"))


@bp.route("/privacy", methods=["GET", "POST"])
def privacy() -> ResponseReturnValue:
    """Erase one person's bookings at their request (their active bookings are withdrawn first)."""
    form = ErasePersonForm()
    if request.method == "POST":
        if form.validate():
            report = erase_person(form.email.data or "", actor=current_user)
            if report.registrations:
                flash(str(report), "success")
                return redirect_after_post(url_for("admin.privacy"))
            form.email.errors.append("There are no bookings for this e-mail address")
        return render("admin/privacy.jinja", "erase_form", status=422, form=form)
    return render("admin/privacy.jinja", form=form)
