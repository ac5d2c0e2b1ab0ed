from __future__ import annotations

from flask import abort, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select

from portal.admin import bp
from portal.auth.models import Role, User
from portal.extensions import db
from portal.web.htmx import render

PAGE_SIZE = 25


@bp.before_request
@login_required
def admins_only() -> None:
    if not current_user.is_admin:
        abort(403)


@bp.get("/people")
def people() -> ResponseReturnValue:
    """Everyone who can sign in, with search by name or e-mail and a role filter."""
    q = request.args.get("q", "").strip()[:100]
    role = request.args.get("role", "")
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    query = select(User)
    if q:
        needle = q.lower()
        query = query.where(
            or_(
                func.lower(User.name).contains(needle, autoescape=True),
                User.email.contains(needle, autoescape=True),
            )
        )
    if role in {r.value for r in Role}:
        query = query.where(User.role == Role(role))
    else:
        role = ""
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(page, pages)
    people = db.session.scalars(
        query.order_by(User.role, func.lower(User.name), User.email)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return render(
        "admin/people.jinja",
        "results",
        people=people,
        q=q,
        role=role,
        roles=list(Role),
        page=page,
        pages=pages,
        total=total,
    )
