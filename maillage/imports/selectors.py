"""Read queries of the import pages."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from maillage.people.models import User

from .models import ImportRun, ImportStatus
from .parsing import ORGANISATIONS, RESOURCE_PERSONS, TRANSFERS

TEMPLATE_FILENAMES = {
    ORGANISATIONS: "modele-structures.csv",
    RESOURCE_PERSONS: "modele-personnes-ressources.csv",
    TRANSFERS: "modele-transferts.csv",
}


def template_filename(kind: str) -> str:
    return TEMPLATE_FILENAMES[kind]


def applied_runs() -> QuerySet[ImportRun]:
    # The stored file is not needed for the list: it may weigh megabytes in a preview.
    return (
        ImportRun.objects.filter(status=ImportStatus.APPLIED)
        .select_related("created_by")
        .defer("content", "report")
        .order_by("-applied_at", "-pk")
    )


def pending_previews(user: User) -> QuerySet[ImportRun]:
    return (
        ImportRun.objects.filter(status=ImportStatus.PREVIEW, created_by=user)
        .defer("content", "report")
        .order_by("-created_at", "-pk")
    )


def visible_run(pk: int, user: User) -> ImportRun:
    """An applied import, or a preview of ``user``: another person's preview is a 404."""
    return get_object_or_404(
        ImportRun.objects.select_related("created_by")
        .defer("content")
        .filter(Q(status=ImportStatus.APPLIED) | Q(created_by=user)),
        pk=pk,
    )
