from django.db.models import Count, Prefetch, Q, QuerySet

from maillage.competences.models import Competence

from .models import ResourcePerson, ResourcePersonCompetence, User, ValidationStatus


def with_profile_details(qs: QuerySet[ResourcePerson]) -> QuerySet[ResourcePerson]:
    """Everything a resource-person card shows, in a constant number of queries."""
    return qs.select_related(
        "user", "user__organisation", "commune", "commune__departement"
    ).prefetch_related(
        Prefetch(
            "competence_links",
            queryset=ResourcePersonCompetence.objects.select_related("competence__domain"),
        )
    )


def resource_profile_of(user: User) -> ResourcePerson | None:
    return with_profile_details(ResourcePerson.objects.filter(user=user)).first()


def pending_resource_persons() -> QuerySet[ResourcePerson]:
    return with_profile_details(
        ResourcePerson.objects.filter(status=ValidationStatus.PENDING)
    ).order_by("created_at")


def resource_persons_for_staff(
    *,
    status: str = "",
    departement: str = "",
    domain: str = "",
    query: str = "",
) -> QuerySet[ResourcePerson]:
    qs = ResourcePerson.objects.all()
    if status:
        qs = qs.filter(status=status)
    if departement:
        qs = qs.filter(commune__departement=departement)
    if domain:
        qs = qs.filter(competences__domain__code=domain).distinct()
    if query:
        qs = qs.filter(
            Q(user__last_name__icontains=query)
            | Q(user__first_name__icontains=query)
            | Q(user__organisation__name__icontains=query)
            | Q(user__job_title__icontains=query)
        )
    return with_profile_details(qs).annotate(
        competence_count=Count("competence_links", distinct=True)
    )


def competences_for_choices() -> QuerySet[Competence]:
    return Competence.objects.filter(is_active=True).select_related("domain")
