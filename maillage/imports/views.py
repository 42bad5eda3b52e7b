from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from maillage.core.permissions import current_user, role_required
from maillage.people.models import Role

from . import parsing, selectors, services
from .forms import UploadForm
from .help import column_help
from .models import ImportKind, ImportStatus

STAFF = (Role.COORDINATOR, Role.ADMIN)
HISTORY_PAGE_SIZE = 20


@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
@never_cache
def index(request: HttpRequest) -> HttpResponse:
    """Upload a file and choose its kind; the history of imports below."""
    user = current_user(request)
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            run = services.preview(
                kind=form.cleaned_data["kind"],
                data=upload.read(),
                filename=upload.name or "",
                actor=user,
            )
        except services.ImportRejected as rejected:
            form.add_error("file", rejected.message)
        else:
            return redirect("imports:run", pk=run.pk)
    history = Paginator(selectors.applied_runs(), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "imports/index.html",
        {
            "form": form,
            "page": history,
            "previews": selectors.pending_previews(user),
            "kinds": [(kind, label, column_help(kind)) for kind, label in ImportKind.choices],
            "max_rows": services.max_rows(),
        },
        status=400 if form.errors else 200,
    )


@role_required(*STAFF)
@require_GET
@never_cache
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The preview (its author only) or the report of an applied import (any coordinator)."""
    run = selectors.visible_run(pk, current_user(request))
    report = services.Report.from_json(run.kind, run.report)
    return render(
        request,
        "imports/run.html",
        {
            "run": run,
            "report": report,
            "shown": report.listed(services.SHOWN_ROWS),
            "limit": services.SHOWN_ROWS,
            "is_preview": run.status == ImportStatus.PREVIEW,
            "same_file": services.previously_applied(run)
            if run.status == ImportStatus.PREVIEW
            else None,
        },
    )


@role_required(*STAFF)
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        run, applied = services.confirm(pk, current_user(request))
    except services.ImportRejected as rejected:
        messages.error(request, rejected.message)
        return redirect("imports:run", pk=pk)
    if applied:
        messages.success(
            request,
            _(
                "Import terminé : %(created)s création(s), %(updated)s mise(s) à jour, "
                "%(unchanged)s ligne(s) inchangée(s)."
            )
            % {
                "created": run.created_count,
                "updated": run.updated_count,
                "unchanged": run.unchanged_count,
            },
        )
    else:
        messages.info(request, _("Ce fichier a déjà été importé : rien n'a été refait."))
    return redirect("imports:run", pk=run.pk)


@role_required(*STAFF)
@require_POST
def discard(request: HttpRequest, pk: int) -> HttpResponse:
    services.discard(pk, current_user(request))
    messages.info(request, _("Aperçu abandonné : rien n'a été importé."))
    return redirect("imports:index")


@role_required(*STAFF)
@require_GET
def template(request: HttpRequest, kind: str) -> HttpResponse:
    """The CSV template of one kind: its column headers, ready to fill in."""
    if kind not in parsing.COLUMNS:
        raise Http404
    response = HttpResponse(parsing.template_csv(kind), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{selectors.template_filename(kind)}"'
    return response
