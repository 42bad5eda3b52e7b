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
