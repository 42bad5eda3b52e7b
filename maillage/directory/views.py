"""The directory (le maillage): search page and profile page, public with richer content for
signed-in users (see docs/directory.md)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from maillage.core.permissions import public

from . import selectors
from .forms import DirectorySearchForm

RESULTS_TARGET = "resultats"


def _no_index(response: HttpResponse) -> HttpResponse:
    # Personal data: profiles and filtered result lists stay out of search engines. A header,
    # because base.html has no block in <head> for a meta tag.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@public
def search(request: HttpRequest) -> HttpResponse:
    form = DirectorySearchForm(request.GET or None)
    member = request.user.is_authenticated
    criteria = form.criteria() if form.is_bound else selectors.Criteria()
    result = selectors.search(criteria, member=member, page_number=request.GET.get("page"))
    context = {
        "form": form,
        "criteria": criteria,
        "result": result,
        "page": result.page,
        "member": member,
        "searched": bool(criteria.text.strip()) or criteria.has_filters,
    }
    htmx = getattr(request, "htmx", None)
    partial = bool(htmx) and getattr(htmx, "target", None) == RESULTS_TARGET
    template = "directory/_results.html" if partial else "directory/search.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    if request.GET:
        _no_index(response)
    return response


@public
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.user.is_authenticated
    card = selectors.directory_card(pk, member=member)
    response = render(request, "directory/detail.html", {"card": card, "member": member})
    return _no_index(response)
