import tempfile

from django.conf import settings
from django.contrib.auth import logout
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone

from maillage.core.permissions import current_user, public, role_required, signed_in
from maillage.people.models import Role

from . import selectors, services
from .audit import client_ip
from .forms import ErasureForm, JournalFilterForm

JOURNAL_PAGE_SIZE = 50


@public
def privacy_notice(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "privacy/privacy_notice.html",
        {
            "retention": services.retention_days(),
            "coordination_email": settings.MAILLAGE_COORDINATION_EMAIL,
        },
    )


@public
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "privacy/accessibility.html",
        {"coordination_email": settings.MAILLAGE_COORDINATION_EMAIL},
    )


@signed_in
def my_data(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    if request.method == "POST":
        # A temporary file rather than memory: attachments may weigh tens of megabytes.
        out = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
        services.write_data_archive(user, out, ip=client_ip(request))
        out.seek(0)
        filename = f"maillage-mes-donnees-{timezone.localdate():%Y-%m-%d}.zip"
        response = FileResponse(
            out, as_attachment=True, filename=filename, content_type="application/zip"
        )
        response["Cache-Control"] = "no-store"
        return response
    return render(request, "privacy/my_data.html", {})


@signed_in
def erasure(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = ErasureForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.erase_account(user, actor=user, ip=client_ip(request))
        logout(request)
        return render(request, "privacy/erasure_done.html", {})
    has_resource_profile = hasattr(user, "resource_profile")
    return render(
        request,
        "privacy/erasure.html",
        {"form": form, "has_resource_profile": has_resource_profile},
        status=400 if form.errors else 200,
    )


@role_required(Role.ADMIN)
def journal(request: HttpRequest) -> HttpResponse:
    form = JournalFilterForm(request.GET or None)
    filters = selectors.JournalFilters()
    if form.is_valid():
        filters = selectors.JournalFilters(
            action=form.cleaned_data["action"],
            actor=form.cleaned_data["actor"].strip(),
            since=form.cleaned_data["since"],
            until=form.cleaned_data["until"],
        )
    page = Paginator(selectors.journal(filters), JOURNAL_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "privacy/journal.html", {"form": form, "page": page})
