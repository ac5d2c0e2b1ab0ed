from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, abort, flash, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from markupsafe import Markup

from portal.auth.permissions import signed_in
from portal.events.models import NetworkEvent
from portal.measures.chart import Marker
from portal.measures.drawings import page_chart
from portal.measures.service import Series, is_published, may_see, summary, trust_series
from portal.regions.models import Region, Trust
from portal.regions.service import region_by_slug, regions_in_order, trust_by_code
from portal.stories import bp
from portal.stories.atom import build_feed, feed_etag, feed_stories
from portal.stories.forms import (
    PreviewForm,
    PublishForm,
    ReturnForm,
    StoryFilterForm,
    StoryForm,
    SubmitForm,
)
from portal.stories.models import Story, StoryState
from portal.stories.service import (
    StoryError,
    can_review,
    can_write_for,
    characteristic_choices,
    cited_characteristics,
    create_draft,
    delete_draft,
    event_choices,
    events_of,
    is_reviewer,
    problems_before_submitting,
    publish,
    published_stories,
    recently_reviewed,
    return_for_changes,
    review_queue,
    save_draft,
    story_for_reviewer,
    story_for_viewer,
    story_for_writer,
    submit,
    trust_stories,
    withdraw,
)
from portal.web.conditional import answer_conditionally
from portal.web.dates import LONDON, short_time
from portal.web.forms import ConfirmForm
from portal.web.htmx import redirect_after_post, render, render_fragment, wants_fragment
from portal.web.lookups import found_or_404
from portal.web.markdown import render_markdown
from portal.web.navigation import navigation_link, to
from portal.web.pagecache import public_page

navigation_link("Stories", 50, to("stories.index"), {"stories.index", "stories.story"})


def _review_stories(person: object) -> str | None:
    return url_for("stories.review_list") if is_reviewer(person) else None


def _own_stories(person: object) -> str | None:
    if signed_in(person) and person.is_trust_staff and person.trust is not None:
        return url_for("stories.mine")
    return None


navigation_link(
    "Review stories",
    80,
    _review_stories,
    {"stories.review_list", "stories.review", "stories.withdraw_story"},
)
navigation_link(
    "Your stories",
    70,
    _own_stories,
    {"stories.mine", "stories.edit", "stories.submit_for_review", "stories.delete"},
)

# --- Reading (everyone) -----------------------------------------------------------------------


@bp.get("/stories")
@public_page("regions", "trusts", "network_events", "stories")
def index() -> ResponseReturnValue:
    """Published stories: active search and filters; htmx swaps only the results."""
    form = StoryFilterForm(request.args, regions=regions_in_order())
    filters = form.filters()
    result = published_stories(filters, page=request.args.get("page", 1, type=int) or 1)
    return render(
        "stories/index.jinja",
        "results",
        form=form,
        args=form.query_args(),
        filters=filters,
        # An ODS code (a trust page's link to all its stories) names the trust in the count.
        named_trust=trust_by_code(filters.trust) if filters.trust else None,
        result=result,
    )


@bp.get("/stories/<int:story_id>")
@public_page("regions", "trusts", "network_events", "stories", "measure_settings")
def story(story_id: int) -> ResponseReturnValue:
    found = found_or_404(story_for_viewer(current_user, story_id))
    return render(
        "stories/story.jinja",
        story=found,
        event=_event_of(found),
        chart=_linked_chart(found),
        can_write=can_write_for(current_user, found.trust),
        can_review=can_review(current_user, found),
        problems=problems_before_submitting(found) if found.is_editable else {},
        characteristics=cited_characteristics(found, current_user),
    )


@dataclass(frozen=True)
class LinkedChart:
    """The chart of one of the trust's measures, as the person reading the story may see it."""

    series: Series
    drawing: Markup
    summary: str
    whole: bool  # the trust's own figures (for its staff, coordinator, programme team)
    changes: list[Marker]  # the changes the trust marked, numbered on the chart in this order


def _linked_chart(story: Story) -> LinkedChart | None:
    """The chart the story links, if the reader may see it: whole for those who may see the
    trust's figures, with small numbers left out for everyone else once the trust publishes."""
    measure = story.chart_measure
    if measure is None:
        return None
    whole = may_see(current_user, story.trust)
    if not whole and not is_published(story.trust):
        return None
    series = trust_series(story.trust, public=not whole)[measure]
    changes = [Marker(c.month, f"Change: {c.note}", "change") for c in series.changes]
    return LinkedChart(series, page_chart(series, changes), summary(series), whole, changes)


def _event_of(story: Story) -> NetworkEvent | None:
    return events_of([story]).get(story.event_id) if story.event_id else None


# --- Writing (staff of the story's trust) ------------------------------------------------------


def _writer_trust_or_403() -> Trust:
    if not current_user.is_trust_staff or current_user.trust is None:
        abort(403)
    return current_user.trust


@bp.get("/stories/mine")
@login_required
def mine() -> ResponseReturnValue:
    trust = _writer_trust_or_403()
    return render(
        "stories/mine.jinja", trust=trust, stories=trust_stories(trust), form=ConfirmForm()
    )


@bp.post("/stories/new")
@login_required
def new() -> ResponseReturnValue:
    """Start a draft at once, so that it can be saved while it is written."""
    trust = _writer_trust_or_403()
    if not ConfirmForm().validate():
        abort(400)
    empty = next(
        (
            s
            for s in trust_stories(trust)
            if s.state is StoryState.DRAFT
            and s.author_id == current_user.id
            and not (
                s.title
                or s.summary
                or s.body
                or s.pathway_links
                or s.measures
                or s.characteristic_links
            )
        ),
        None,
    )
    story = empty or create_draft(trust, StoryForm().values(), actor=current_user)
    return redirect_after_post(url_for("stories.edit", story_id=story.id))


def keeps_page_when_signed_out(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a background request (autosave): if the session has ended, it answers with a message
    in place instead of taking the browser to sign in, which would lose what is on the page."""
    view.keeps_page_when_signed_out = True  # type: ignore[attr-defined]  # a mark mypy cannot see on a function
    return view


#: Fired (HX-Trigger-After-Settle) when a measure is taken off the form: the form saves itself.
MEASURES_CHANGED = "story-measures-changed"


def _story_form(story: Story) -> StoryForm:
    return StoryForm(
        events=event_choices(story.trust, keep=story.event_id),
        toolkit=characteristic_choices(story),
    )


def _change_measures(form: StoryForm, story: Story) -> Response:
    """Answer "Add a measure" or "Remove": the form again with one measure more or less,
    nothing checked and nothing saved (the boxes of a measure being typed are not finished yet).
    htmx gets the measures alone; a measure removed then saves the draft, as typing does."""
    removing = request.form.get("remove_measure")
    if removing is not None:
        changed, added = form.remove_measure(removing), None
    else:
        changed = added = form.add_measure()
    news = ""
    if changed is not None:
        news = f"{changed.label} {'added' if added else 'removed'}."
    response = render(
        "stories/form.jinja",
        "measures",
        form=form,
        story=story,
        preview=None,
        added=added,
        measures_news=news,
        oob=wants_fragment(),
    )
    if removing is not None and changed is not None and wants_fragment():
        response.headers["HX-Trigger-After-Settle"] = MEASURES_CHANGED
    return response


@bp.route("/stories/<int:story_id>/edit", methods=["GET", "POST"])
@login_required
def edit(story_id: int) -> ResponseReturnValue:
    found = found_or_404(story_for_writer(current_user, story_id))
    if not found.is_editable:
        flash(f"This story is {found.state.label.lower()}, so it cannot be changed now.", "info")
        return redirect_after_post(url_for("stories.story", story_id=found.id))
    form = _story_form(found)
    preview = None
    status = 200
    if request.method == "GET":
        form.load(found)
    elif "add_measure" in request.form or "remove_measure" in request.form:
        return _change_measures(form, found)
    elif form.validate():
        try:
            save_draft(found, form.values(), actor=current_user)
        except StoryError as exc:
            flash(str(exc), "info")
            return redirect_after_post(url_for("stories.story", story_id=found.id))
        if request.form.get("action") != "preview":
            flash("Your draft has been saved.", "success")
            return redirect_after_post(url_for("stories.story", story_id=found.id))
        preview = render_markdown(form.body.data)
    else:
        status = 422
        # A story too long to save is not laid out either: its field says why.
        wants_preview = request.form.get("action") == "preview" and not form.body.errors
        preview = render_markdown(form.body.data) if wants_preview else None
    return render("stories/form.jinja", status=status, form=form, story=found, preview=preview)


@bp.post("/stories/<int:story_id>/autosave")
@keeps_page_when_signed_out
@login_required
def autosave(story_id: int) -> ResponseReturnValue:
    """Save the draft as it is written (htmx, after a pause in typing): answers with a status line."""
    found = found_or_404(story_for_writer(current_user, story_id))
    form = _story_form(found)
    if not found.is_editable:
        message = f"Not saved: this story is {found.state.label.lower()} now."
    elif not form.validate():
        message = "Your latest changes are not saved yet: select “Save draft” to see what to fix."
    else:
        try:
            save_draft(found, form.values(), actor=current_user)
        except StoryError as exc:
            message = f"Not saved: {exc}"
        else:
            message = f"Draft saved at {short_time(found.updated_at.astimezone(LONDON).time())}."
    return render_fragment("stories/form.jinja", "autosave_status", autosave_message=message)


@bp.post("/stories/<int:story_id>/preview")
@login_required
def preview(story_id: int) -> ResponseReturnValue:
    """The story's Markdown as it will look (htmx, as it is written). Nothing is saved."""
    found_or_404(story_for_writer(current_user, story_id))
    form = PreviewForm()
    if not form.validate():
        # Said where the preview would be (htmx swaps a 422 in place); the text is not parsed.
        return render_fragment(
            "stories/form.jinja",
            "preview",
            status=422,
            preview_errors=form.body.errors or ["The preview could not be made. Try again."],
            story=None,
        )
    return render_fragment(
        "stories/form.jinja", "preview", preview=render_markdown(form.body.data), story=None
    )


@bp.route("/stories/<int:story_id>/submit", methods=["GET", "POST"])
@login_required
def submit_for_review(story_id: int) -> ResponseReturnValue:
    found = found_or_404(story_for_writer(current_user, story_id))
    if not found.is_editable:
        flash(f"This story is {found.state.label.lower()} already.", "info")
        return redirect_after_post(url_for("stories.story", story_id=found.id))
    problems = problems_before_submitting(found)
    form = SubmitForm()
    status = 200
    if request.method == "POST":
        if form.validate() and not problems:
            try:
                submit(found, actor=current_user)
            except StoryError as exc:
                flash(str(exc), "info")
            else:
                flash(
                    f"Your story has been sent to {found.trust.region.name}’s coordinator for review. "
                    "We will e-mail you when they have looked at it.",
                    "success",
                )
            return redirect_after_post(url_for("stories.story", story_id=found.id))
        status = 422
    return render(
        "stories/submit.jinja",
        status=status,
        form=form,
        story=found,
        event=_event_of(found),
        problems=problems,
    )


@bp.route("/stories/<int:story_id>/delete", methods=["GET", "POST"])
@login_required
def delete(story_id: int) -> ResponseReturnValue:
    found = found_or_404(story_for_writer(current_user, story_id))
    if found.state is not StoryState.DRAFT:
        flash("Only a draft that was never submitted can be deleted.", "info")
        return redirect_after_post(url_for("stories.story", story_id=found.id))
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate():
            abort(400)
        title = found.display_title
        delete_draft(found, actor=current_user)
        flash(f"The draft “{title}” has been deleted.", "success")
        return redirect_after_post(url_for("stories.mine"))
    return render("stories/confirm.jinja", form=form, story=found, action="delete")


@bp.route("/stories/<int:story_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw_story(story_id: int) -> ResponseReturnValue:
    """Staff of the trust, its coordinator and the programme team can take a story down."""
    # Its writers see their drafts too; reviewers never see a draft.
    found = found_or_404(
        story_for_writer(current_user, story_id) or story_for_reviewer(current_user, story_id)
    )
    if not found.is_published:
        flash("Only a published story can be withdrawn.", "info")
        return redirect_after_post(url_for("stories.story", story_id=found.id))
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate():
            abort(400)
        try:
            withdraw(found, actor=current_user)
        except StoryError as exc:
            flash(str(exc), "info")
        else:
            flash(
                "The story has been withdrawn. Only its trust and reviewers can see it now.",
                "success",
            )
        return redirect_after_post(url_for("stories.story", story_id=found.id))
    return render("stories/confirm.jinja", form=form, story=found, action="withdraw")


# --- Review (the region's coordinator, the programme team) ------------------------------------


@bp.get("/stories/review")
@login_required
def review_list() -> ResponseReturnValue:
    if not is_reviewer(current_user):
        abort(403)
    return render(
        "stories/review_queue.jinja",
        waiting=review_queue(current_user),
        reviewed=recently_reviewed(current_user),
    )


def _review_page(
    found: Story, *, publish_form: PublishForm, return_form: ReturnForm, status: int = 200
) -> ResponseReturnValue:
    return render(
        "stories/review.jinja",
        status=status,
        story=found,
        event=_event_of(found),
        publish_form=publish_form,
        return_form=return_form,
        characteristics=cited_characteristics(found, current_user),
    )


@bp.get("/stories/<int:story_id>/review")
@login_required
def review(story_id: int) -> ResponseReturnValue:
    found = found_or_404(story_for_reviewer(current_user, story_id))
    if found.state is not StoryState.SUBMITTED:
        return redirect_after_post(url_for("stories.story", story_id=found.id))
    return _review_page(found, publish_form=PublishForm(), return_form=ReturnForm(formdata=None))


@bp.post("/stories/<int:story_id>/publish")
@login_required
def publish_story(story_id: int) -> ResponseReturnValue:
    found = found_or_404(story_for_reviewer(current_user, story_id))
    form = PublishForm()
    if not form.validate():
        return _review_page(
            found, publish_form=form, return_form=ReturnForm(formdata=None), status=422
        )
    try:
        publish(found, actor=current_user)
    except StoryError as exc:
        flash(str(exc), "info")
    else:
        flash("The story is published. Its author has been told by e-mail.", "success")
    return redirect_after_post(url_for("stories.review_list"))


@bp.post("/stories/<int:story_id>/return")
@login_required
def return_story(story_id: int) -> ResponseReturnValue:
    found = found_or_404(story_for_reviewer(current_user, story_id))
    form = ReturnForm()
    if not form.validate():
        return _review_page(
            found, publish_form=PublishForm(formdata=None), return_form=form, status=422
        )
    try:
        return_for_changes(found, form.comment.data or "", actor=current_user)
    except StoryError as exc:
        flash(str(exc), "info")
    else:
        flash("The story has been returned to its trust with your comment.", "success")
    return redirect_after_post(url_for("stories.review_list"))


# --- Atom feeds -------------------------------------------------------------------------------


def _atom_response(region: Region | None) -> ResponseReturnValue:
    stories = feed_stories(region)
    response = Response(status=200, content_type="application/atom+xml; charset=utf-8")
    response.cache_control.public = True
    response.cache_control.max_age = 900
    return answer_conditionally(
        response, lambda: build_feed(stories, region), etag=feed_etag(stories, region)
    )


@bp.get("/feeds/stories.atom")
def atom_all() -> ResponseReturnValue:
    return _atom_response(None)


@bp.get("/feeds/regions/<slug>/stories.atom")
def atom_region(slug: str) -> ResponseReturnValue:
    return _atom_response(found_or_404(region_by_slug(slug)))
