"""A trust's self-assessment rounds: the list, starting one, answering pathway by pathway (saved
as the team goes, with htmx; "Save and continue" without it), completing it, its pictures, its
priorities and action plan, and the comparison with an earlier round.

Every page, and every fragment htmx asks for, is the trust's staff's alone: anyone else (other
trusts, coordinators, the programme team) gets 404, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from portal.assessments import bp
from portal.assessments.chart import comparison_chart, spectrum_chart
from portal.assessments.forms import (
    ActionForm,
    AnswerInput,
    AnswersForm,
    PrioritiesForm,
    ShareForm,
    StartRoundForm,
    answer_names,
)
from portal.assessments.models import (
    EVIDENCE_LENGTH,
    AssessmentRound,
    RoundAnswer,
)
from portal.assessments.pathways import Pathway
from portal.assessments.rounds import (
    IncompleteRound,
    Move,
    RoundError,
    action_of,
    add_action,
    answers_in,
    assessable_pathways,
    complete_round,
    gaps,
    in_progress,
    may_assess,
    missing_positions,
    movement,
    open_actions,
    overdue_actions,
    plan_of,
    previous_round,
    round_of,
    rounds_of,
    save_answers,
    set_priorities,
    share_round,
    start_round,
    update_action,
)
from portal.assessments.service import current_version
from portal.auth.permissions import signed_in
from portal.regions.models import Trust
from portal.regions.service import trust_by_code
from portal.web.dates import LONDON, short_time, today_in_london
from portal.web.htmx import redirect_after_post, render, render_fragment
from portal.web.lookups import found_or_404
from portal.web.navigation import navigation_link


def _assessment_link(person: object) -> str | None:
    """A trust's staff: their trust's rounds; a coordinator: what the region's shared rounds
    say; the programme team: every participating trust's."""
    if not signed_in(person):
        return None
    if person.is_trust_staff and person.trust is not None:
        return url_for("assessments.rounds", ods_code=person.trust.ods_code)
    if person.is_coordinator and person.region is not None:
        return url_for("assessments.region", slug=person.region.slug)
    if person.is_admin:
        return url_for("assessments.programme")
    return None


navigation_link(
    "Self-assessment",
    87,  # after Robson groups, before the toolkit
    _assessment_link,
    {
        "assessments.rounds",
        "assessments.start_round",
        "assessments.round",
        "assessments.answer",
        "assessments.priorities",
        "assessments.actions",
        "assessments.edit_action",
        "assessments.compare",
        "assessments.region",
        "assessments.programme",
        "assessments.event_focus",
    },
)


def keeps_page_when_signed_out(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a background request (autosave): if the session has ended, it answers 401 in place
    instead of taking the browser to sign in, which would lose what is on the page (the mark
    portal/web/errors.py reads, as the story editor's autosave sets it)."""
    view.keeps_page_when_signed_out = True  # type: ignore[attr-defined]  # a mark mypy cannot see on a function
    return view


def _trust(ods_code: str) -> Trust:
    """The trust in the address, if the person is one of its staff; otherwise 404."""
    trust = trust_by_code(ods_code)
    if trust is None or not may_assess(current_user, trust):
        abort(404)
    return trust


def _round(ods_code: str, round_id: int) -> tuple[Trust, AssessmentRound]:
    trust = _trust(ods_code)
    return trust, found_or_404(round_of(trust, round_id))


def _pathway(round_: AssessmentRound, slug: str) -> Pathway:
    try:
        pathway = Pathway(slug)
    except ValueError:
        abort(404)
    if pathway not in round_.chosen_pathways:
        abort(404)
    return pathway


def _to_round(round_: AssessmentRound) -> str:
    return url_for("assessments.round", ods_code=round_.trust.ods_code, round_id=round_.id)


# --- The list, and starting a round --------------------------------------------------------------


@bp.get("/trusts/<ods_code>/assessments")
@login_required
def rounds(ods_code: str) -> ResponseReturnValue:
    trust = _trust(ods_code)
    return render(
        "assessments/rounds.jinja",
        trust=trust,
        rounds=rounds_of(trust),
        ongoing=in_progress(trust),
        overdue=overdue_actions(trust),
        version=current_version(),
    )


@bp.route("/trusts/<ods_code>/assessments/new", methods=["GET", "POST"], endpoint="start_round")
@login_required
def start(ods_code: str) -> ResponseReturnValue:
    trust = _trust(ods_code)
    version = current_version()
    form = StartRoundForm(pathways=assessable_pathways(version) if version else ())
    ongoing = in_progress(trust)
    if request.method == "POST" and version is not None and ongoing is None:
        if form.validate():
            try:
                started = start_round(trust, form.values(), actor=current_user)
            except RoundError as exc:
                form.form_errors.append(str(exc))
            else:
                flash("The round has started. Answers are saved as you go.", "success")
                first = started.chosen_pathways[0]
                return redirect_after_post(
                    url_for(
                        "assessments.answer",
                        ods_code=trust.ods_code,
                        round_id=started.id,
                        pathway=first.value,
                    )
                )
        status = 422
    else:
        status = 200
    return render(
        "assessments/start.jinja",
        "start_form" if status == 422 else None,
        status=status,
        trust=trust,
        form=form,
        version=version,
        ongoing=ongoing,
    )


# --- A round: its page, its answers pathway by pathway, completing it ----------------------------


def _round_context(round_: AssessmentRound) -> dict[str, Any]:
    pathways = []
    for pathway in round_.chosen_pathways:
        answers = answers_in(round_, pathway)
        pathways.append(
            {
                "pathway": pathway,
                "answers": answers,
                "answered": sum(1 for a in answers if a.is_answered),
                "started": any(
                    a.current_position or a.aspired_position or a.evidence for a in answers
                ),
                "chart": spectrum_chart(pathway.label, f"spectrum-{pathway.value}", answers),
            }
        )
    return {
        "trust": round_.trust,
        "round": round_,
        "pathways": pathways,
        "previous": previous_round(round_),
        "missing": [],
        "missing_positions": missing_positions,
    }


@bp.get("/trusts/<ods_code>/assessments/<int:round_id>", endpoint="round")
@login_required
def round_page(ods_code: str, round_id: int) -> ResponseReturnValue:
    _, found = _round(ods_code, round_id)
    return render("assessments/round.jinja", **_round_context(found))


@bp.post("/trusts/<ods_code>/assessments/<int:round_id>/complete")
@login_required
def complete(ods_code: str, round_id: int) -> ResponseReturnValue:
    _, found = _round(ods_code, round_id)
    form = AnswersForm()  # only its CSRF token
    if form.validate():
        try:
            complete_round(found, actor=current_user)
        except IncompleteRound as exc:
            context = _round_context(found)
            context["missing"] = exc.missing
            return render("assessments/round.jinja", "round_page", status=422, **context)
        flash(
            "The round is complete. Choose its priorities: the largest gaps come first.", "success"
        )
        return redirect_after_post(
            url_for("assessments.priorities", ods_code=ods_code, round_id=found.id)
        )
    abort(400)


def _answer_page(
    round_: AssessmentRound,
    pathway: Pathway,
    form: AnswersForm,
    inputs: dict[int, AnswerInput] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    answers = answers_in(round_, pathway)
    if inputs is None:
        inputs = {
            a.characteristic_id: AnswerInput(
                str(a.current_position or ""), str(a.aspired_position or ""), a.evidence
            )
            for a in answers
        }
    chosen = round_.chosen_pathways
    place = chosen.index(pathway)
    errors = [
        {
            "text": f"{a.characteristic.code}: {message}",
            "href": "#"
            + answer_names(a.characteristic_id)[("current", "aspired", "evidence").index(name)],
        }
        for a in answers
        for name, message in inputs[a.characteristic_id].errors.items()
    ]
    return render(
        "assessments/answer.jinja",
        "answers_form" if status == 422 else None,
        status=status,
        trust=round_.trust,
        round=round_,
        pathway=pathway,
        place=place,
        next_pathway=chosen[place + 1] if place + 1 < len(chosen) else None,
        answers=answers,
        inputs=inputs,
        errors=errors,
        carried=open_actions(round_.trust),
        form=form,
        names=answer_names,
        evidence_length=EVIDENCE_LENGTH,
    )


@bp.route("/trusts/<ods_code>/assessments/<int:round_id>/<pathway>", methods=["GET", "POST"])
@login_required
def answer(ods_code: str, round_id: int, pathway: str) -> ResponseReturnValue:
    """One pathway's characteristics: the current and aspired positions and a note of evidence
    for each. "Save and continue" goes on to the next pathway chosen, then the round's page."""
    _, found = _round(ods_code, round_id)
    chosen = _pathway(found, pathway)
    if found.is_complete:
        flash("This round is complete, so its answers cannot be changed.", "info")
        return redirect_after_post(_to_round(found))
    form = AnswersForm()
    if request.method == "GET":
        return _answer_page(found, chosen, form)
    if not form.validate():
        abort(400)
    inputs, values = form.read(answers_in(found, chosen))
    if form.answer_errors:
        return _answer_page(found, chosen, form, inputs, status=422)
    try:
        save_answers(found, values, actor=current_user)
    except RoundError as exc:
        flash(str(exc), "info")
        return redirect_after_post(_to_round(found))
    chosen_list = found.chosen_pathways
    place = chosen_list.index(chosen)
    if place + 1 < len(chosen_list):
        flash(f"Your answers for {chosen.label} have been saved.", "success")
        return redirect_after_post(
            url_for(
                "assessments.answer",
                ods_code=ods_code,
                round_id=found.id,
                pathway=chosen_list[place + 1].value,
            )
        )
    flash("Your answers have been saved. Check them here, then complete the round.", "success")
    return redirect_after_post(_to_round(found))


@bp.post("/trusts/<ods_code>/assessments/<int:round_id>/<pathway>/autosave")
@keeps_page_when_signed_out
@login_required
def autosave(ods_code: str, round_id: int, pathway: str) -> ResponseReturnValue:
    """Save the pathway's answers as they are given (htmx): answers with a status line."""
    _, found = _round(ods_code, round_id)
    chosen = _pathway(found, pathway)
    form = AnswersForm()
    if not form.validate():
        message = "Not saved: reload the page and try again."
    elif found.is_complete:
        message = "Not saved: this round is complete."
    else:
        _, values = form.read(answers_in(found, chosen))
        if form.answer_errors:
            message = (
                "Your latest changes are not saved yet: select “Save and continue” to see what "
                "to fix."
            )
        else:
            try:
                save_answers(found, values, actor=current_user)
            except RoundError as exc:
                message = f"Not saved: {exc}"
            else:
                saved = found.updated_at.astimezone(LONDON).time()
                message = f"Saved at {short_time(saved)}."
    return render_fragment("assessments/answer.jinja", "autosave_status", autosave_message=message)


# --- Priorities and the action plan --------------------------------------------------------------


def _completed_or_redirect(round_: AssessmentRound, what: str) -> ResponseReturnValue | None:
    if round_.is_complete:
        return None
    flash(f"Complete the round before {what}.", "info")
    return redirect_after_post(_to_round(round_))


@bp.route("/trusts/<ods_code>/assessments/<int:round_id>/priorities", methods=["GET", "POST"])
@login_required
def priorities(ods_code: str, round_id: int) -> ResponseReturnValue:
    """The gaps between current and aspired positions, the largest first: the team mark their
    priorities among them."""
    _, found = _round(ods_code, round_id)
    if (early := _completed_or_redirect(found, "choosing its priorities")) is not None:
        return early
    found_gaps = gaps(found)
    form = PrioritiesForm(answers=[g.answer for g in found_gaps])
    if request.method == "GET":
        form.priorities.data = [str(g.answer.id) for g in found_gaps if g.answer.priority]
    elif form.validate():
        try:
            set_priorities(found, form.chosen(), actor=current_user)
        except RoundError as exc:
            form.priorities.errors = [str(exc)]
        else:
            flash("The priorities have been saved. Write the actions for them.", "success")
            return redirect_after_post(
                url_for("assessments.actions", ods_code=ods_code, round_id=found.id)
            )
    return render(
        "assessments/priorities.jinja",
        "priorities_form" if form.errors else None,
        status=422 if form.errors else 200,
        trust=found.trust,
        round=found,
        gaps=found_gaps,
        form=form,
        chosen={str(v) for v in form.priorities.data or []},
    )


def _action_choices(round_: AssessmentRound) -> list[RoundAnswer]:
    """The characteristics an action may be for: the priorities first, then the rest."""
    ordered = [g.answer for g in gaps(round_)]
    return [a for a in ordered if a.priority] + [a for a in ordered if not a.priority]


@bp.route("/trusts/<ods_code>/assessments/<int:round_id>/actions", methods=["GET", "POST"])
@login_required
def actions(ods_code: str, round_id: int) -> ResponseReturnValue:
    """The round's action plan (with the open actions of earlier rounds), and a new action."""
    _, found = _round(ods_code, round_id)
    if (early := _completed_or_redirect(found, "writing its action plan")) is not None:
        return early
    choices = _action_choices(found)
    form = ActionForm(answers=choices)
    if request.method == "POST":
        if form.validate():
            try:
                add_action(found, form.answer_id(), form.values(), actor=current_user)
            except RoundError as exc:
                form.form_errors.append(str(exc))
            else:
                flash("The action has been added to the plan.", "success")
                return redirect_after_post(
                    url_for("assessments.actions", ods_code=ods_code, round_id=found.id)
                )
        status = 422
    else:
        status = 200
        first_priority = next((a for a in choices if a.priority), None)
        if first_priority is not None and not form.characteristic.data:
            form.characteristic.data = str(first_priority.id)
    return render(
        "assessments/actions.jinja",
        "action_form" if status == 422 else None,
        status=status,
        trust=found.trust,
        round=found,
        plan=plan_of(found),
        wording={
            (a.characteristic.pathway, a.characteristic.code): a.characteristic.wording
            for a in found.answers
        },
        priorities=[a for a in choices if a.priority],
        form=form,
        today=today_in_london(),
    )


@bp.route("/trusts/<ods_code>/assessments/actions/<int:action_id>", methods=["GET", "POST"])
@login_required
def edit_action(ods_code: str, action_id: int) -> ResponseReturnValue:
    trust = _trust(ods_code)
    action = found_or_404(action_of(trust, action_id))
    back_round = round_of(trust, request.args.get("round", 0, type=int) or 0)
    back = back_round or action.created_in_round
    form = ActionForm(obj=action if request.method == "GET" else None)
    if request.method == "GET":
        form.owner_role.data = action.owner_role.value
        form.status.data = action.status.value
    elif form.validate():
        try:
            update_action(action, form.values(), actor=current_user)
        except RoundError as exc:
            form.form_errors.append(str(exc))
        else:
            flash("The action has been updated.", "success")
            return redirect_after_post(
                url_for("assessments.actions", ods_code=ods_code, round_id=back.id)
            )
    return render(
        "assessments/edit_action.jinja",
        "action_form" if request.method == "POST" else None,
        status=422 if request.method == "POST" else 200,
        trust=trust,
        action=action,
        back=back,
        form=form,
    )


# --- Comparing two rounds ------------------------------------------------------------------------


@bp.get("/trusts/<ods_code>/assessments/<int:round_id>/compare")
@login_required
def compare(ods_code: str, round_id: int) -> ResponseReturnValue:
    """How each characteristic's current position moved since an earlier round (the last
    completed one before it, unless another is chosen)."""
    trust, later = _round(ods_code, round_id)
    others = [r for r in rounds_of(trust) if r.id != later.id and r.held_on <= later.held_on]
    wanted = request.args.get("with", 0, type=int) or 0
    earlier = next((r for r in others if r.id == wanted), None) or previous_round(later)
    parts = []
    if earlier is not None:
        rows = movement(earlier, later)
        for pathway in Pathway:
            in_pathway = [m for m in rows if m.pathway is pathway]
            if in_pathway:
                parts.append(
                    {
                        "pathway": pathway,
                        "rows": in_pathway,
                        "chart": comparison_chart(
                            pathway.label, f"comparison-{pathway.value}", in_pathway
                        ),
                    }
                )
        counts = {move: sum(1 for m in rows if m.move is move) for move in Move}
    else:
        counts = {}
    return render(
        "assessments/compare.jinja",
        trust=trust,
        round=later,
        earlier=earlier,
        others=others,
        parts=parts,
        counts=counts,
        moves=Move,
    )


# --- Sharing a round -----------------------------------------------------------------------------


@bp.post("/trusts/<ods_code>/assessments/<int:round_id>/share")
@login_required
def share(ods_code: str, round_id: int) -> ResponseReturnValue:
    """Share the round with the region's coordinator and the programme team (`shared=yes`), or
    stop (`shared=no`)."""
    _, found = _round(ods_code, round_id)
    form = ShareForm()
    if not form.validate():
        abort(400)
    try:
        found = share_round(found, form.wants_shared, actor=current_user)
    except RoundError as exc:
        context = _round_context(found)
        context["sharing_problem"] = str(exc)
        return render("assessments/round.jinja", "sharing", status=422, **context)
    flash(
        "The round is shared with your region’s coordinator and the programme team."
        if found.shared_at
        else "The round is no longer shared: only your trust’s staff can see it.",
        "success",
    )
    return redirect_after_post(
        url_for("assessments.round", ods_code=ods_code, round_id=found.id) + "#sharing"
    )
