"""Pages of an application: start, the eight steps, the application page, files, receipt and
the employer's one-time approval page. Thin: forms validate, services write, selectors read."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from maillage.calls.models import Call
from maillage.core.permissions import current_user, public, role_required, signed_in
from maillage.organisations.forms import OrganisationForm
from maillage.organisations.selectors import search_organisations
from maillage.organisations.services import create_organisation_from_form
from maillage.people.models import EmploymentStatus, Role

from . import eligibility, selectors, services
from .forms import (
    ApplicantForm,
    AttachmentForm,
    EmployerDecisionForm,
    EmployerForm,
    MessageForm,
    ModalitiesForm,
    NeedForm,
    OrganisationChoiceForm,
    ResourcePersonForm,
    SubmitForm,
)
from .models import Application, ApplicationState, AttachmentKind
from .receipts import receipt_filename, render_receipt
from .workflow import APPLICANT_EDITABLE, TransitionError

APPLICANT_OR_STAFF = (Role.APPLICANT, Role.COORDINATOR, Role.ADMIN)
CONTENT_TYPES = {
    AttachmentKind.PDF: "application/pdf",
    AttachmentKind.ODT: "application/vnd.oasis.opendocument.text",
    AttachmentKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _absolute(request: HttpRequest) -> Callable[[str], str]:
    return request.build_absolute_uri


def _step_url(application: Application, step: int) -> str:
    return reverse("applications:step", args=[application.pk, step])


def _resume_url(application: Application) -> str:
    if application.state in APPLICANT_EDITABLE:
        return _step_url(application, selectors.resume_step(application))
    return reverse("applications:detail", args=[application.pk])


# --------------------------------------------------------------------------------------------
# Starting
# --------------------------------------------------------------------------------------------


@signed_in
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, call_slug: str) -> HttpResponse:
    """What to prepare, then one button; an application in progress is resumed instead."""
    call = get_object_or_404(Call.objects.published().select_related("programme"), slug=call_slug)
    user = current_user(request)
    existing = selectors.in_progress_application(user, call.pk)
    if existing is not None:
        return redirect(_resume_url(existing))
    if request.method == "POST":
        try:
            application, _created = services.start_application(user, call)
        except services.CallClosedError as error:
            messages.error(request, error.message)
        else:
            return redirect(_step_url(application, 1))
    return render(
        request,
        "applications/start.html",
        {
            "call": call,
            "is_open": call.is_open(),
            "submitted": selectors.submitted_for_call(user, call.pk),
            "steps": selectors.STEPS,
        },
    )


# --------------------------------------------------------------------------------------------
# The steps
# --------------------------------------------------------------------------------------------


def _nav(application: Application, current: int) -> list[dict[str, Any]]:
    incomplete = selectors.incomplete_steps(application)
    return [
        {
            "number": number,
            "title": title,
            "current": number == current,
            "incomplete": number in incomplete,
        }
        for number, title in selectors.STEPS
    ]


def _editable(application: Application, step: int) -> bool:
    """Draft: every step. "À compléter": every step but the employer's (already agreed)."""
    if application.state == ApplicationState.TO_COMPLETE:
        return step != 7
    return application.state == ApplicationState.DRAFT


def _render_step(
    request: HttpRequest,
    application: Application,
    step: int,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    title = dict(selectors.STEPS)[step]
    return render(
        request,
        f"applications/step_{step}.html",
        {
            "application": application,
            "step": step,
            "step_title": title,
            "steps": _nav(application, step),
            "last_step": selectors.LAST_STEP,
            "editable": _editable(application, step),
            "completion_reason": selectors.completion_reason(application)
            if application.state == ApplicationState.TO_COMPLETE
            else "",
            # Steps whose answers sit in one form: the step list saves them before moving.
            "step_form": step in (1, 2, 3, 4, 5, 7),
            "previous_step": step - 1 if step > 1 else None,
            **context,
        },
        status=status,
    )


def _after_save(request: HttpRequest, application: Application, step: int) -> HttpResponse:
    """Where the buttons lead once the answers are saved: a chosen step, the next, or here."""
    goto = request.POST.get("goto", "")
    if goto.isdigit() and 1 <= int(goto) <= selectors.LAST_STEP:
        return redirect(_step_url(application, int(goto)))
    if request.POST.get("action") == "next":
        return redirect(_step_url(application, min(step + 1, selectors.LAST_STEP)))
    messages.success(
        request,
        _("Brouillon enregistré à %(time)s.")
        % {"time": formats.time_format(timezone.localtime(), "H:i")},
    )
    return redirect(_step_url(application, step))


def _invalid(
    request: HttpRequest, application: Application, step: int, context: dict[str, Any]
) -> HttpResponse:
    messages.error(
        request,
        _(
            "Certaines réponses ne sont pas valides : elles sont signalées ci-dessous, rien de "
            "ce que vous avez saisi n'est perdu. Les autres réponses sont enregistrées."
        ),
    )
    return _render_step(request, application, step, context, status=200)


def _refuse_locked(request: HttpRequest, application: Application, step: int) -> HttpResponse:
    if application.state == ApplicationState.TO_COMPLETE:
        messages.error(
            request, _("L'accord de votre employeur est déjà donné : cette étape ne change plus.")
        )
        return redirect(_step_url(application, step))
    messages.error(
        request,
        _(
            "Cette candidature attend l'accord de votre employeur : reprenez-la en brouillon pour "
            "la modifier."
        ),
    )
    return redirect(_step_url(application, step))


def _step_applicant(request: HttpRequest, application: Application) -> HttpResponse:
    user = application.applicant
    initial = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "job_title": application.declared_job_title,
        "employment_status": application.declared_status,
    }
    if request.method == "POST":
        form = ApplicantForm(request.POST)
        valid = form.is_valid()
        services.save_applicant(application, form.cleaned_data)
        if valid:
            return _after_save(request, application, 1)
        return _invalid(request, application, 1, {"form": form})
    return _render_step(request, application, 1, {"form": ApplicantForm(initial=initial)})


def _step_organisation(request: HttpRequest, application: Application) -> HttpResponse:
    context: dict[str, Any] = {"form": None, "query": "", "results": []}
    create_form = OrganisationForm(prefix="new")
    if request.method == "POST":
        action = request.POST.get("action", "")
        context["query"] = request.POST.get("q", "").strip()
        typed_new = bool(request.POST.get("new-name", "").strip())
        if typed_new:
            create_form = OrganisationForm(request.POST, prefix="new")
        if action == "search":
            # Without JavaScript: the search results, with everything typed kept.
            context["results"] = search_organisations(context["query"])
            return _render_step(request, application, 2, {**context, "create_form": create_form})
        if action == "create" or typed_new:
            create_form = OrganisationForm(request.POST, prefix="new")
            if not create_form.is_valid():
                return _invalid(
                    request,
                    application,
                    2,
                    {
                        **context,
                        "form": create_form,
                        "create_form": create_form,
                        "create_open": True,
                    },
                )
            organisation = create_organisation_from_form(create_form.cleaned_data)
            services.save_organisation(application, organisation)
            messages.success(
                request, _("La structure « %(name)s » est créée.") % {"name": organisation.name}
            )
            if action == "create":
                return redirect(_step_url(application, 3))
            return _after_save(request, application, 2)
        choice = OrganisationChoiceForm(request.POST)
        if not choice.is_valid():
            return _invalid(
                request, application, 2, {**context, "form": choice, "create_form": create_form}
            )
        if choice.cleaned_data["organisation"] is not None:
            services.save_organisation(application, choice.cleaned_data["organisation"])
        return _after_save(request, application, 2)
    return _render_step(request, application, 2, {**context, "create_form": create_form})


def _competence_context(need: str, selected_ids: list[int], query: str = "") -> dict[str, Any]:
    selected = selectors.competences_by_ids(selected_ids)
    chosen = {c.pk for c in selected}
    suggestions = selectors.suggested_competences(need, exclude=chosen)
    found = selectors.search_competences(query, exclude=chosen | {c.pk for c in suggestions})
    return {
        "selected": selected,
        "suggestions": suggestions,
        "found": found,
        "competence_query": query,
        "need_given": len(need.strip()) >= 3,
    }


def _posted_ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()][:20]


def _step_need(request: HttpRequest, application: Application) -> HttpResponse:
    if request.method == "POST":
        form = NeedForm(request.POST)
        valid = form.is_valid()
        context = _competence_context(
            request.POST.get("need", ""),
            _posted_ids(request.POST.getlist("competences")),
            request.POST.get("competence_query", ""),
        )
        if request.POST.get("action") == "suggest":
            # Without JavaScript: refresh the suggestions, nothing saved yet, nothing lost.
            return _render_step(
                request, application, 3, {"form": form, **context, "suggest_only": True}
            )
        services.save_need(application, form.cleaned_data)
        if valid:
            return _after_save(request, application, 3)
        return _invalid(request, application, 3, {"form": form, **context})
    form = NeedForm(
        initial={"need": application.need, "expected_results": application.expected_results}
    )
    context = _competence_context(application.need, [c.pk for c in application.competences.all()])
    return _render_step(request, application, 3, {"form": form, **context})


def _step_modalities(request: HttpRequest, application: Application) -> HttpResponse:
    programme = application.call.programme
    if request.method == "POST":
        form = ModalitiesForm(request.POST, programme=programme)
        valid = form.is_valid()
        services.save_modalities(application, form.cleaned_data)
        if valid:
            return _after_save(request, application, 4)
        return _invalid(request, application, 4, {"form": form})
    form = ModalitiesForm(
        programme=programme,
        initial={
            "formats": [str(f) for f in application.formats],
            "desired_start": application.desired_start,
            "desired_end": application.desired_end,
            "days": application.days,
        },
    )
    return _render_step(request, application, 4, {"form": form})


def _step_resource_person(request: HttpRequest, application: Application) -> HttpResponse:
    user = application.applicant
    if request.method == "POST":
        form = ResourcePersonForm(request.POST, applicant=user)
        valid = form.is_valid()
        query = request.POST.get("rp_query", "")
        if request.POST.get("action") == "search":
            results = selectors.search_resource_persons(query, exclude_user=user)
            return _render_step(
                request,
                application,
                5,
                {"form": form, "results": results, "rp_query": query, "searched": True},
            )
        services.save_resource_person(application, form.cleaned_data)
        if valid:
            return _after_save(request, application, 5)
        return _invalid(request, application, 5, {"form": form, "rp_query": query})
    form = ResourcePersonForm(
        applicant=user,
        initial={
            "proposed_resource_person": application.proposed_resource_person_id,
            "proposed_external_name": application.proposed_external_name,
            "proposed_external_organisation": application.proposed_external_organisation,
        },
    )
    return _render_step(request, application, 5, {"form": form})


def _step_attachments(request: HttpRequest, application: Application) -> HttpResponse:
    attachments = list(application.attachments.all())
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action != "upload" or not request.FILES:
            # "Continuer" or a step button without a file: nothing to save on this step.
            if action == "upload":
                form = AttachmentForm(request.POST, request.FILES, existing=len(attachments))
                form.is_valid()
                return _invalid(request, application, 6, {"form": form, "attachments": attachments})
            return _after_save(request, application, 6)
        form = AttachmentForm(request.POST, request.FILES, existing=len(attachments))
        if form.is_valid() and form.kind is not None:
            attachment = services.add_attachment(application, form.cleaned_data["file"], form.kind)
            messages.success(
                request,
                _("« %(name)s » est joint à votre candidature.")
                % {"name": attachment.original_name},
            )
            return redirect(_step_url(application, 6))
        return _invalid(request, application, 6, {"form": form, "attachments": attachments})
    form = AttachmentForm(existing=len(attachments))
    return _render_step(request, application, 6, {"form": form, "attachments": attachments})


def _step_employer(request: HttpRequest, application: Application) -> HttpResponse:
    user = application.applicant
    approval = selectors.current_approval(application)
    employee = application.declared_status == EmploymentStatus.EMPLOYEE
    base = {
        "approval": approval,
        "employee": employee,
        "leader": application.declared_status == EmploymentStatus.LEADER,
    }
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "resend":
            try:
                services.resend_employer_request(
                    application, current_user(request), _absolute(request)
                )
            except TransitionError as error:
                messages.error(request, services.transition_message(error.code))
            else:
                messages.success(
                    request,
                    _(
                        "Une nouvelle demande est envoyée à %(email)s ; le lien précédent ne "
                        "fonctionne plus."
                    )
                    % {"email": application.employer_signatory_email},
                )
            return redirect(_step_url(application, 7))
        if application.state != ApplicationState.DRAFT:
            return _refuse_locked(request, application, 7)
        form = EmployerForm(request.POST, applicant=user)
        valid = form.is_valid()
        if employee:
            services.save_employer(application, form.cleaned_data)
        if not valid:
            return _invalid(request, application, 7, {"form": form, **base})
        if action == "request":
            try:
                services.request_employer_approval(
                    application, current_user(request), _absolute(request)
                )
            except TransitionError as error:
                messages.error(request, services.transition_message(error.code))
                return _render_step(
                    request,
                    application,
                    7,
                    {"form": form, "missing": selectors.missing_answers(application), **base},
                )
            messages.success(
                request,
                _("La demande d'accord est envoyée à %(name)s (%(email)s).")
                % {
                    "name": application.employer_signatory_name,
                    "email": application.employer_signatory_email,
                },
            )
            return redirect(_step_url(application, 7))
        return _after_save(request, application, 7)
    form = EmployerForm(
        applicant=user,
        initial={
            "employer_signatory_name": application.employer_signatory_name,
            "employer_signatory_email": application.employer_signatory_email,
        },
    )
    return _render_step(request, application, 7, {"form": form, **base})


def _summary_context(application: Application) -> dict[str, Any]:
    results = selectors.evaluate(application)
    missing = selectors.missing_answers(application)
    employee = application.declared_status == EmploymentStatus.EMPLOYEE
    if application.state == ApplicationState.TO_COMPLETE:
        # A completion may be sent after the call's closing date.
        results = [r for r in results if r.code != eligibility.CALL_OPEN]
    return {
        "missing": missing,
        "eligibility": selectors.explain(results),
        "eligible": all(r.passed for r in results),
        "resubmission": application.state == ApplicationState.TO_COMPLETE,
        "can_submit": not missing
        and all(r.passed for r in results)
        and (
            application.state == ApplicationState.TO_COMPLETE
            or (application.state == ApplicationState.DRAFT and not employee)
            or (
                application.state == ApplicationState.AWAITING_EMPLOYER
                and application.employer_approved_at is not None
            )
        ),
        "employee": employee,
        "approval": selectors.current_approval(application),
    }


def _step_summary(request: HttpRequest, application: Application) -> HttpResponse:
    form = SubmitForm()
    if request.method == "POST":
        form = SubmitForm(request.POST)
        if form.is_valid() and application.state == ApplicationState.TO_COMPLETE:
            try:
                services.resubmit(application, actor=current_user(request))
            except TransitionError as error:
                messages.error(request, services.transition_message(error.code))
            else:
                messages.success(
                    request,
                    _(
                        "Votre candidature complétée est renvoyée à la coordination, qui "
                        "reprend son instruction."
                    ),
                )
                return redirect("applications:detail", pk=application.pk)
        elif form.is_valid():
            try:
                submission = services.submit(application, current_user(request))
            except TransitionError as error:
                messages.error(request, services.transition_message(error.code))
            else:
                if submission.created:
                    messages.success(
                        request,
                        _(
                            "Votre candidature est déposée sous la référence %(reference)s. Le "
                            "récépissé vous est envoyé par e-mail."
                        )
                        % {"reference": submission.application.reference},
                    )
                return redirect("applications:detail", pk=application.pk)
    return _render_step(request, application, 8, {"form": form, **_summary_context(application)})


STEP_VIEWS: dict[int, Callable[[HttpRequest, Application], HttpResponse]] = {
    1: _step_applicant,
    2: _step_organisation,
    3: _step_need,
    4: _step_modalities,
    5: _step_resource_person,
    6: _step_attachments,
    7: _step_employer,
    8: _step_summary,
}


@role_required(Role.APPLICANT)
@require_http_methods(["GET", "POST"])
def step(request: HttpRequest, pk: int, step: int) -> HttpResponse:
    application = selectors.own_application(current_user(request), pk)
    if step not in STEP_VIEWS:
        raise Http404
    if application.state not in (ApplicationState.AWAITING_EMPLOYER, *APPLICANT_EDITABLE):
        if request.method == "POST" and step == selectors.LAST_STEP:
            # A second click on "Déposer": already done, show the result.
            messages.info(request, _("Cette candidature est déjà déposée."))
        return redirect("applications:detail", pk=application.pk)
    locked = not _editable(application, step)
    if request.method == "POST" and locked and step not in (7, selectors.LAST_STEP):
        return _refuse_locked(request, application, step)
    return STEP_VIEWS[step](request, application)


@role_required(Role.APPLICANT)
@require_POST
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.own_application(current_user(request), pk)
    try:
        services.reopen(application, current_user(request))
    except TransitionError as error:
        messages.error(request, services.transition_message(error.code))
        return redirect("applications:detail", pk=pk)
    messages.success(
        request,
        _(
            "Votre candidature est de nouveau un brouillon : après vos modifications, demandez à "
            "nouveau l'accord de votre employeur."
        ),
    )
    return redirect(_step_url(application, 1))


# --------------------------------------------------------------------------------------------
# htmx helpers
# --------------------------------------------------------------------------------------------


@role_required(Role.APPLICANT)
@require_http_methods(["GET", "POST"])
def competence_suggestions(request: HttpRequest) -> HttpResponse:
    """htmx: the competence checkboxes (ticked ones kept) with suggestions for the need text."""
    data = request.POST if request.method == "POST" else request.GET
    context = _competence_context(
        data.get("need", ""),
        _posted_ids(data.getlist("competences")),
        data.get("competence_query", ""),
    )
    return render(request, "applications/_competence_choices.html", context)


@role_required(Role.APPLICANT)
@require_GET
def resource_person_search(request: HttpRequest) -> HttpResponse:
    """htmx: listed resource persons by name or competence, as radio buttons."""
    query = request.GET.get("rp_query", "")
    return render(
        request,
        "applications/_resource_person_results.html",
        {
            "results": selectors.search_resource_persons(query, exclude_user=current_user(request)),
            "rp_query": query,
            "searched": True,
        },
    )


# --------------------------------------------------------------------------------------------
# The application page, files and receipt
# --------------------------------------------------------------------------------------------


@role_required(*APPLICANT_OR_STAFF)
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    application = selectors.visible_application(user, pk)
    return _render_detail(request, application, MessageForm())


def _render_detail(
    request: HttpRequest, application: Application, message_form: MessageForm, status: int = 200
) -> HttpResponse:
    user = current_user(request)
    is_owner = application.applicant_id == user.pk
    if application.submitted_at and application.eligibility_snapshot:
        explanation = selectors.explain(application.eligibility_snapshot)
    else:
        explanation = selectors.explain(selectors.evaluate(application))
    thread = selectors.own_messages(application) if is_owner else []
    if is_owner and request.method == "GET":
        services.mark_read(application, from_staff=True)
    return render(
        request,
        "applications/detail.html",
        {
            "application": application,
            "is_owner": is_owner,
            "thread": thread,
            "message_form": message_form,
            "completion_reason": selectors.completion_reason(application)
            if application.state == ApplicationState.TO_COMPLETE
            else "",
            "eligibility": explanation,
            "missing": selectors.missing_answers(application)
            if application.state == ApplicationState.DRAFT
            else [],
            "approval": selectors.current_approval(application),
            "resume_url": _resume_url(application),
        },
        status=status,
    )


@role_required(Role.APPLICANT)
@require_POST
def message(request: HttpRequest, pk: int) -> HttpResponse:
    """The applicant writes to the coordination about their submitted application."""
    user = current_user(request)
    application = selectors.own_application(user, pk)
    if not application.submitted_at:
        raise Http404
    form = MessageForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, application, form)
    services.send_applicant_message(
        application, body=form.cleaned_data["body"], author=user, absolute=_absolute(request)
    )
    messages.success(request, _("Votre message est envoyé à la coordination."))
    return redirect(reverse("applications:detail", args=[pk]) + "#messages")


@role_required(*APPLICANT_OR_STAFF)
@require_GET
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.visible_application(current_user(request), pk)
    if not application.submitted_at or not application.reference:
        raise Http404
    response = HttpResponse(render_receipt(application), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{receipt_filename(application)}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@role_required(*APPLICANT_OR_STAFF)
@require_GET
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponseBase:
    attachment = selectors.visible_attachment(current_user(request), pk, attachment_pk)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=CONTENT_TYPES.get(AttachmentKind(attachment.kind), "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@role_required(Role.APPLICANT)
@require_POST
def attachment_delete(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    application = selectors.own_application(current_user(request), pk)
    attachment = get_object_or_404(application.attachments, pk=attachment_pk)
    try:
        services.delete_attachment(application, attachment)
    except services.NotEditableError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("« %(name)s » est supprimé.") % {"name": attachment.original_name}
        )
    return redirect(_step_url(application, 6))


# --------------------------------------------------------------------------------------------
# The employer's page (the secret link is the authorisation)
# --------------------------------------------------------------------------------------------


@public
@require_http_methods(["GET", "POST"])
def employer_approval(request: HttpRequest, token: str) -> HttpResponse:
    link = services.approval_link(token)
    form = EmployerDecisionForm()
    status = 200
    if request.method == "POST" and link.status == "valid":
        form = EmployerDecisionForm(request.POST)
        decision = request.POST.get("decision")
        if decision in ("approve", "refuse") and form.is_valid():
            link = services.decide_employer_approval(
                token,
                approve=decision == "approve",
                comment=form.cleaned_data["comment"],
                ip_address=request.META.get("REMOTE_ADDR"),
                absolute=_absolute(request),
            )
            if link.status == "decided":
                return render(
                    request,
                    "applications/employer_approval_done.html",
                    {"approval": link.approval},
                )
    if link.status == "unknown":
        status = 404
    elif link.status != "valid":
        status = 410
    application = link.approval.application if link.approval else None
    response = render(
        request,
        "applications/employer_approval.html",
        {
            "link": link,
            "approval": link.approval,
            "application": application,
            "form": form,
        },
        status=status,
    )
    # The link is a secret: never cached. (SECURE_REFERRER_POLICY "same-origin" keeps it from
    # other sites; "no-referrer" would make browsers send "Origin: null" and fail CSRF.)
    response["Cache-Control"] = "private, no-store"
    return response
