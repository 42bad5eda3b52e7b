from itertools import groupby
from typing import Any

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from maillage.competences.models import Competence
from maillage.geography.models import Commune

from .models import ResourcePerson, ResourcePersonCompetence, User, ValidationStatus
from .services import CONSENT_FIELDS
from .two_factor import SECOND_FACTOR_ROLES


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


def grouped_competence_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """Active competences as <optgroup>s, one per domain, in the taxonomy's order."""
    competences = competences_for_choices().order_by("domain__position", "position", "code")
    return [
        (str(domain.label), [(c.pk, c.label) for c in items])
        for domain, items in groupby(competences, key=lambda c: c.domain)
    ]


def public_card(profile: ResourcePerson, consents: dict[str, bool] | None = None) -> dict[str, Any]:
    """What the public directory may show of ``profile`` under ``consents`` (default: stored).

    Mirrors the public card of maillage.directory: competences, levels, formats and the
    département are always shown to a listed person; every other field needs its consent.
    """
    given = consents if consents is not None else {n: getattr(profile, n) for n in CONSENT_FIELDS}
    user = profile.user
    links = list(profile.competence_links.all())
    departement = profile.commune.departement
    if given.get("consent_show_name"):
        name = user.full_name
    else:
        name = _("Personne-ressource (%(competence)s, %(departement)s)") % {
            "competence": links[0].competence.label if links else _("compétences variées"),
            "departement": departement.name,
        }
    return {
        "listed": bool(given.get("consent_directory")),
        "name": name,
        "anonymous": not given.get("consent_show_name"),
        "organisation": (
            user.organisation.name
            if given.get("consent_show_organisation") and user.organisation
            else ""
        ),
        "job": user.job_title if given.get("consent_show_job") else "",
        "summary": profile.summary if given.get("consent_show_summary") else "",
        "commune": profile.commune.name if given.get("consent_show_commune") else "",
        "departement": departement,
        "competences": links,
        "formats": profile.format_labels(),
    }


def resource_person_for_staff(pk: int) -> ResourcePerson:
    """One profile with everything the coordination page shows (404 when unknown)."""
    return get_object_or_404(
        with_profile_details(ResourcePerson.objects.select_related("validated_by")), pk=pk
    )


def postal_code_of(commune: Commune) -> str:
    postal_code = commune.postal_codes.order_by("code").first()
    return postal_code.code if postal_code else ""


# --------------------------------------------------------------------------------------------
# Second factor (admins' page)
# --------------------------------------------------------------------------------------------


def second_factor_accounts(query: str = "") -> QuerySet[User]:
    """Active accounts that must use a second factor, with their enrolment state, in a
    constant number of queries (roles prefetched, device facts as subqueries)."""
    staff = User.objects.filter(
        Q(role_grants__role__in=SECOND_FACTOR_ROLES) | Q(is_staff=True) | Q(is_superuser=True),
        is_active=True,
    )
    accounts = User.objects.filter(pk__in=staff.values("pk"))
    if query:
        accounts = accounts.filter(
            Q(email__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
        )
    authenticators = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    codes_left = (
        StaticToken.objects.filter(device__user=OuterRef("pk"))
        .order_by()
        .values("device__user")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        accounts.annotate(
            has_authenticator=Exists(authenticators),
            authenticator_since=Subquery(authenticators.order_by("pk").values("created_at")[:1]),
            authenticator_used=Subquery(authenticators.order_by("pk").values("last_used_at")[:1]),
            recovery_codes_left=Coalesce(
                Subquery(codes_left, output_field=IntegerField()), Value(0)
            ),
        )
        .prefetch_related("role_grants")
        .order_by("last_name", "first_name", "pk")
    )


def second_factor_account_for_admin(pk: int, admin: User) -> User:
    """An account whose second factor an admin may reset: anyone but the admin (who uses
    their own security page, with a code)."""
    return get_object_or_404(User.objects.exclude(pk=admin.pk), pk=pk)
