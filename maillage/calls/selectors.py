import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from maillage.applications.models import ApplicationState

from .models import Call


def current_call(day: datetime.date | None = None) -> Call | None:
    """The call the back office works on by default: the latest open one, else the latest."""
    day = day or timezone.localdate()
    return (
        Call.objects.open_on(day).select_related("programme").order_by("-opens_on").first()
        or Call.objects.select_related("programme").order_by("-opens_on").first()
    )


def published_calls() -> QuerySet[Call]:
    return (
        Call.objects.published()
        .select_related("programme")
        .annotate(
            submitted_count=Count(
                "applications", filter=Q(applications__state=ApplicationState.SUBMITTED)
            )
        )
        .order_by("-opens_on")
    )
