from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from maillage.core.permissions import public

from .models import Departement
from .selectors import communes_for_postal_code


@public
def commune_lookup(request: HttpRequest) -> HttpResponse:
    """Postal code -> communes: <option>s for htmx forms, JSON for other clients."""
    # htmx sends the field under its own (possibly prefixed) name, e.g. "org-postal_code".
    code: str = request.GET.get("code_postal") or next(
        (str(value) for key, value in request.GET.items() if key.endswith("postal_code")), ""
    )
    communes = list(communes_for_postal_code(code))
    if request.headers.get("HX-Request") or request.GET.get("format") == "html":
        return render(
            request,
            "geography/commune_options.html",
            {"communes": communes, "code": code, "selected": request.GET.get("commune", "")},
        )
    return JsonResponse(
        {
            "postal_code": code,
            "communes": [
                {
                    "insee_code": c.insee_code,
                    "name": c.name,
                    "departement": c.departement_id,
                    "departement_name": c.departement.name,
                }
                for c in communes
            ],
        }
    )


@public
def departement_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "geography/departement_list.html", {"departements": Departement.objects.all()}
    )
