"""Selection pages: thin views over selectors (reads) and services (writes)."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateSyntaxError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from maillage.applications.selectors import explain
from maillage.core.permissions import current_user, role_required
from maillage.people.models import Role

from . import emailing, selectors, services
from .email_defaults import DEFAULT_TEMPLATES
from .forms import (
    AssignForm,
    AutoAssignForm,
    BaseCriterionFormSet,
    ConflictForm,
    CriterionFormSet,
    DecisionsForm,
    EmailTemplateForm,
    LockForm,
    ReviewForm,
    SessionForm,
)
from .models import DecisionEmailTemplate, Outcome, ReviewAssignment, SessionItem

STAFF = (Role.COORDINATOR, Role.ADMIN)
PAGE_SIZE = 50


def _absolute(request: HttpRequest) -> Callable[[str], str]:
    return request.build_absolute_uri


# --------------------------------------------------------------------------------------------
# Committee members
# --------------------------------------------------------------------------------------------


@role_required(Role.COMMITTEE)
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    return render(
        request, "review/mine.html", {"rows": selectors.reviewer_rows(current_user(request))}
    )


def _review_context(assignment: ReviewAssignment) -> dict[str, Any]:
    application = assignment.application
    return {
        "assignment": assignment,
        "application": application,
        "eligibility": explain(application.eligibility_snapshot or []),
        "is_open": selectors.review_is_open(application),
    }


@role_required(Role.COMMITTEE)
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.reviewer_assignment(current_user(request), pk)
    context = _review_context(assignment)
    if not hasattr(assignment, "conflict_declaration"):
        # The content stays hidden until the member has declared (no) conflict.
        return render(request, "review/declare.html", {**context, "form": ConflictForm()})
    criteria = selectors.criteria_of(assignment.application.call)
    initial: dict[str, Any] = {"overall_comment": assignment.overall_comment}
    for score in assignment.scores.all():
        initial[f"score_{score.criterion_id}"] = str(score.value)
        initial[f"comment_{score.criterion_id}"] = score.comment
    form = ReviewForm(request.POST or None, initial=initial, criteria=criteria)
    status = 200
    if request.method == "POST":
        submit = "submit" in request.POST
        if form.is_valid():
            try:
                services.save_review(
                    assignment,
                    values=form.values(),
                    comments=form.comments(),
                    overall_comment=form.cleaned_data["overall_comment"],
                    submit=submit,
                )
            except services.ReviewError as error:
                form.add_error(None, error.message)
            else:
                if submit:
                    messages.success(request, _("Votre évaluation est validée. Merci !"))
                    return redirect("review:mine")
                messages.success(request, _("Brouillon enregistré."))
                return redirect("review:review", pk=assignment.pk)
        status = 400
    return render(
        request,
        "review/review.html",
        {**context, "form": form, "criteria": criteria},
        status=status,
    )


@role_required(Role.COMMITTEE)
@require_POST
def declare(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.reviewer_assignment(current_user(request), pk)
    form = ConflictForm(request.POST)
    if form.is_valid():
        try:
            declaration = services.declare(
                assignment, kind=form.cleaned_data["kind"], note=form.cleaned_data["note"]
            )
        except services.ReviewError as error:
            form.add_error(None, error.message)
        else:
            if declaration.is_conflict:
                messages.success(
                    request,
                    _(
                        "Votre conflit d'intérêts est enregistré : cette candidature est "
                        "retirée de votre liste et la coordination en est informée."
                    ),
                )
                return redirect("review:mine")
            return redirect("review:review", pk=assignment.pk)
    return render(
        request, "review/declare.html", {**_review_context(assignment), "form": form}, status=400
    )


# --------------------------------------------------------------------------------------------
# Coordination: calls, grid, assignments, results
# --------------------------------------------------------------------------------------------


@role_required(*STAFF)
@require_GET
def calls(request: HttpRequest) -> HttpResponse:
    return render(request, "review/calls.html", {"calls": selectors.calls_overview()})


@role_required(*STAFF)
@require_GET
def call_overview(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = selectors.call_or_404(call_pk)
    rows = selectors.assignment_rows(call)
    return render(
        request,
        "review/call.html",
        {
            "call": call,
            "criteria": selectors.criteria_of(call),
            "sessions": selectors.sessions_of(call),
            "session_form": SessionForm(),
            "to_assign": sum(1 for r in rows if r.needs_reviewer),
            "reviewed": sum(1 for r in rows if r.completed),
            "in_instruction": len(rows),
        },
    )


@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def grid(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = selectors.call_or_404(call_pk)
    current = selectors.grid_of(call)
    locked = current is not None and current.is_locked
    criteria = selectors.criteria_of(call)
    initial = [
        {
            "label": c.label,
            "description": c.description,
            "weight": c.weight,
            "scale_max": c.scale_max,
        }
        for c in criteria
    ] or services.default_grid_rows()
    formset = CriterionFormSet(request.POST or None, initial=initial, prefix="criteres")
    status = 200
    if request.method == "POST" and not locked:
        if formset.is_valid():
            try:
                assert isinstance(formset, BaseCriterionFormSet)
                services.save_grid(call, formset.rows())
            except services.ReviewError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("Grille d'évaluation enregistrée."))
                return redirect("review:call", call_pk=call.pk)
        status = 400
    return render(
        request,
        "review/grid.html",
        {
            "call": call,
            "formset": formset,
            "locked": locked,
            "criteria": criteria,
            "is_default": not criteria,
        },
        status=status,
    )


def _member_choices(
    members: list[Any], row: selectors.ApplicationScores, loads: dict[int, int]
) -> list[tuple[int, str]]:
    taken = {a.reviewer_id for a in row.active} | {a.reviewer_id for a in row.conflicted}
    organisation = row.application.organisation_id
    return [
        (m.pk, f"{m.full_name} ({loads.get(m.pk, 0)})")
        for m in members
        if m.pk not in taken and not (organisation and m.organisation_id == organisation)
    ]


@role_required(*STAFF)
@require_GET
def assignments(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = selectors.call_or_404(call_pk)
    only_missing = request.GET.get("manquants") == "1"
    rows = selectors.assignment_rows(call, only_missing=only_missing)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    members = selectors.committee_members()
    loads = selectors.reviewer_loads(call)
    return render(
        request,
        "review/assignments.html",
        {
            "call": call,
            "page": page,
            "rows": [
                (
                    row,
                    AssignForm(
                        prefix=f"a{row.application.pk}",
                        choices=_member_choices(members, row, loads),
                    ),
                )
                for row in page.object_list
            ],
            "only_missing": only_missing,
            "auto_form": AutoAssignForm(),
            "members": [(m, loads.get(m.pk, 0)) for m in members],
        },
    )


@role_required(*STAFF)
@require_POST
def auto_assign(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = selectors.call_or_404(call_pk)
    form = AutoAssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Indiquez un nombre de membres par candidature entre 1 et 6."))
        return redirect("review:assignments", call_pk=call.pk)
    try:
        result = services.auto_assign(
            call,
            per_application=form.cleaned_data["per_application"],
            actor=current_user(request),
            absolute=_absolute(request),
        )
    except services.ReviewError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(created)s attributions créées pour %(applications)s candidatures.")
            % {"created": result.created, "applications": result.applications},
        )
        if result.short:
            messages.warning(
                request,
                _(
                    "%(count)s candidature(s) n'atteignent pas le nombre demandé : pas assez "
                    "de membres sans conflit d'intérêts."
                )
                % {"count": result.short},
            )
    return redirect("review:assignments", call_pk=call.pk)


@role_required(*STAFF)
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    row, _criteria = selectors.application_scores(pk)
    call = row.application.call
    members = selectors.committee_members()
    form = AssignForm(
        request.POST,
        prefix=f"a{pk}",
        choices=_member_choices(members, row, selectors.reviewer_loads(call)),
    )
    if form.is_valid():
        reviewer = next(m for m in members if m.pk == form.cleaned_data["reviewer"])
        try:
            services.assign(
                row.application,
                [reviewer],
                actor=current_user(request),
                absolute=_absolute(request),
            )
        except services.ReviewError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("%(name)s évaluera la candidature %(ref)s.")
                % {"name": reviewer.full_name, "ref": row.application},
            )
    else:
        messages.error(request, _("Choisissez un membre du comité dans la liste."))
    target = reverse("review:assignments", args=[call.pk])
    page = request.POST.get("page", "")
    return redirect(f"{target}?page={page}" if page.isdigit() else target)


@role_required(*STAFF)
@require_POST
def unassign(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_object_or_404(
        ReviewAssignment.objects.select_related("application", "reviewer"), pk=pk
    )
    try:
        services.unassign(assignment)
    except services.ReviewError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(name)s n'évalue plus la candidature %(ref)s.")
            % {"name": assignment.reviewer.full_name, "ref": assignment.application},
        )
    return redirect("review:assignments", call_pk=assignment.application.call_id)


@role_required(*STAFF)
@require_GET
def results(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = selectors.call_or_404(call_pk)
    return render(
        request,
        "review/results.html",
        {
            "call": call,
            "rows": selectors.results_rows(call),
            "criteria": selectors.criteria_of(call),
        },
    )


@role_required(*STAFF)
@require_GET
def application_scores(request: HttpRequest, pk: int) -> HttpResponse:
    row, criteria = selectors.application_scores(pk)
    return render(
        request,
        "review/application_scores.html",
        {"row": row, "application": row.application, "criteria": criteria},
    )


# --------------------------------------------------------------------------------------------
# Committee sessions
# --------------------------------------------------------------------------------------------


@role_required(*STAFF)
@require_POST
def session_create(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = selectors.call_or_404(call_pk)
    form = SessionForm(request.POST)
    if form.is_valid():
        session = services.create_session(
            call,
            title=form.cleaned_data["title"],
            date=form.cleaned_data["date"],
            actor=current_user(request),
        )
        added = services.add_applications(session)
        messages.success(
            request,
            _(
                "Séance créée ; %(count)s candidature(s) en instruction ajoutée(s) à l'ordre du "
                "jour."
            )
            % {"count": added},
        )
        return redirect("review:session", pk=session.pk)
    rows = selectors.assignment_rows(call)
    return render(
        request,
        "review/call.html",
        {
            "call": call,
            "criteria": selectors.criteria_of(call),
            "sessions": selectors.sessions_of(call),
            "session_form": form,
            "to_assign": sum(1 for r in rows if r.needs_reviewer),
            "reviewed": sum(1 for r in rows if r.completed),
            "in_instruction": len(rows),
        },
        status=400,
    )


def _render_session(
    request: HttpRequest,
    session_pk: int,
    *,
    decisions_form: DecisionsForm | None = None,
    lock_form: LockForm | None = None,
    status: int = 200,
) -> HttpResponse:
    session = selectors.session_or_404(session_pk)
    view = selectors.session_view(session)
    if decisions_form is None:
        decisions_form = DecisionsForm(
            initial={
                **{f"decision_{r.item.pk}": r.item.decision for r in view.rows},
                **{f"motivation_{r.item.pk}": r.item.motivation for r in view.rows},
            },
            item_ids=[r.item.pk for r in view.rows],
        )
    return render(
        request,
        "review/session.html",
        {
            "session": session,
            "view": view,
            "rows": [(r, *decisions_form.fields_of(r.item.pk)) for r in view.rows],
            "decisions_form": decisions_form,
            "lock_form": lock_form or LockForm(),
            "addable": list(selectors.addable_applications(session))
            if not session.is_locked
            else [],
            "outcomes": Outcome,
        },
        status=status,
    )


@role_required(*STAFF)
@require_GET
def session(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_session(request, pk)


@role_required(*STAFF)
@require_POST
def session_add(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_or_404(pk)
    ids = None
    if "choisies" in request.POST:
        ids = [int(v) for v in request.POST.getlist("applications") if v.isdigit()]
    try:
        added = services.add_applications(session, ids)
    except services.ReviewError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("%(count)s candidature(s) ajoutée(s) à l'ordre du jour.") % {"count": added}
        )
    return redirect("review:session", pk=session.pk)


@role_required(*STAFF)
@require_POST
def session_remove(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    item = get_object_or_404(
        SessionItem.objects.select_related("session", "application"), pk=item_pk, session_id=pk
    )
    try:
        services.remove_item(item)
    except services.ReviewError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("%(ref)s retirée de l'ordre du jour.") % {"ref": item.application}
        )
    return redirect("review:session", pk=pk)


@role_required(*STAFF)
@require_POST
def session_decisions(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_or_404(pk)
    item_ids = list(SessionItem.objects.filter(session=session).values_list("pk", flat=True))
    form = DecisionsForm(request.POST, item_ids=item_ids)
    if not form.is_valid():
        return _render_session(request, pk, decisions_form=form, status=400)
    try:
        services.record_decisions(session, form.decisions())
    except services.ReviewError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Décisions enregistrées (la séance n'est pas verrouillée)."))
    return redirect("review:session", pk=pk)


@role_required(*STAFF)
@require_POST
def session_lock(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_or_404(pk)
    form = LockForm(request.POST)
    form.is_valid()
    try:
        count = services.lock_session(
            session,
            actor=current_user(request),
            confirm_over_envelope=bool(form.cleaned_data.get("confirm_over_envelope")),
            absolute=_absolute(request),
        )
    except services.ReviewError as error:
        form.add_error(None, error.message)
        return _render_session(request, pk, lock_form=form, status=400)
    messages.success(
        request,
        _(
            "Séance verrouillée : %(count)s décision(s) appliquée(s), les e-mails partent aux "
            "candidat·es."
        )
        % {"count": count},
    )
    return redirect("review:session", pk=pk)


# --------------------------------------------------------------------------------------------
# Decision e-mail templates
# --------------------------------------------------------------------------------------------


def _outcome_or_404(outcome: str) -> Outcome:
    if outcome not in Outcome.values:
        raise Http404
    return Outcome(outcome)


@role_required(*STAFF)
@require_GET
def email_templates(request: HttpRequest) -> HttpResponse:
    saved = {t.outcome: t for t in DecisionEmailTemplate.objects.select_related("updated_by")}
    return render(
        request,
        "review/email_templates.html",
        {"templates": [(outcome, saved.get(outcome.value)) for outcome in Outcome]},
    )


def _preview(subject: str, body: str) -> emailing.RenderedEmail | str:
    try:
        return emailing.render(subject, body, emailing.SAMPLE_CONTEXT)
    except TemplateSyntaxError as error:
        return _("Aperçu impossible : %(error)s") % {"error": error}


@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def email_template(request: HttpRequest, outcome: str) -> HttpResponse:
    chosen = _outcome_or_404(outcome)
    subject, body = emailing.template_for(chosen)
    form = EmailTemplateForm(request.POST or None, initial={"subject": subject, "body": body})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            services.save_email_template(
                chosen,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                actor=current_user(request),
            )
            messages.success(request, _("Modèle enregistré."))
            return redirect("review:email_templates")
        status = 400
        subject = request.POST.get("subject", "")
        body = request.POST.get("body", "")
    return render(
        request,
        "review/email_template.html",
        {
            "outcome": chosen,
            "form": form,
            "variables": emailing.VARIABLES,
            "preview": _preview(subject, body),
            "default": DEFAULT_TEMPLATES[chosen],
        },
        status=status,
    )


@role_required(*STAFF)
@require_POST
def email_preview(request: HttpRequest, outcome: str) -> HttpResponse:
    _outcome_or_404(outcome)
    return render(
        request,
        "review/_email_preview.html",
        {"preview": _preview(request.POST.get("subject", ""), request.POST.get("body", ""))},
    )
