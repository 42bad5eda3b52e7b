"""Writes on accounts and resource-person profiles: sign-up, profile, consents, validation,
invitations. E-mails are queued after the commit (maillage.core.emails)."""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from maillage.competences.models import Competence
from maillage.core.emails import queue_templated_email
from maillage.geography.models import Commune
from maillage.organisations.models import Organisation
from maillage.organisations.services import create_organisation_from_form

from .models import (
    ResourcePerson,
    ResourcePersonCompetence,
    Role,
    RoleGrant,
    User,
    ValidationStatus,
)

CONSENT_FIELDS = (
    "consent_directory",
    "consent_show_name",
    "consent_show_organisation",
    "consent_show_job",
    "consent_show_summary",
    "consent_show_commune",
)


def grant_roles(user: User, roles: list[str]) -> None:
    for role in roles:
        RoleGrant.objects.get_or_create(user=user, role=role)
    # ``User.roles`` is cached on the instance.
    user.__dict__.pop("roles", None)


@transaction.atomic
def register_user(
    *, email: str, password: str, first_name: str, last_name: str, roles: list[str], site_url: str
) -> User:
    """Self-registration: the account, its roles and a welcome e-mail."""
    user = User.objects.create_user(
        email, password, first_name=first_name.strip(), last_name=last_name.strip()
    )
    grant_roles(user, roles)
    queue_templated_email(
        "people/email/welcome",
        {
            "user": user,
            "is_applicant": Role.APPLICANT in roles,
            "is_resource_person": Role.RESOURCE_PERSON in roles,
            "site_url": site_url,
        },
        [user.email],
    )
    return user


def pick_organisation(
    organisation: Organisation | None, new_organisation: dict[str, Any] | None
) -> Organisation | None:
    """The structure chosen in a search, or the one created from OrganisationForm data."""
    if new_organisation is not None:
        return create_organisation_from_form(new_organisation)
    return organisation


@transaction.atomic
def update_account(
    user: User,
    fields: dict[str, Any],
    *,
    organisation: Organisation | None = None,
    new_organisation: dict[str, Any] | None = None,
) -> User:
    """Identity and job fields, and the structure (None and no creation: unchanged)."""
    for name, value in fields.items():
        setattr(user, name, value)
    chosen = pick_organisation(organisation, new_organisation)
    if chosen is not None:
        user.organisation = chosen
    user.save()
    return user


@dataclass(frozen=True)
class CompetenceRow:
    competence_id: int
    level: int
    description: str


@transaction.atomic
def save_resource_profile(
    user: User,
    *,
    commune: Commune,
    years_of_experience: int,
    summary: str,
    days_per_year: int,
    travel_radius_km: int,
    accepts_matching: bool,
    formats: list[str],
    available_months: list[int],
    competences: list[CompetenceRow],
    job: dict[str, Any] | None = None,
    organisation: Organisation | None = None,
    new_organisation: dict[str, Any] | None = None,
) -> tuple[ResourcePerson, bool]:
    """Create or update the profile of ``user``; returns (profile, created).

    A new profile waits for a coordinator's validation; editing keeps the current status
    (a validated person stays listed, a suspended one stays suspended). ``job`` and the
    structure are saved on the account, as on the "Mon compte" page.
    """
    if job or organisation is not None or new_organisation is not None:
        update_account(
            user, job or {}, organisation=organisation, new_organisation=new_organisation
        )
    profile = ResourcePerson.objects.select_for_update().filter(user=user).first()
    created = profile is None
    if profile is None:
        profile = ResourcePerson(user=user, status=ValidationStatus.PENDING)
    profile.commune = commune
    profile.years_of_experience = years_of_experience
    profile.summary = summary
    profile.days_per_year = days_per_year
    profile.travel_radius_km = travel_radius_km
    profile.accepts_matching = accepts_matching
    months = sorted(set(available_months))
    # Every month ticked means all year, stored as the empty list like "nothing ticked".
    profile.available_months = months if len(months) < 12 else []
    profile.set_formats(formats)
    if created:
        profile.save()
        _replace_competences(profile, competences)
    else:
        # Competences first: saving the profile is what refreshes its directory entry
        # (maillage.directory listens to post_save; bulk writes send no signal).
        _replace_competences(profile, competences)
        profile.save()
    grant_roles(user, [Role.RESOURCE_PERSON])
    return profile, created


def _replace_competences(profile: ResourcePerson, rows: list[CompetenceRow]) -> None:
    wanted = {row.competence_id: row for row in rows}
    existing = {link.competence_id: link for link in profile.competence_links.all()}
    profile.competence_links.exclude(competence_id__in=wanted).delete()
    changed = []
    for competence_id, row in wanted.items():
        link = existing.get(competence_id)
        if link is None:
            continue
        if (link.level, link.description) != (row.level, row.description):
            link.level, link.description = row.level, row.description
            changed.append(link)
    ResourcePersonCompetence.objects.bulk_update(changed, ["level", "description"])
    active = set(
        Competence.objects.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True)
    )
    ResourcePersonCompetence.objects.bulk_create(
        [
            ResourcePersonCompetence(
                resource_person=profile,
                competence_id=row.competence_id,
                level=row.level,
                description=row.description,
            )
            for competence_id, row in wanted.items()
            if competence_id not in existing and competence_id in active
        ]
    )


def update_consents(profile: ResourcePerson, consents: dict[str, bool]) -> bool:
    """Store the field-by-field consents; the date changes only when a choice changes."""
    changed = [
        name for name in CONSENT_FIELDS if bool(consents.get(name)) != getattr(profile, name)
    ]
    if not changed:
        return False
    for name in changed:
        setattr(profile, name, bool(consents.get(name)))
    profile.consent_updated_at = timezone.now()
    profile.save(update_fields=[*changed, "consent_updated_at", "updated_at"])
    return True


def _status_email(template: str, profile: ResourcePerson, **extra: Any) -> None:
    queue_templated_email(
        f"people/email/{template}",
        {"user": profile.user, "profile": profile, **extra},
        [profile.user.email],
    )


@transaction.atomic
def validate_resource_person(
    profile: ResourcePerson, by: User, *, site_url: str = ""
) -> ResourcePerson:
    profile.status = ValidationStatus.VALIDATED
    profile.validated_at = timezone.now()
    profile.validated_by = by
    profile.save(update_fields=["status", "validated_at", "validated_by", "updated_at"])
    _status_email("resource_person_validated", profile, site_url=site_url)
    return profile


@transaction.atomic
def suspend_resource_person(
    profile: ResourcePerson, by: User, *, reason: str, site_url: str = ""
) -> ResourcePerson:
    """Withdraw from the directory and from matching; the last validation stays on record."""
    profile.status = ValidationStatus.SUSPENDED
    profile.save(update_fields=["status", "updated_at"])
    _status_email(
        "resource_person_suspended", profile, reason=reason.strip(), by=by, site_url=site_url
    )
    return profile


@transaction.atomic
def reopen_resource_person(profile: ResourcePerson, by: User) -> ResourcePerson:
    """Back to pending: the profile must be validated again before it is listed."""
    profile.status = ValidationStatus.PENDING
    profile.save(update_fields=["status", "updated_at"])
    return profile


def invitation_path(user: User) -> str:
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("people:invitation_accept", kwargs={"uidb64": uidb64, "token": token})


@transaction.atomic
def invite_resource_person(
    *,
    email: str,
    first_name: str,
    last_name: str,
    organisation: Organisation | None,
    invited_by: User,
    site_url: str,
) -> tuple[User, bool]:
    """Create an account without password (or reuse one) with the resource-person role.

    A new account, or one that never chose a password, receives a one-time link to choose a
    password; an existing account is told to sign in and fill in the profile.
    Returns (user, created).
    """
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    created = user is None
    if user is None:
        user = User(
            email=email,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            organisation=organisation,
        )
        user.set_unusable_password()
        user.save()
    elif organisation is not None and user.organisation_id is None:
        user.organisation = organisation
        user.save(update_fields=["organisation"])
    grant_roles(user, [Role.RESOURCE_PERSON])
    context: dict[str, Any] = {"user": user, "invited_by": invited_by, "site_url": site_url}
    if user.has_usable_password():
        context["link"] = site_url + reverse("people:profile")
        queue_templated_email("people/email/role_added", context, [user.email])
    else:
        context["link"] = site_url + invitation_path(user)
        queue_templated_email("people/email/invitation", context, [user.email])
    return user, created
