"""The coordination's back office: the list of a call's applications (filters, search, sort,
bulk actions), each application's page (history, notes, messages, corrections, actions),
revisions and their differences, and exports. Coordinators and admins only."""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from maillage.calls.models import Call
from maillage.calls.selectors import current_call
from maillage.competences.models import Domain
from maillage.core.permissions import current_user, role_required
from maillage.geography.models import Departement
from maillage.people.models import Role
from maillage.privacy.audit import record
from maillage.privacy.models import AuditAction

from . import exports, revisions, selectors, services
from .forms import (
    BackofficeFilterForm,
    CompletionRequestForm,
    ExportForm,
    NoFollowUpForm,
    StaffEditForm,
    StaffMessageForm,
    StaffNoteForm,
)
from .models import Application, ApplicationState
from .workflow import DECIDED, NO_FOLLOW_UP, TransitionError

STAFF = (Role.COORDINATOR, Role.ADMIN)
PAGE_SIZE = 50
SORT_LABELS = {
    "-depot": _("Dépôt (récent d'abord)"),
    "depot": _("Dépôt (ancien d'abord)"),
    "reference": _("Référence"),
    "structure": _("Structure"),
    "jours": _("Nombre de jours"),
    "-jours": _("Nombre de jours (décroissant)"),
    "departement": _("Département"),
}


# --------------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------------


def _filter_form(data: Any) -> BackofficeFilterForm:
    calls = [(c.pk, c.title) for c in Call.objects.order_by("-opens_on")]
    return BackofficeFilterForm(
        data,
        calls=calls,
        states=[(s.value, str(s.label)) for s in selectors.BACKOFFICE_STATES],
        departements=[
            (d.code, f"{d.code} {d.name}")
            for d in Departement.objects.filter(region_code=_region_code()).order_by("code")
        ],
        domains=[(d.pk, d.label) for d in Domain.objects.order_by("position", "code")],
        reviewers=selectors.reviewer_choices(),
        sorts=[(key, str(label)) for key, label in SORT_LABELS.items()],
    )


def _region_code() -> str:
    from django.conf import settings

    return str(getattr(settings, "MAILLAGE_REGION_CODE", "76"))


def _filters(request: HttpRequest) -> tuple[BackofficeFilterForm, selectors.BackofficeFilters]:
    """The filters of the query string; the current call when none is chosen."""
    data = request.GET.copy()
    if not data.get("appel"):
        call = current_call()
        if call is not None:
            data["appel"] = str(call.pk)
    form = _filter_form(data)
    form.is_valid()
    # Invalid values are dropped one by one: the other filters still apply.
    cleaned = {k: v for k, v in form.cleaned_data.items() if k not in form.errors}
    eligible = {"oui": True, "non": False}.get(cleaned.get("eligibilite") or "")
    ids = tuple(int(v) for v in request.GET.getlist("ids") if v.isdigit())
    filters = selectors.BackofficeFilters(
        call_id=cleaned.get("appel") or None,
        state=cleaned.get("etat") or "",
        departement=cleaned.get("departement") or "",
        domain_id=cleaned.get("domaine") or None,
        format=cleaned.get("modalite") or "",
        eligible=eligible,
        reviewer_id=cleaned.get("evaluateur") or None,
        query=cleaned.get("q") or "",
        sort=cleaned.get("tri") or selectors.DEFAULT_SORT,
        ids=ids,
    )
    return form, filters


def _filter_query(request: HttpRequest) -> str:
    """The list's filters as a query string (kept by exports and after bulk actions)."""
    keys = ("appel", "etat", "departement", "domaine", "modalite", "eligibilite", "evaluateur", "q")
    return urlencode([(k, v) for k in keys for v in request.GET.getlist(k) if v])


# --------------------------------------------------------------------------------------------
# The list
# --------------------------------------------------------------------------------------------


@role_required(*STAFF)
@require_GET
def application_list(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    qs = selectors.backoffice_applications(filters)
    paginator = Paginator(selectors.with_list_relations(qs), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    call = Call.objects.filter(pk=filters.call_id).first() if filters.call_id else None
    return render(
        request,
        "applications/staff/list.html",
        {
            "form": form,
            "page": page,
            "call": call,
            "counts": selectors.state_counts(filters.call_id),
            "total": paginator.count,
            "filter_query": _filter_query(request),
            "sort": filters.sort,
            "review_installed": selectors.review_installed(),
        },
    )


BULK_ACTIONS = {
    "start_review": _("Passer en instruction"),
    "export": _("Exporter la sélection"),
}


@role_required(*STAFF)
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Ticked rows: a confirmation page first, then the action and a report."""
    action = request.POST.get("action", "")
    ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()]
    back = reverse("backoffice:list") + (
        "?" + request.POST["filters"] if request.POST.get("filters") else ""
    )
    if action not in BULK_ACTIONS:
        messages.error(request, _("Choisissez une action."))
        return redirect(back)
    if not ids:
        messages.error(request, _("Cochez au moins une candidature."))
        return redirect(back)
    applications = list(
        selectors.with_list_relations(
            selectors.backoffice_applications(selectors.BackofficeFilters(ids=tuple(ids)))
        )
    )
    if action == "export":
        query = urlencode([("ids", a.pk) for a in applications])
        return redirect(reverse("backoffice:export") + "?" + query)
    if request.POST.get("confirm") != "1":
        return render(
            request,
            "applications/staff/bulk_confirm.html",
            {
                "applications": applications,
                "action": action,
                "action_label": BULK_ACTIONS[action],
                "filters": request.POST.get("filters", ""),
            },
        )
    done, refused = 0, []
    for application in applications:
        try:
            services.start_review(application, actor=current_user(request))
        except TransitionError:
            refused.append(
                _("%(reference)s : impossible depuis l'état « %(state)s »")
                % {
                    "reference": application.reference,
                    "state": ApplicationState(application.state).label,
                }
            )
        else:
            done += 1
    if done:
        messages.success(
            request,
            ngettext(
                "%(count)s candidature passée en instruction.",
                "%(count)s candidatures passées en instruction.",
                done,
            )
            % {"count": done},
        )
    if refused:
        messages.error(
            request,
            ngettext(
                "%(count)s candidature refusée : %(reasons)s.",
                "%(count)s candidatures refusées : %(reasons)s.",
                len(refused),
            )
            % {"count": len(refused), "reasons": " ; ".join(refused)},
        )
    return redirect(back)


# --------------------------------------------------------------------------------------------
# One application
# --------------------------------------------------------------------------------------------


def _edit_initial(application: Application) -> dict[str, Any]:
    return {
        "version": application.version,
        "days": application.days,
        "desired_start": application.desired_start,
        "desired_end": application.desired_end,
        "competences": [c.pk for c in application.competences.all()],
        "formats": [str(f) for f in application.formats],
    }


def _render_detail(
    request: HttpRequest, application: Application, status: int = 200, **forms: Any
) -> HttpResponse:
    programme = application.call.programme
    context: dict[str, Any] = {
        "application": application,
        "frozen_eligibility": selectors.explain(application.eligibility_snapshot),
        "current_eligibility": selectors.explain(selectors.evaluate(application)),
        "completion_form": forms.get("completion_form") or CompletionRequestForm(),
        "no_follow_up_form": forms.get("no_follow_up_form") or NoFollowUpForm(),
        "note_form": forms.get("note_form") or StaffNoteForm(),
        "message_form": forms.get("message_form") or StaffMessageForm(),
        "edit_form": forms.get("edit_form")
        or StaffEditForm(initial=_edit_initial(application), programme=programme),
        "conflict": forms.get("conflict"),
        "can_request_completion": application.state
        in (ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW),
        "can_start_review": application.state == ApplicationState.SUBMITTED,
        "can_close": application.state
        in (ApplicationState.SUBMITTED, ApplicationState.TO_COMPLETE),
        "can_edit": application.state not in DECIDED,
        "review_installed": selectors.review_installed(),
        "completion_reason": selectors.completion_reason(application)
        if application.state == ApplicationState.TO_COMPLETE
        else "",
    }
    return render(request, "applications/staff/detail.html", context, status=status)


@role_required(*STAFF)
@require_GET
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.staff_application(pk)
    services.mark_read(application, from_staff=False)
    return _render_detail(request, application)


def _here(pk: int, anchor: str = "") -> HttpResponse:
    return redirect(reverse("backoffice:detail", args=[pk]) + (f"#{anchor}" if anchor else ""))


@role_required(*STAFF)
@require_POST
def request_completion(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.staff_application(pk)
    form = CompletionRequestForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, application, completion_form=form)
    try:
        services.request_completion(
            application,
            reason=form.cleaned_data["reason"],
            actor=current_user(request),
            absolute=request.build_absolute_uri,
        )
    except TransitionError as error:
        messages.error(request, services.transition_message(error.code))
    else:
        messages.success(
            request,
            _("La candidature est renvoyée à la personne candidate, prévenue par e-mail."),
        )
    return _here(pk)


@role_required(*STAFF)
@require_POST
def start_review(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.staff_application(pk)
    try:
        services.start_review(application, actor=current_user(request))
    except TransitionError as error:
        messages.error(request, services.transition_message(error.code))
    else:
        messages.success(request, _("La candidature est passée en instruction."))
    return _here(pk)


@role_required(*STAFF)
@require_POST
def close_without_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.staff_application(pk)
    form = NoFollowUpForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, application, no_follow_up_form=form)
    try:
        services.decide(
            application,
            outcome=NO_FOLLOW_UP,
            motivation=form.cleaned_data["motivation"],
            actor=current_user(request),
        )
    except TransitionError as error:
        messages.error(request, services.transition_message(error.code))
    else:
        messages.success(request, _("La candidature est classée sans suite."))
    return _here(pk)


@role_required(*STAFF)
@require_POST
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.staff_application(pk)
    form = StaffNoteForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, application, note_form=form)
    services.add_staff_note(
        application, body=form.cleaned_data["body"], author=current_user(request)
    )
    messages.success(request, _("Note enregistrée."))
    return _here(pk, "notes")


@role_required(*STAFF)
@require_POST
def send_message(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.staff_application(pk)
    form = StaffMessageForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, application, message_form=form)
    services.send_staff_message(
        application,
        body=form.cleaned_data["body"],
        author=current_user(request),
        absolute=request.build_absolute_uri,
    )
    messages.success(request, _("Message envoyé ; la personne candidate est prévenue par e-mail."))
    return _here(pk, "messages")


@role_required(*STAFF)
@require_POST
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Corrections with optimistic locking: a concurrent save is reported, nothing is lost."""
    application = selectors.staff_application(pk)
    form = StaffEditForm(request.POST, programme=application.call.programme)
    if not form.is_valid():
        messages.error(request, _("Certaines valeurs ne sont pas valides : voyez ci-dessous."))
        return _render_detail(request, application, edit_form=form)
    data = dict(form.cleaned_data)
    try:
        services.staff_update(
            application, version=data.pop("version"), data=data, actor=current_user(request)
        )
    except services.EditConflictError as error:
        # The form keeps what the user typed; the page shows the saved values beside it,
        # and the new version so that a second "Enregistrer" overwrites knowingly.
        fresh = selectors.staff_application(pk)
        posted = request.POST.copy()
        posted["version"] = str(fresh.version)
        retry = StaffEditForm(posted, programme=fresh.call.programme)
        retry.is_valid()
        return _render_detail(
            request,
            fresh,
            status=409,
            edit_form=retry,
            conflict={"message": error.message, "current": _edit_initial(fresh), "app": fresh},
        )
    except services.ApplicationError as error:
        messages.error(request, error.message)
        return _here(pk)
    messages.success(request, _("Corrections enregistrées."))
    return _here(pk, "corrections")


# --------------------------------------------------------------------------------------------
# Revisions
# --------------------------------------------------------------------------------------------


@role_required(*STAFF)
@require_GET
def revision_list(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.staff_application(pk)

    def number(name: str) -> int | None:
        value = request.GET.get(name, "")
        return int(value) if value.isdigit() else None

    old, new, all_revisions = selectors.revision_pair(application, number("de"), number("a"))
    changes = revisions.compare(old.data, new.data) if old and new and old != new else []
    return render(
        request,
        "applications/staff/revisions.html",
        {
            "application": application,
            "revisions": all_revisions,
            "old": old,
            "new": new,
            "changes": changes,
            "fields": revisions.FIELDS,
        },
    )


# --------------------------------------------------------------------------------------------
# Exports
# --------------------------------------------------------------------------------------------

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": exports.ODS_MIMETYPE,
}


@role_required(*STAFF)
@require_http_methods(["GET"])
def export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse | FileResponse:
    """Without ``format``: the form (columns, format); with it: the file, for the filters."""
    _form, filters = _filters(request)
    review = selectors.review_installed()
    available = exports.available_columns(review)
    choices = [(c.key, str(c.label)) for c in available]
    qs: QuerySet[Application] = selectors.backoffice_applications(filters)
    if "format" not in request.GET:
        form = ExportForm(
            initial={"columns": exports.DEFAULT_COLUMNS, "format": "xlsx"}, columns=choices
        )
        return _export_page(request, form, qs, filters)
    form = ExportForm(request.GET, columns=choices)
    if not form.is_valid():
        return _export_page(request, form, qs, filters, status=400)
    columns = [exports.BY_KEY[key] for key in form.cleaned_data["columns"]]
    scores: dict[int, float | None] = {}
    if review and any(c.key == "score" for c in columns):
        scores = exports.mean_scores(list(qs.values_list("pk", flat=True)))
    header = [str(c.label) for c in columns]
    body = exports.rows(qs, columns, exports.Extras(scores=scores))
    call = Call.objects.filter(pk=filters.call_id).first() if filters.call_id else None
    kind = form.cleaned_data["format"]
    name = exports.filename(call.slug if call else "", kind)
    record(
        AuditAction.EXPORT,
        current_user(request),
        call,
        format=kind,
        columns=[c.key for c in columns],
        rows=qs.count(),
    )
    if kind == "csv":
        response = StreamingHttpResponse(
            exports.csv_chunks(header, body), content_type=CONTENT_TYPES["csv"]
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    writer = exports.write_xlsx if kind == "xlsx" else exports.write_ods
    return FileResponse(
        writer(header, body), as_attachment=True, filename=name, content_type=CONTENT_TYPES[kind]
    )


def _export_page(
    request: HttpRequest,
    form: ExportForm,
    qs: QuerySet[Application],
    filters: selectors.BackofficeFilters,
    status: int = 200,
) -> HttpResponse:
    keys = ("etat", "departement", "domaine", "modalite", "eligibilite", "evaluateur", "q", "tri")
    hidden = [(k, v) for k in keys for v in request.GET.getlist(k) if v]
    if filters.call_id:
        hidden.append(("appel", str(filters.call_id)))
    hidden += [("ids", str(i)) for i in filters.ids]
    return render(
        request,
        "applications/staff/export.html",
        {
            "form": form,
            "count": qs.count(),
            "hidden": hidden,
            "selection": bool(filters.ids),
            "filter_query": _filter_query(request),
        },
        status=status,
    )
