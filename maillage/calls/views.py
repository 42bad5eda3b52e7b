from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from maillage.applications.selectors import in_progress_application
from maillage.core.permissions import public
from maillage.people.models import User

from .models import Call
from .selectors import published_calls


@public
def call_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    calls = list(published_calls())
    return render(
        request,
        "calls/call_list.html",
        {
            "open_calls": [c for c in calls if c.is_open(today)],
            "other_calls": [c for c in calls if not c.is_open(today)],
        },
    )


@public
def call_detail(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call.objects.published().select_related("programme"), slug=slug)
    in_progress = (
        in_progress_application(request.user, call.pk) if isinstance(request.user, User) else None
    )
    return render(
        request,
        "calls/call_detail.html",
        {"call": call, "is_open": call.is_open(), "in_progress": in_progress},
    )
