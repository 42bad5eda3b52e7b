from django.db.models import Count, Prefetch, Q, QuerySet

from .models import Organisation, OrganisationActivity


def organisations_for_staff(
    *, departement: str = "", activity: str = "", query: str = ""
) -> QuerySet[Organisation]:
    qs = Organisation.objects.all()
    if departement:
        qs = qs.filter(commune__departement=departement)
    if activity:
        qs = qs.filter(activities__activity=activity)
    if query:
        digits = "".join(ch for ch in query if ch.isdigit())
        condition = Q(name__icontains=query) | Q(commune__name__icontains=query)
        if len(digits) >= 9:
            condition |= Q(siret__startswith=digits)
        qs = qs.filter(condition)
    return (
        qs.select_related("commune__departement")
        .prefetch_related(
            Prefetch("activities", queryset=OrganisationActivity.objects.order_by("activity"))
        )
        .annotate(people_count=Count("people", distinct=True))
        .distinct()
    )


def search_organisations(query: str, limit: int = 10) -> list[Organisation]:
    """Name (accent- and case-insensitive start of a word) or SIRET/SIREN prefix."""
    query = (query or "").strip()
    if len(query) < 2:
        return []
    digits = "".join(ch for ch in query if ch.isdigit())
    if len(digits) >= 9 and len(digits) == len(query.replace(" ", "")):
        qs = Organisation.objects.filter(siret__startswith=digits)
    else:
        qs = Organisation.objects.filter(name__icontains=query)
    return list(qs.select_related("commune").order_by("name")[:limit])
