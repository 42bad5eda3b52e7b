from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from maillage.core.permissions import public

from .models import Competence, Domain


@public
def taxonomy(request: HttpRequest) -> HttpResponse:
    domains = Domain.objects.prefetch_related(
        Prefetch("competences", queryset=Competence.objects.filter(is_active=True))
    )
    return render(request, "competences/taxonomy.html", {"domains": domains})
